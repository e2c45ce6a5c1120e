"""Scheduled rules: they fire on timers while the runtime runs, or at once through `run`."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime

from local.runtime.eventing.rules import Rule, Rules
from local.runtime.eventing.shared import Context, EventingError, timestamp


class Schedules:
    def __init__(self, context: Context, rules: Rules) -> None:
        self._context = context
        self._rules = rules
        self.due = {
            rule.logical_id: rule.schedule
            for rule in rules.by_id.values()
            if rule.schedule is not None and rule.enabled
        }

    def run(self, rule: str) -> list[str]:
        """Fires a scheduled rule now, by logical id or name, and says what each target did."""
        rules = self._rules.by_id
        found = rules.get(rule) or next((r for r in rules.values() if r.name == rule), None)
        if found is None or found.schedule is None:
            scheduled = sorted(r.logical_id for r in rules.values() if r.schedule)
            raise EventingError(f"no scheduled rule {rule!r}; scheduled rules: {scheduled}")
        return self._fire(found, datetime.now(UTC))

    def run_timers(self) -> None:
        """Fires each enabled scheduled rule when it is due, until the eventing stops."""
        now = datetime.now(UTC)
        due = {logical_id: schedule.next_after(now) for logical_id, schedule in self.due.items()}
        while True:
            logical_id, when = min(due.items(), key=lambda item: item[1])
            if self._context.stop.wait(max(0.0, (when - datetime.now(UTC)).total_seconds())):
                return
            self._context.submit(self._fire, self._rules.by_id[logical_id], when)
            due[logical_id] = self.due[logical_id].next_after(when)

    def _fire(self, rule: Rule, when: datetime) -> list[str]:
        event = {
            "version": "0",
            "id": str(uuid.uuid4()),
            "detail-type": "Scheduled Event",
            "source": "aws.events",
            "account": self._context.account,
            "time": timestamp(when),
            "region": self._context.region,
            "resources": [rule.arn],
            "detail": {},
        }
        return [self._rules.deliver(rule, target, event) for target in rule.targets]
