"""Service: cases, their conversation, and the open ones in the customer's 360 view."""

from __future__ import annotations

from rapport.auth import EVERYONE, STAFF_WHO_EDIT, Action, Role
from rapport.contexts import Area, Context, Derivation, Image, Kind

CASE = Kind("CASE", "case")
SERVICE_SETTINGS = Kind("SERVICE_SETTINGS", "service settings", document=True)


def _recorded(image: Image, field: str) -> int:
    return len((image.get("sla_basis") or {}).get(field) or {})


def _derived(before: Image, after: Image) -> list[str]:
    """A message added; an SLA warning or breach recorded by its timer (rapport.cases.timers)."""
    events = ["message_added"] if after.get("message_count", 0) > before.get("message_count", 0) else []
    if _recorded(after, "warnings") > _recorded(before, "warnings"):
        events.append("sla_warned")
    if _recorded(after, "breaches") > _recorded(before, "breaches"):
        events.append("sla_breached")
    return events


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
        # Queues, routing, business hours and SLA targets bind every agent: management's call.
        "service_settings": {Action.READ: EVERYONE, Action.UPDATE: frozenset({Role.ADMIN, Role.MANAGER})},
    },
    derivations={CASE.entity: Derivation(("message_added", "sla_warned", "sla_breached"), _derived)},
    exports={"cases": "rapport.cases.service:cases"},
    areas=(Area("cases", bench="getCase"),),
    summaries=("rapport.cases.customer360:OPEN_CASES",),
    timeline_entries=("rapport.cases.timeline:CaseEntry",),
    notification_templates=(
        "rapport.cases.notices:CASE_REPLY",
        "rapport.cases.notices:CASE_SLA_WARNING",
        "rapport.cases.notices:CASE_SLA_BREACHED",
    ),
)
