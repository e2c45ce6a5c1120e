"""The addresses of the consent links messages carry: under the tenant's `app_url` (tenant settings) when it has one,
else under the stage's public URL (`PUBLIC_URL`: the API's, where the public pages answer)."""

from __future__ import annotations

from datetime import datetime

from rapport import config
from rapport.consent import links
from rapport.consent.links import Link, Purpose
from rapport.tenants.service import TENANT_SETTINGS_DOCUMENT

PREFERENCES_PATH = "/public/preferences/"  # a confirmation link leads to the pending subscriptions
UNSUBSCRIBE_PATH = "/public/unsubscribe/"


def base_url(tenant_id: str) -> str:
    chosen = TENANT_SETTINGS_DOCUMENT.read(tenant_id).content.app_url
    return (chosen or config.current().require("public_url")).rstrip("/")


def confirmation_url(tenant_id: str, contact_id: str, now: datetime) -> tuple[str, datetime]:
    """The link confirming the contact's pending email subscriptions, and when it expires."""
    token = links.confirmation(tenant_id, contact_id, "email", None, now)
    return f"{base_url(tenant_id)}{PREFERENCES_PATH}{token}", now + links.CONFIRMATION_LIFETIME


def unsubscribe_url(tenant_id: str, contact_id: str, channel: str, topic: str | None) -> str:
    token = links.token(Link(Purpose.UNSUBSCRIBE, tenant_id, contact_id, channel, topic))
    return f"{base_url(tenant_id)}{UNSUBSCRIBE_PATH}{token}"
