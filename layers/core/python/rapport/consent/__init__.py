"""Consent: the ledger of what each contact agreed to, per channel and topic, and the tenant's marketing settings."""
