"""Webhooks: an admin's subscriptions of HTTPS endpoints to domain events, and their signed deliveries."""

from __future__ import annotations

from rapport.auth import Action, Role
from rapport.contexts import Area, Context, Kind

WEBHOOK = Kind("WHK", "webhook")
ADMINS = frozenset({Role.ADMIN})

CONTEXT = Context(
    name="webhooks",
    kinds=(WEBHOOK,),
    # A webhook sends the tenant's data out of Rapport: setting one up, and reading its deliveries, is an admin's.
    permissions={"webhooks": {action: ADMINS for action in Action}},
    areas=(Area("webhooks", bench="getWebhook"),),
    notification_templates=("rapport.webhooks.notices:WEBHOOK_DISABLED",),
)
