"""A case's SLA clock: the policy that applies to it, and where each of its targets stands at an instant.

What is stored on the case (`sla_basis`) are facts, never figures: the policy as it was when the case was created
(its calendar and targets copied, so later edits of the settings do not move a case's due times, and a read needs
no other item), when the clock started, the intervals it was stopped (`pending` or `on_hold`, or resolved), and
when the customer last wrote and was answered. The figures (`due_at`, `met_at`, `breached`, `paused`,
`remaining_business_seconds`) are computed from those facts, the case's priority and response stamps, and the
clock passed in — so a read shows the current figures, and a priority change re-times every target from the
start.

- `first_response`: from creation to the first public staff reply (`first_response_at`).
- `next_response`: from a customer's message to the next public staff reply; each customer message restarts it.
- `resolution`: from creation to resolved (`resolved_at`).

A stopped interval is added back: the clock stops at its start with what remained, and resumes at its end.
Outside business hours the clock does not run, and `paused` stays false (it is true only while the case is
`pending` or `on_hold` and the target is unmet).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from datetime import datetime
from typing import Any

from pydantic import Field

from rapport.cases.business_hours import BusinessCalendar
from rapport.cases.models import CasePriority, CaseStatus, SlaFigures, TargetClock
from rapport.cases.settings import Calendar, Escalation, ServiceSettings, SlaPolicy, Targets
from rapport.types import Instant, LazyModel

PAUSING = frozenset({CaseStatus.PENDING, CaseStatus.ON_HOLD})
STOPPING = PAUSING | {CaseStatus.RESOLVED, CaseStatus.CLOSED}
TARGETS = ("first_response", "next_response", "resolution")


class Stop(LazyModel):
    start: Instant
    end: Instant | None = None


class SlaBasis(LazyModel):
    """The facts a case's SLA figures are computed from (stored on the case)."""

    policy: str
    calendar: Calendar
    targets: dict[CasePriority, Targets]
    warn_before_minutes: int | None = None
    escalation: Escalation
    started_at: Instant
    stops: list[Stop] = Field(default_factory=list)
    customer_wrote_at: Instant | None = None
    answered_at: Instant | None = None
    warnings: dict[str, Instant] = Field(default_factory=dict, description="Target: the due time warned of")
    breaches: dict[str, Instant] = Field(default_factory=dict, description="Target: the due time breached")


def applicable(
    settings: ServiceSettings, case: Mapping[str, Any], account_tags: Callable[[], Iterable[str]]
) -> SlaPolicy | None:
    """The first policy whose conditions the case (and its account's tags, read only if a policy asks) meet."""
    tags: set[str] | None = None
    for policy in settings.sla_policies:
        conditions = policy.conditions
        if conditions.types and case["type"] not in conditions.types:
            continue
        if conditions.priorities and case["priority"] not in conditions.priorities:
            continue
        if conditions.channels and case.get("channel") not in conditions.channels:
            continue
        if conditions.account_tags:
            tags = set(account_tags()) if tags is None else tags
            if not tags.intersection(conditions.account_tags):
                continue
        return policy
    return None


def basis(settings: ServiceSettings, policy: SlaPolicy, started_at: datetime) -> SlaBasis:
    return SlaBasis(
        policy=policy.name,
        calendar=settings.calendar(policy.calendar),
        targets=policy.targets,
        warn_before_minutes=policy.warn_before_minutes,
        escalation=policy.escalation,
        started_at=started_at,
    )


def status_changed(facts: SlaBasis, before: str, after: str, at: datetime) -> SlaBasis:
    """The facts after the case moved from status `before` to `after` at `at`: a stop opens or closes."""
    stopped, stops = before in STOPPING, after in STOPPING
    if stops and not stopped:
        return facts.model_copy(update={"stops": [*facts.stops, Stop(start=at)]})
    if stopped and not stops and facts.stops and facts.stops[-1].end is None:
        closed = facts.stops[-1].model_copy(update={"end": max(at, facts.stops[-1].start)})
        return facts.model_copy(update={"stops": [*facts.stops[:-1], closed]})
    return facts


def customer_wrote(facts: SlaBasis, at: datetime) -> SlaBasis:
    """A customer's message, by any channel, restarts the next-response clock."""
    return facts.model_copy(update={"customer_wrote_at": at, "answered_at": None})


def staff_replied(facts: SlaBasis, at: datetime) -> SlaBasis:
    """A public staff reply meets the next response the customer waits for (if any)."""
    if facts.customer_wrote_at is None or facts.answered_at is not None:
        return facts
    return facts.model_copy(update={"answered_at": at})


def figures(facts: SlaBasis, case: Mapping[str, Any], now: datetime) -> SlaFigures:
    """Each target's figures at `now` for the case (its priority, status, response and resolution stamps)."""
    targets = facts.targets.get(CasePriority(case["priority"]), Targets())
    calendar = facts.calendar.business()
    paused = case["status"] in PAUSING
    started = {
        "first_response": (facts.started_at, _instant(case.get("first_response_at"))),
        "next_response": (facts.customer_wrote_at, facts.answered_at),
        "resolution": (facts.started_at, _instant(case.get("resolved_at"))),
    }
    clocks: dict[str, TargetClock | None] = {}
    for name in TARGETS:
        minutes: int | None = getattr(targets, name)
        start, met_at = started[name]
        clocks[name] = (
            None
            if minutes is None or start is None
            else _clock(calendar, start, minutes * 60, facts.stops, met_at, now, paused=paused)
        )
    return SlaFigures(policy=facts.policy, **clocks)


def next_due(facts: SlaBasis, case: Mapping[str, Any], now: datetime) -> datetime | None:
    """The soonest due time of the case's running targets (none while it is stopped or every target is met)."""
    if case["status"] in STOPPING:
        return None
    shown = figures(facts, case, now)
    clocks = (shown.first_response, shown.next_response, shown.resolution)
    running = [clock.due_at for clock in clocks if clock is not None and clock.met_at is None]
    return min(running, default=None)


def next_to_breach(facts: SlaBasis, case: Mapping[str, Any], now: datetime) -> tuple[str, datetime] | None:
    """The running target that breaches soonest and has not been recorded as breached, with its due time."""
    if case["status"] in STOPPING:
        return None
    shown = figures(facts, case, now)
    running = [
        (clock.due_at, name)
        for name in TARGETS
        if (clock := getattr(shown, name)) is not None and clock.met_at is None and name not in facts.breaches
    ]
    if not running:
        return None
    due, name = min(running)
    return name, due


def _clock(
    calendar: BusinessCalendar,
    start: datetime,
    seconds: int,
    stops: Sequence[Stop],
    met_at: datetime | None,
    now: datetime,
    *,
    paused: bool,
) -> TargetClock:
    """A target of `seconds` business seconds from `start`, stopped during `stops`, met at `met_at` (or not)."""
    due = calendar.add(start, seconds)
    end = met_at or now
    for stop in stops:
        if stop.end is not None and stop.end <= start:
            continue
        stop_start = max(stop.start, start)
        if stop_start >= due or stop_start > end:
            break
        remaining = calendar.between(stop_start, due)
        if stop.end is None or stop.end >= end:
            due_at = calendar.add(now, remaining) if met_at is None else due
            return TargetClock(
                due_at=due_at,
                met_at=met_at,
                breached=False,
                paused=paused and met_at is None,
                remaining_business_seconds=round(remaining),
            )
        due = calendar.add(stop.end, remaining)
    left = calendar.between(end, due) if end < due else -calendar.between(due, end)
    breached = met_at > due if met_at is not None else now >= due
    return TargetClock(
        due_at=due, met_at=met_at, breached=breached, paused=False, remaining_business_seconds=round(left)
    )


def _instant(value: Any) -> datetime | None:
    return datetime.fromisoformat(value) if isinstance(value, str) else value
