"""The service report (`GET /reports/service?period=`): for the tenant, each queue and each agent (the case's
owner), how many cases were opened and resolved, how long first responses and resolutions took in business time,
SLA compliance, the backlog by age and the reopen rate.

It reads three index ranges, each one Query paged as DynamoDB pages it (rapport.cases.store), never a Scan nor a
read per case: the cases opened in the period (the tenant's cases by id, whose ULIDs are their creation times), the
cases resolved in it (by `resolved_at`), and the backlog now (the cases not resolved or closed). What a case shows
is its state now: a case moved to another queue since counts in its new queue.

Durations are measured over the cases resolved in the period, as the case's SLA clock measures them: business
seconds of its policy's calendar, less the time it was pending, on hold or resolved before being reopened. A case
no policy timed has no business hours: its durations are elapsed seconds, and it counts toward neither SLA
compliance figure. Percentiles are nearest-rank.
"""

from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any, NamedTuple

from pydantic import Field

from rapport import normalize
from rapport.auth import Action, Caller
from rapport.cases import sla, store
from rapport.cases.business_hours import BusinessCalendar
from rapport.dal import repository
from rapport.dal.repository import Record
from rapport.periods import Period, period_of
from rapport.types import LazyModel

REPORT = __doc__ or ""
# Upper bounds (exclusive) of the backlog's age bands, in days; the last band is open.
AGE_BANDS: tuple[tuple[str, float], ...] = (
    ("under_1_day", 1),
    ("1_to_3_days", 3),
    ("3_to_7_days", 7),
    ("7_to_30_days", 30),
    ("over_30_days", math.inf),
)


class Durations(LazyModel):
    count: int = Field(description="Cases measured")
    median_seconds: int | None = Field(description="Business seconds (elapsed for a case no policy timed)")
    p90_seconds: int | None = Field(description="Nine in ten took at most this long")


class Backlog(LazyModel):
    total: int = Field(description="Cases not resolved or closed, now")
    by_age: dict[str, int] = Field(description="Since each was opened: " + ", ".join(name for name, _ in AGE_BANDS))


class ServiceFigures(LazyModel):
    opened: int = Field(description="Cases opened in the period")
    resolved: int = Field(description="Cases resolved (or closed) in the period, and not reopened since")
    first_response: Durations = Field(description="From opening to the first public staff reply, of those resolved")
    resolution: Durations = Field(description="From opening to resolution, of those resolved")
    sla_timed: int = Field(description="Resolved cases an SLA policy timed")
    sla_compliance_percent: float | None = Field(description="Of those, the share that breached no target")
    reopened: int = Field(description="Resolved cases that had been reopened at least once")
    reopen_rate_percent: float | None = Field(description="Their share of the resolved cases")
    backlog: Backlog


class QueueFigures(ServiceFigures):
    queue: str | None = Field(description="None: cases in no queue")


class AgentFigures(ServiceFigures):
    owner_id: str | None = Field(description="None: cases nobody owns")


class ServiceReport(LazyModel):
    period: str
    generated_at: datetime
    totals: ServiceFigures
    queues: list[QueueFigures] = Field(description="Each queue with a case in the figures, by name")
    agents: list[AgentFigures] = Field(description="Each owner with a case in the figures, by id")


@dataclass
class _Tally:
    opened: int = 0
    backlog_ages: list[float] = field(default_factory=list)
    first_responses: list[float] = field(default_factory=list)
    resolutions: list[float] = field(default_factory=list)
    resolved: int = 0
    timed: int = 0
    compliant: int = 0
    reopened: int = 0

    def figures(self) -> dict[str, Any]:
        return {
            "opened": self.opened,
            "resolved": self.resolved,
            "first_response": _durations(self.first_responses),
            "resolution": _durations(self.resolutions),
            "sla_timed": self.timed,
            "sla_compliance_percent": _percent(self.compliant, self.timed),
            "reopened": self.reopened,
            "reopen_rate_percent": _percent(self.reopened, self.resolved),
            "backlog": Backlog(total=len(self.backlog_ages), by_age=_bands(self.backlog_ages)),
        }


def service_report(caller: Caller, period_text: str, *, now: datetime) -> ServiceReport:
    """The report for `caller`'s tenant over the period `period_text` (a month or a quarter), as of `now`."""
    caller.require("cases", Action.READ)
    period = period_of(period_text)
    tenant_id = caller.tenant_id
    opened = repository.records(store.opened_between(tenant_id, period.starts_at, period.ends_at))
    resolved = repository.records(store.resolved_between(tenant_id, *_bounds(period)))
    backlog = repository.records(store.still_open(tenant_id))
    return compile_report(period, opened, resolved, backlog, now=now)


def compile_report(
    period: Period, opened: Iterable[Record], resolved: Iterable[Record], backlog: Iterable[Record], *, now: datetime
) -> ServiceReport:
    """The report from the cases opened and resolved in `period` and those open `now` (pure: the tests' entry)."""
    tallies: dict[tuple[str, str | None], _Tally] = defaultdict(_Tally)

    def each(case: Record, count: Callable[[_Tally], None]) -> None:
        for group in (("total", None), ("queue", case.data.get("queue")), ("agent", case.data.get("owner_id"))):
            count(tallies[group])

    for case in opened:
        each(case, _count_opened)
    for case in resolved:
        each(case, _resolution_counter(case))
    for case in backlog:
        each(case, _age_counter((now - _opened_at(case)).total_seconds() / 86400))
    return ServiceReport(
        period=period.label,
        generated_at=now,
        totals=ServiceFigures(**tallies[("total", None)].figures()),
        queues=[
            QueueFigures(queue=name, **tally.figures())
            for (group, name), tally in sorted(tallies.items(), key=_by_name)
            if group == "queue"
        ],
        agents=[
            AgentFigures(owner_id=name, **tally.figures())
            for (group, name), tally in sorted(tallies.items(), key=_by_name)
            if group == "agent"
        ],
    )


def _count_opened(tally: _Tally) -> None:
    tally.opened += 1


def _age_counter(days: float) -> Callable[[_Tally], None]:
    def count(tally: _Tally) -> None:
        tally.backlog_ages.append(days)

    return count


def _resolution_counter(case: Record) -> Callable[[_Tally], None]:
    """What one resolved case adds to each of its groups (measured once)."""
    measured = _measure(case)

    def count(tally: _Tally) -> None:
        tally.resolved += 1
        tally.reopened += 1 if case.data.get("reopened_count") else 0
        if measured.first_response is not None:
            tally.first_responses.append(measured.first_response)
        tally.resolutions.append(measured.resolution)
        if measured.timed:
            tally.timed += 1
            tally.compliant += 0 if measured.breached else 1

    return count


class _Measured(NamedTuple):
    first_response: float | None
    resolution: float
    timed: bool
    breached: bool


def _measure(case: Record) -> _Measured:
    data = case.data
    resolved_at = datetime.fromisoformat(data["resolved_at"])
    answered = data.get("first_response_at")
    answered_at = datetime.fromisoformat(answered) if answered else None
    if not data.get("sla_basis"):
        opened_at = _opened_at(case)
        return _Measured(
            first_response=(answered_at - opened_at).total_seconds() if answered_at else None,
            resolution=(resolved_at - opened_at).total_seconds(),
            timed=False,
            breached=False,
        )
    facts = sla.SlaBasis.model_validate(data["sla_basis"])
    opened_at = facts.started_at  # the SLA clock's start, on the same clock as its stops and stamps
    calendar = facts.calendar.business()
    stops = [(stop.start, stop.end or resolved_at) for stop in facts.stops]
    shown = sla.figures(facts, data, resolved_at)
    clocks = (shown.first_response, shown.next_response, shown.resolution)
    return _Measured(
        first_response=_business_seconds(calendar, opened_at, answered_at, stops) if answered_at else None,
        resolution=_business_seconds(calendar, opened_at, resolved_at, stops),
        timed=True,
        breached=any(clock is not None and clock.breached for clock in clocks) or bool(facts.breaches),
    )


def _opened_at(case: Record) -> datetime:
    return datetime.fromisoformat(case.created_at)


def _business_seconds(
    calendar: BusinessCalendar, start: datetime, end: datetime, stops: Sequence[tuple[datetime, datetime]]
) -> float:
    """Business seconds from `start` to `end`, less those in `stops` (the clock did not run)."""
    if end <= start:
        return 0.0
    stopped = sum(
        calendar.between(max(begin, start), min(finish, end))
        for begin, finish in stops
        if min(finish, end) > max(begin, start)
    )
    return max(calendar.between(start, end) - stopped, 0.0)


def _durations(values: list[float]) -> Durations:
    ordered = sorted(values)
    return Durations(
        count=len(ordered), median_seconds=_nearest_rank(ordered, 50), p90_seconds=_nearest_rank(ordered, 90)
    )


def _nearest_rank(ordered: Sequence[float], percentile: int) -> int | None:
    if not ordered:
        return None
    return round(ordered[max(math.ceil(percentile / 100 * len(ordered)), 1) - 1])


def _percent(part: int, whole: int) -> float | None:
    return round(100 * part / whole, 1) if whole else None


def _bands(ages: Iterable[float]) -> dict[str, int]:
    counts = dict.fromkeys((name for name, _ in AGE_BANDS), 0)
    for age in ages:
        counts[next(name for name, upper in AGE_BANDS if age < upper)] += 1
    return counts


def _bounds(period: Period) -> tuple[str, str]:
    """The period's first and last second, canonical UTC."""
    return normalize.instant(period.starts_at), normalize.instant(period.ends_at - timedelta(seconds=1))


def _by_name(item: tuple[tuple[str, str | None], _Tally]) -> tuple[str, bool, str]:
    (group, name), _ = item
    return group, name is None, name or ""
