"""Consent: each contact's consent per channel and topic, kept as an append-only ledger, and the tenant's marketing
settings (its topics, postal address, double opt-in)."""

from __future__ import annotations

from rapport.auth import EVERYONE, STAFF_WHO_EDIT, Action, Role
from rapport.contexts import Area, Context, Kind

MARKETING_SETTINGS = Kind("MARKETING", "marketing settings", document=True)

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
