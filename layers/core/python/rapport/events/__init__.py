"""Domain events: every committed change to a record, read from the table's stream (transactional outbox)."""
