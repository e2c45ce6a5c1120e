"""Contacts: the people Rapport's customers are, and the partition their 360 view reads."""

from __future__ import annotations

from rapport.auth import EVERYONE, STAFF_WHO_EDIT, Action, Role
from rapport.consent.manifest import CONSENT_REQUESTED, pending_email
from rapport.contexts import Area, Context, Derivation, Image, Importing, Kind

CONTACT = Kind("CON", "contact")


def _consent_requested(before: Image, after: Image) -> list[str]:
    """`consent_requested` when an update leaves an email subscription waiting for its confirmation (double
    opt-in) that was not."""
    return [CONSENT_REQUESTED] if pending_email(after.get("consent")) - pending_email(before.get("consent")) else []


CONTEXT = Context(
    name="contacts",
    kinds=(CONTACT,),
    permissions={
        "contacts": {
            Action.READ: EVERYONE,
            Action.CREATE: STAFF_WHO_EDIT,
            Action.UPDATE: STAFF_WHO_EDIT,
            Action.DELETE: frozenset({Role.ADMIN, Role.MANAGER, Role.SALES}),
            Action.RESTORE: frozenset({Role.ADMIN, Role.MANAGER}),
            Action.ERASE: frozenset({Role.ADMIN}),
        },
    },
    derivations={CONTACT.entity: Derivation((CONSENT_REQUESTED,), _consent_requested)},
    exports={"contacts": "rapport.contacts.service:contacts"},
    imports={"contacts": Importing("rapport.contacts.service:contacts", ("email", "phone"))},
    areas=(Area("contacts", bench="getContact"), Area("customer360", bench="getContact360")),
    summaries=("rapport.contacts.customer360:ACCOUNT_PART",),
)
