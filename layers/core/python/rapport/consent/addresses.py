"""The addresses of the links messages carry (consent, and a campaign email's tracking): under the tenant's
`app_url` (tenant settings) when it has one, else under the stage's public URL (`PUBLIC_URL`: the API's, where the
public pages answer)."""

from __future__ import annotations

from datetime import datetime

from rapport import config
from rapport.consent import links
from rapport.consent.links import Link, Purpose
from rapport.tenants.service import TENANT_SETTINGS_DOCUMENT

PREFERENCES_PATH = "/public/preferences/"  # a confirmation link leads to the pending subscriptions
UNSUBSCRIBE_PATH = "/public/unsubscribe/"
CLICK_PATH = "/public/clicks/"
OPEN_PATH = "/public/opens/"


def base_url(tenant_id: str) -> str:
    chosen = TENANT_SETTINGS_DOCUMENT.read(tenant_id).content.app_url
    return (chosen or config.current().require("public_url")).rstrip("/")


def confirmation_url(tenant_id: str, contact_id: str, now: datetime) -> tuple[str, datetime]:
    """The link confirming the contact's pending email subscriptions, and when it expires."""
    token = links.confirmation(tenant_id, contact_id, "email", None, now)
    return f"{base_url(tenant_id)}{PREFERENCES_PATH}{token}", now + links.CONFIRMATION_LIFETIME


def unsubscribe_url(
    tenant_id: str,
    contact_id: str,
    channel: str,
    topic: str | None,
    campaign_id: str | None = None,
    step: str | None = None,
) -> str:
    """The unsubscribe link; in a campaign's message (or a sequence step's: `step`) it names the campaign (the
    sequence), whose report counts the unsubscribe."""
    link = Link(Purpose.UNSUBSCRIBE, tenant_id, contact_id, channel, topic, campaign_id=campaign_id, step=step)
    token = links.token(link)
    return f"{base_url(tenant_id)}{UNSUBSCRIBE_PATH}{token}"


def click_url(
    base: str, tenant_id: str, contact_id: str, campaign_id: str, target: str, step: str | None = None
) -> str:
    """A campaign email's (or a sequence step's: `step`) link to `target`, through Rapport (which counts the click),
    under `base` (`base_url`: read once for the email's every link)."""
    link = Link(Purpose.CLICK, tenant_id, contact_id, "email", campaign_id=campaign_id, target=target, step=step)
    token = links.token(link)
    return f"{base}{CLICK_PATH}{token}"


def open_url(base: str, tenant_id: str, contact_id: str, campaign_id: str, step: str | None = None) -> str:
    """A campaign email's (or a sequence step's: `step`) open pixel, under `base` (`base_url`)."""
    token = links.token(Link(Purpose.OPEN, tenant_id, contact_id, "email", campaign_id=campaign_id, step=step))
    return f"{base}{OPEN_PATH}{token}"
