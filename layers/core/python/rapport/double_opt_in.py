"""The confirmation email of double opt-in (rapport.consent.confirmation): the request for it that a contact's event
makes. A process above contacts, consent and notifications (the notifier reads contacts, and
contacts hold consent), as rapport.conversion is above leads and contacts."""

from __future__ import annotations

from datetime import datetime

from rapport import normalize
from rapport.consent import addresses, confirmation
from rapport.consent.confirmation import CONFIRMED_CHANNEL
from rapport.consent.manifest import CONSENT_REQUESTED
from rapport.contacts.manifest import CONTACT
from rapport.events.models import DomainEvent
from rapport.notifications.catalog import CONSENT_CONFIRMATION
from rapport.notifications.requests import NotificationRequest, Recipient, RecipientType

CONSENT = "consent"
CREATED = f"{CONTACT.entity}.created"
REQUESTED = f"{CONTACT.entity}.{CONSENT_REQUESTED}"


def request_of(event: DomainEvent, now: datetime) -> NotificationRequest | None:
    """The confirmation email a contact's created or `consent_requested` event asks for: one per event (its
    dedupe key), confirming every email subscription then pending. None when the write left none newly pending."""
    change = event.changes.get(CONSENT)
    earlier = change.before if change is not None and event.detail_type != CREATED else None
    if not confirmation.newly_pending(earlier, event.record.get(CONSENT)):
        return None
    url, expires = addresses.confirmation_url(event.tenant_id, event.entity_id, now)
    return NotificationRequest(
        tenant_id=event.tenant_id,
        recipient=Recipient(type=RecipientType.CONTACT, id=event.entity_id),
        template=CONSENT_CONFIRMATION.name,
        channel=str(CONFIRMED_CHANNEL),
        context={"confirmation": {"url": url, "expires_at": normalize.instant(expires)}},
        dedupe_key=f"consent-confirmation:{event.event_id}",
    )
