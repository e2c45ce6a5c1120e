"""The SLA escalation: what the case escalation state machine (infra/workflows/case_escalation.asl.json) does when
a case's SLA target is breached (`case.sla_breached`), step by step, each step its own task so that a failing one
is retried alone:

1. `opening`: when it may act — now in the case's business hours, else the calendar's next opening (the machine
   waits until then: escalations never fire out of hours);
2. `notify_owner`, then 3. `notify_queue_manager` (the `manager_id` of the case's queue in the service settings):
   the `case_sla_breached` notice through the notifier, each when the policy says so and there is someone to tell;
4. `escalate`: the policy's `raise_priority_to` (only ever up) and `move_to_queue`, one update of the case
   conditioned on the version it read, by the system actor.

The policy is the one copied onto the case when it was opened (`sla_basis.escalation`). Every notice carries a
dedupe key of the case and the breach, so a retried step or a redelivered event notifies nobody twice.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any

from rapport import normalize
from rapport.auth import Caller
from rapport.cases import sla
from rapport.cases.manifest import CASE
from rapport.cases.models import CasePriority
from rapport.cases.notices import CASE_SLA_BREACHED, CASE_SLA_WARNING
from rapport.cases.service import CaseService
from rapport.cases.settings import SERVICE_SETTINGS
from rapport.dal import repository
from rapport.dal.repository import Record, UnitOfWork
from rapport.errors import NotFound, PreconditionFailed
from rapport.events.models import DomainEvent
from rapport.notifications.requests import NotificationRequest, Recipient, RecipientType

ACTOR = "sla-escalation"
RequestNotification = Callable[[NotificationRequest], None]
_RANK = list(CasePriority)


class CaseChanged(Exception):
    """The case changed between the escalation's read and its write: the step is retried."""


def opening(tenant_id: str, case_id: str, now: datetime) -> datetime:
    """`now` if the case's calendar is open then, else its next opening."""
    facts = _facts(_case(tenant_id, case_id))
    calendar = facts.calendar.business()
    return now if calendar.is_open(now) else calendar.add(now + timedelta(microseconds=1), 0)


def notify_owner(tenant_id: str, case_id: str, request: RequestNotification) -> str | None:
    """The owner told of the breach, or None (no owner, or the policy does not notify owners)."""
    case = _case(tenant_id, case_id)
    owner = case.data.get("owner_id")
    if not _facts(case).escalation.notify_owner or not owner:
        return None
    request(_notice(case, str(owner)))
    return str(owner)


def notify_queue_manager(tenant_id: str, case_id: str, request: RequestNotification) -> str | None:
    """The manager of the case's queue told of the breach, or None (no queue, no manager, or not by the policy)."""
    case = _case(tenant_id, case_id)
    if not _facts(case).escalation.notify_queue_manager or not case.data.get("queue"):
        return None
    queues = SERVICE_SETTINGS.read(tenant_id).content.queues
    manager = next((queue.manager_id for queue in queues if queue.name == case.data["queue"]), None)
    if manager is None:
        return None
    request(_notice(case, manager))
    return manager


def escalate(service: CaseService, tenant_id: str, case_id: str) -> dict[str, Any]:
    """Raises the priority and moves the queue as the policy says, in one update of the version read; the
    changes made (none when the case already is so)."""
    case = _case(tenant_id, case_id)
    escalation = _facts(case).escalation
    changes: dict[str, Any] = {}
    raise_to = escalation.raise_priority_to
    if raise_to is not None and _RANK.index(raise_to) > _RANK.index(CasePriority(case.data["priority"])):
        changes["priority"] = raise_to.value
    if escalation.move_to_queue and escalation.move_to_queue != case.data.get("queue"):
        changes["queue"] = escalation.move_to_queue
    if not changes:
        return changes
    work = UnitOfWork()
    service.stage_update(work, Caller(tenant_id=tenant_id, user_id=ACTOR, roles=frozenset()), case, changes)
    try:
        service.commit(work, case)
    except PreconditionFailed as error:
        raise CaseChanged(f"case {case_id} changed since it was read") from error
    return changes


def warning_of(event: DomainEvent) -> NotificationRequest | None:
    """The owner's `case_sla_warning` notice of a `case.sla_warned` event (None for a case nobody owns)."""
    case = event.record
    owner = case.get("owner_id")
    warnings = (case.get("sla_basis") or {}).get("warnings") or {}
    if not owner or not warnings:
        return None
    target, due = max(warnings.items(), key=lambda item: str(item[1]))
    return NotificationRequest(
        tenant_id=event.tenant_id,
        recipient=Recipient(type=RecipientType.USER, id=str(owner)),
        template=CASE_SLA_WARNING.name,
        context={
            "case": {
                "id": event.entity_id,
                **{field: case.get(field) for field in ("number", "subject", "priority", "queue")},
            },
            "sla": {"target": target, "due_at": normalize.instant(due)},
        },
        dedupe_key=f"case-sla-warning:{event.entity_id}:{target}:{normalize.instant(due)}",
    )


def _case(tenant_id: str, case_id: str) -> Record:
    case = repository.get(tenant_id, CASE, case_id)
    if case is None or case.deleted or not case.data.get("sla_basis"):
        raise NotFound(f"case {case_id} is not a timed case")
    return case


def _facts(case: Record) -> sla.SlaBasis:
    return sla.SlaBasis.model_validate(case.data["sla_basis"])


def _notice(case: Record, user_id: str) -> NotificationRequest:
    target, due = max(_facts(case).breaches.items(), key=lambda item: item[1])
    return NotificationRequest(
        tenant_id=case.tenant_id,
        recipient=Recipient(type=RecipientType.USER, id=user_id),
        template=CASE_SLA_BREACHED.name,
        context={
            "case": {
                "id": case.id,
                **{field: case.data.get(field) for field in ("number", "subject", "priority", "queue")},
            },
            "sla": {"target": target, "due_at": normalize.instant(due)},
        },
        dedupe_key=f"case-sla-breached:{case.id}:{target}:{normalize.instant(due)}:{user_id}",
    )
