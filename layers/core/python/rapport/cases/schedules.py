"""The SLA timers kept as EventBridge Scheduler one-time schedules (rapport.cases.timers says why schedules).

`keep_armed` runs on every `case.*` event: it reads the case as it is now and puts the schedule of each kind of
timer the case needs, deleting the schedule of a kind it no longer needs. It reads the case rather than the event,
so a redelivered or late event arms for the current version, like the newest event does.

`on_fired` runs when a schedule invokes the worker with its timer: `fire` acts or not; a timer deferred to the
next opening is put again. A stale timer arms the case again from what it is now: two events of one case handled
at once may put their timers in either order, and the older one, when it fires, hands over to the current version.

`Scheduler` is the port, `EventBridgeScheduler` its adapter (UTC, no flexible window, deleted after it fires).
"""

from __future__ import annotations

import json
import math
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any, Protocol

from rapport import aws
from rapport.cases.manifest import CASE
from rapport.cases.service import CaseService
from rapport.cases.timers import Fired, Outcome, Timer, TimerKind, armed, fire, schedule_name
from rapport.dal import repository


class Scheduler(Protocol):
    def put(self, name: str, at: datetime, payload: Mapping[str, Any]) -> None:
        """Creates, or replaces, the one-time schedule `name` that invokes the worker with `payload` at `at`."""

    def delete(self, name: str) -> None:
        """Deletes the schedule `name`; nothing when there is none."""


def keep_armed(scheduler: Scheduler, tenant_id: str, case_id: str, now: datetime) -> list[Timer]:
    """Puts the schedules of the timers the case needs at `now` and deletes the others; the timers put."""
    case = repository.get(tenant_id, CASE, case_id)
    timers = armed(case, now) if case is not None else []
    by_kind = {timer.kind: timer for timer in timers}
    for kind in TimerKind:
        timer = by_kind.get(kind)
        if timer is None:
            scheduler.delete(schedule_name(tenant_id, case_id, kind))
        else:
            scheduler.put(timer.name, max(timer.at, now), timer.payload())
    return timers


def on_fired(service: CaseService, scheduler: Scheduler, timer: Timer, now: datetime) -> Outcome:
    """Fires `timer` at `now`; puts it again when deferred, and arms the current version when it is stale."""
    outcome = fire(service, timer, now)
    if outcome.again is not None:
        scheduler.put(outcome.again.name, outcome.again.at, outcome.again.payload())
    elif outcome.fired is Fired.STALE:
        keep_armed(scheduler, timer.tenant_id, timer.case_id, now)
    return outcome


def at_expression(at: datetime) -> str:
    """`at(...)` in UTC to the second, rounded up: a schedule must not fire before the time its timer is due."""
    seconds = math.ceil(at.timestamp())
    return f"at({datetime.fromtimestamp(seconds, UTC):%Y-%m-%dT%H:%M:%S})"


class EventBridgeScheduler:
    """Schedules in the group `group` that invoke `target_arn` (the worker) as the role `role_arn`."""

    def __init__(self, group: str, target_arn: str, role_arn: str) -> None:
        self._group, self._target_arn, self._role_arn = group, target_arn, role_arn

    def put(self, name: str, at: datetime, payload: Mapping[str, Any]) -> None:
        client = aws.client("scheduler")
        schedule = {
            "Name": name,
            "GroupName": self._group,
            "ScheduleExpression": at_expression(at),
            "ScheduleExpressionTimezone": "UTC",
            "FlexibleTimeWindow": {"Mode": "OFF"},
            "ActionAfterCompletion": "DELETE",
            "State": "ENABLED",  # UpdateSchedule replaces the whole schedule: say it, or moto forgets it
            "Target": {"Arn": self._target_arn, "RoleArn": self._role_arn, "Input": json.dumps(dict(payload))},
        }
        try:
            client.create_schedule(**schedule)
        except client.exceptions.ConflictException:
            client.update_schedule(**schedule)

    def delete(self, name: str) -> None:
        client = aws.client("scheduler")
        try:
            client.delete_schedule(Name=name, GroupName=self._group)
        except client.exceptions.ResourceNotFoundException:
            return
