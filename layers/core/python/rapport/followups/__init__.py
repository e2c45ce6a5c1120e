"""Follow-ups and reminders: the unattended jobs that keep reps on top of their work."""
