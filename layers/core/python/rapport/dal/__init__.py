"""Data access: PynamoDB models, key builders and the repository over the single table."""
