"""SLA timers: a warning before a case's soonest target is breached, and the breach itself, each fired once.

Why one-time EventBridge Scheduler schedules (`at(...)`, `ActionAfterCompletion=DELETE`) rather than Step
Functions waits: a case's due time moves all the time (a pause, a reply, a priority change re-time it), and a
schedule has a name we choose, so re-arming is one idempotent `CreateSchedule`/`UpdateSchedule` on the case's
name, while a waiting execution would have to be found and stopped and a new one started (paying state
transitions for every move, and keeping a year-long execution per open case). Scheduler scales to millions of
pending schedules and deletes each after it fires; the local runtime already fires schedules.

Versioned: a timer carries the case's version it was armed for (`Timer.version`). Every write of a case arms
again (by the case's `case.*` events) with the new version, and a timer that fires re-reads the case and acts only
if that version is still current — so changing the priority or the status twice within a second arms twice, the
first timer finds a newer version and does nothing, and exactly one breach action happens. Acting is itself a
write conditioned on that version (the breach recorded in the case's SLA facts), so a redelivered timer cannot
act twice either. The recorded breach makes the case's stream yield `case.sla_breached`, which starts the
escalation workflow.

Out of hours a timer acts not: it is armed again, same version, for the calendar's next opening (a breach due at
17:00 on a 9-17 calendar escalates at 09:00 the next working day). The clock is passed in.
"""

from __future__ import annotations

import hashlib
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Any, NamedTuple

from rapport import normalize
from rapport.auth import Caller
from rapport.cases import sla
from rapport.cases.manifest import CASE
from rapport.cases.service import CaseService
from rapport.dal import repository
from rapport.dal.repository import Record, UnitOfWork
from rapport.errors import PreconditionFailed

ACTOR = "sla-timer"


class TimerKind(StrEnum):
    WARNING = "warning"
    BREACH = "breach"


class Fired(StrEnum):
    ACTED = "acted"  # the warning or the breach is recorded on the case
    STALE = "stale"  # the case changed since the timer was armed (or is gone): a newer timer stands for it
    DEFERRED = "deferred"  # out of hours: armed again for the next opening
    NOTHING_DUE = "nothing_due"  # met, paused or already recorded


def schedule_name(tenant_id: str, case_id: str, kind: TimerKind) -> str:
    """One schedule per case and kind (64 characters at most): arming again replaces it."""
    digest = hashlib.sha256(f"{tenant_id}#{case_id}".encode()).hexdigest()[:40]
    return f"case-sla-{kind}-{digest}"


class Timer(NamedTuple):
    tenant_id: str
    case_id: str
    kind: TimerKind
    target: str
    due_at: datetime  # the target's due time the timer stands for
    at: datetime  # when it fires
    version: int

    @property
    def name(self) -> str:
        return schedule_name(self.tenant_id, self.case_id, self.kind)

    def payload(self) -> dict[str, Any]:
        return {
            "tenant_id": self.tenant_id,
            "case_id": self.case_id,
            "kind": self.kind.value,
            "target": self.target,
            "due_at": self.due_at.isoformat(),
            "at": self.at.isoformat(),
            "version": self.version,
        }

    @classmethod
    def of(cls, payload: dict[str, Any]) -> Timer:
        return cls(
            tenant_id=payload["tenant_id"],
            case_id=payload["case_id"],
            kind=TimerKind(payload["kind"]),
            target=payload["target"],
            due_at=datetime.fromisoformat(payload["due_at"]),
            at=datetime.fromisoformat(payload["at"]),
            version=int(payload["version"]),
        )


def armed(case: Record, now: datetime) -> list[Timer]:
    """The timers a case needs as it is now: for its soonest running target not yet breached, the warning (if the
    policy warns and its time is still ahead) and the breach. None for a trashed, stopped or untimed case."""
    if case.deleted or not case.data.get("sla_basis"):
        return []
    facts = sla.SlaBasis.model_validate(case.data["sla_basis"])
    soonest = sla.next_to_breach(facts, case.data, now)
    if soonest is None:
        return []
    target, due = soonest
    version = case.version or 0
    timers = [Timer(case.tenant_id, case.id, TimerKind.BREACH, target, due, due, version)]
    if facts.warn_before_minutes and target not in facts.warnings:
        calendar = facts.calendar.business()
        ahead = calendar.between(now, due) - facts.warn_before_minutes * 60
        if ahead > 0:
            warn_at = calendar.add(now, ahead)
            timers.insert(0, Timer(case.tenant_id, case.id, TimerKind.WARNING, target, due, warn_at, version))
    return timers


class Outcome(NamedTuple):
    fired: Fired
    again: Timer | None = None  # the timer armed again, when deferred


def fire(service: CaseService, timer: Timer, now: datetime) -> Outcome:
    """Act on `timer` at `now` if the case is still at the version it was armed for, in business hours, and the
    target is (for a warning: nearly) breached and not recorded yet: one write conditioned on that version."""
    case = repository.get(timer.tenant_id, CASE, timer.case_id)
    if case is None or case.deleted or case.version != timer.version or not case.data.get("sla_basis"):
        return Outcome(Fired.STALE)
    facts = sla.SlaBasis.model_validate(case.data["sla_basis"])
    calendar = facts.calendar.business()
    if not calendar.is_open(now):
        opening = calendar.add(now + timedelta(microseconds=1), 0)
        return Outcome(Fired.DEFERRED, _again(timer, opening))
    recorded = facts.breaches if timer.kind is TimerKind.BREACH else facts.warnings
    clock = getattr(sla.figures(facts, case.data, now), timer.target)
    if timer.target in recorded or clock is None or clock.met_at is not None or clock.paused:
        return Outcome(Fired.NOTHING_DUE)
    if timer.kind is TimerKind.BREACH and not clock.breached:
        return Outcome(Fired.NOTHING_DUE)
    field = "breaches" if timer.kind is TimerKind.BREACH else "warnings"
    changes = {"sla_basis": {field: {timer.target: normalize.instant(clock.due_at)}}}  # a merge patch: adds one
    work = UnitOfWork()
    service.stage_update(work, _system(timer.tenant_id), case, changes)
    try:
        service.commit(work, case)
    except PreconditionFailed:  # the case changed meanwhile: the timer armed for its new version decides
        return Outcome(Fired.STALE)
    return Outcome(Fired.ACTED)


def _system(tenant_id: str) -> Caller:
    return Caller(tenant_id=tenant_id, user_id=ACTOR, roles=frozenset())


def _again(timer: Timer, at: datetime) -> Timer:
    return Timer(timer.tenant_id, timer.case_id, timer.kind, timer.target, timer.due_at, at, timer.version)
