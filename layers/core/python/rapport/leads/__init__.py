"""Leads: people who may become customers, scored by the tenant's rules, converted into contacts and deals."""
