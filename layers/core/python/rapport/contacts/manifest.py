"""Contacts: the people Rapport's customers are, and the partition their 360 view reads."""

from __future__ import annotations

from rapport.auth import EVERYONE, STAFF_WHO_EDIT, Action, Role
from rapport.contexts import Area, Context, Kind

CONTACT = Kind("CON", "contact")

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
    areas=(Area("contacts", bench="getContact"),),
    summaries=("rapport.contacts.customer360:ACCOUNT_PART",),
)
