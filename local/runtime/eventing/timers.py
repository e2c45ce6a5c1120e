"""One-time EventBridge Scheduler schedules (`at(...)`): moto stores them but never fires them; this does.

Every second while the runtime runs (or at once through `fire_due`, the clock passed in), each enabled `at()`
schedule of the template's schedule groups whose time has come invokes its target function with its `Input`, as
EventBridge Scheduler does; one with `ActionAfterCompletion=DELETE` is deleted first, as Scheduler deletes it once
the (asynchronous) invocation is accepted — so a target that puts a schedule of the same name again, as the SLA
timers worker does to defer a timer, keeps the new one. Recurring (`rate`, `cron`) schedules are not fired.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any
from zoneinfo import ZoneInfo

from local.runtime.eventing.shared import Context, event_object, log

POLL_SECONDS = 1.0
_AT = "at("


@dataclass(frozen=True)
class Due:
    group: str
    name: str
    target_arn: str
    payload: dict[str, Any]
    delete_after: bool


def at_time(expression: str, time_zone: str | None) -> datetime | None:
    """When an `at(yyyy-mm-ddThh:mm:ss)` expression fires, in `time_zone` (UTC when none); None for any other."""
    if not (expression.startswith(_AT) and expression.endswith(")")):
        return None
    local = datetime.fromisoformat(expression[len(_AT) : -1])
    return local.replace(tzinfo=ZoneInfo(time_zone or "UTC")).astimezone(UTC)


class OneTimeSchedules:
    def __init__(self, context: Context, groups: list[str]) -> None:
        self._context = context
        self.groups = groups
        self._fired: set[tuple[str, str, str]] = set()  # kept ones (no DELETE after completion) fire once

    def fire_due(self, now: datetime) -> list[str]:
        """Fires every schedule due at `now`; the names of those fired."""
        return [due.name for due in self._due(now) if self._fire(due)]

    def run_timers(self) -> None:
        """Fires due schedules every second until the eventing stops."""
        while not self._context.stop.wait(POLL_SECONDS):
            try:
                self.fire_due(datetime.now(UTC))
            except Exception:  # a failing round is logged; the next one tries again
                log.exception("one-time schedules: firing failed")

    def _due(self, now: datetime) -> list[Due]:
        scheduler = self._context.clients["scheduler"]
        found = []
        for group in self.groups:
            for listed in scheduler.list_schedules(GroupName=group)["Schedules"]:
                schedule = scheduler.get_schedule(Name=listed["Name"], GroupName=group)
                at = at_time(schedule["ScheduleExpression"], schedule.get("ScheduleExpressionTimezone"))
                fired = (group, schedule["Name"], schedule["ScheduleExpression"])
                disabled = schedule.get("State", "ENABLED") != "ENABLED"  # moto drops it on an update without one
                if at is None or at > now or disabled or fired in self._fired:
                    continue
                self._fired.add(fired)
                target = schedule["Target"]
                found.append(
                    Due(
                        group,
                        schedule["Name"],
                        target["Arn"],
                        event_object(json.loads(target.get("Input") or "{}")),
                        schedule.get("ActionAfterCompletion") == "DELETE",
                    )
                )
        return found

    def _fire(self, due: Due) -> bool:
        function_id = self._context.function_id(due.target_arn)
        if function_id is None:
            log.warning(
                "schedule %s is not run locally: %s is not a function of the template", due.name, due.target_arn
            )
            return False
        if due.delete_after:
            self._context.clients["scheduler"].delete_schedule(Name=due.name, GroupName=due.group)
        log.info("schedule %s -> %s", due.name, function_id)
        self._context.submit(self._context.invoke, function_id, due.payload)
        return True
