"""Service: cases, their conversation, and the open ones in the customer's 360 view."""

from __future__ import annotations

from rapport.auth import EVERYONE, STAFF_WHO_EDIT, Action, Role
from rapport.contexts import Area, Context, Derivation, Image, Kind

CASE = Kind("CASE", "case")
SERVICE_SETTINGS = Kind("SERVICE_SETTINGS", "service settings", document=True)


def _message_added(before: Image, after: Image) -> list[str]:
    return ["message_added"] if after.get("message_count", 0) > before.get("message_count", 0) else []


CONTEXT = Context(
    name="cases",
    kinds=(CASE, SERVICE_SETTINGS),
    # Support works cases (and trashes them); restoring from the trash is a manager's call, erasing an admin's.
    # Posting to a case's conversation is changing the case.
    permissions={
        "cases": {
            Action.READ: EVERYONE,
            Action.CREATE: STAFF_WHO_EDIT,
            Action.UPDATE: STAFF_WHO_EDIT,
            Action.DELETE: frozenset({Role.ADMIN, Role.MANAGER, Role.SUPPORT}),
            Action.RESTORE: frozenset({Role.ADMIN, Role.MANAGER}),
            Action.ERASE: frozenset({Role.ADMIN}),
        },
        # Agents see the queues they work in; which queues exist and who is in them is management's call.
        "service_settings": {
            Action.READ: EVERYONE,
            Action.UPDATE: frozenset({Role.ADMIN, Role.MANAGER}),
        },
    },
    derivations={CASE.entity: Derivation(("message_added",), _message_added)},
    areas=(Area("cases", bench="getCase"),),
    summaries=("rapport.cases.customer360:OPEN_CASES",),
    timeline_entries=("rapport.cases.timeline:CaseEntry",),
    notification_templates=("rapport.cases.notices:CASE_REPLY",),
)
