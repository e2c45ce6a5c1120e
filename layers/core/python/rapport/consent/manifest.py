"""Consent: each contact's consent per channel and topic, kept as an append-only ledger, and the tenant's marketing
settings (its topics, postal address, double opt-in)."""

from __future__ import annotations

from rapport.auth import EVERYONE, STAFF_WHO_EDIT, Action, Role
from rapport.contexts import Area, Context, Image, Kind

MARKETING_SETTINGS = Kind("MARKETING", "marketing settings", document=True)
CONSENT_REQUESTED = "consent_requested"  # a contact's email subscription waits for its confirmation (double opt-in)
PENDING = "pending"


def pending_email(consent: Image | None) -> frozenset[str | None]:
    """The email subscriptions of a contact's `consent` that wait for the person's confirmation (None: the
    channel's, else the topic's)."""
    consent = consent or {}
    topics = (consent.get("topics") or {}).get("email") or {}
    channel = {None} if (consent.get("email") or {}).get("status") == PENDING else set()
    return frozenset(channel | {topic for topic, state in topics.items() if (state or {}).get("status") == PENDING})


CONTEXT = Context(
    name="consent",
    kinds=(MARKETING_SETTINGS,),
    permissions={
        # Which topics people subscribe to and what marketing mail says about the sender: marketing's call.
        "marketing_settings": {
            Action.READ: EVERYONE,
            Action.UPDATE: frozenset({Role.ADMIN, Role.MANAGER, Role.MARKETING}),
        },
        # A contact's consent: whoever may edit the contact records what the person said.
        "consent": {Action.READ: EVERYONE, Action.UPDATE: STAFF_WHO_EDIT},
    },
    areas=(Area("consent", bench="listConsentHistory"), Area("public_consent", bench="getPreferencesPage")),
)
