"""Webhooks: signed deliveries of domain events to subscribers' HTTPS endpoints."""
