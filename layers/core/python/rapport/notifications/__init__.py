"""Notifications: messages to staff and customers by email (SES) and SMS (SNS), from per-tenant templates."""
