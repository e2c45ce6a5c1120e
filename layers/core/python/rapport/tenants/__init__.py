"""Tenants: how a tenant presents itself (its public slug, name, time zone and app URL)."""
