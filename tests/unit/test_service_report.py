"""The service report's figures from cases as the index ranges return them (pure: no table)."""

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from rapport.cases.manifest import CASE
from rapport.cases.reports import AGE_BANDS, compile_report
from rapport.dal.repository import Record
from rapport.periods import parse_period

NOVEMBER = parse_period("2026-11")
NOW = datetime(2026, 11, 30, 12, tzinfo=UTC)
# Monday 2 November 2026, 09:00-17:00 UTC on weekdays (the default calendar's hours)
CALENDAR = {"name": "office", "time_zone": "UTC"}
HOUR = 3600


def at(day: int, hour: int, minute: int = 0) -> datetime:
    return datetime(2026, 11, day, hour, minute, tzinfo=UTC)


def iso(moment: datetime) -> str:
    return moment.strftime("%Y-%m-%dT%H:%M:%SZ")


def case(
    number: int,
    *,
    opened: datetime,
    queue: str | None = "general",
    owner: str | None = "agent-1",
    resolved: datetime | None = None,
    answered: datetime | None = None,
    timed: dict[str, int] | None = None,
    stops: tuple[tuple[datetime, datetime | None], ...] = (),
    breaches: dict[str, str] | None = None,
    reopened: int = 0,
) -> Record:
    data: dict[str, Any] = {"status": "resolved" if resolved else "open", "priority": "normal", "type": "problem"}
    if queue:
        data["queue"] = queue
    if owner:
        data["owner_id"] = owner
    if resolved:
        data["resolved_at"] = iso(resolved)
    if answered:
        data["first_response_at"] = iso(answered)
    if reopened:
        data["reopened_count"] = reopened
    if timed is not None:
        data["sla_basis"] = {
            "policy": "standard",
            "calendar": CALENDAR,
            "targets": {"normal": timed},
            "escalation": {},
            "started_at": iso(opened),
            "stops": [{"start": iso(start), "end": iso(end) if end else None} for start, end in stops],
            "breaches": breaches or {},
        }
    return Record(
        kind=CASE,
        id=f"case-{number}",
        tenant_id="t1",
        data=data,
        created_at=iso(opened),
        created_by="agent-1",
        updated_at=iso(resolved or opened),
        updated_by="agent-1",
    )


def test_first_response_and_resolution_are_business_time_less_the_pauses():
    # Opened Friday 16:00, answered Monday 10:00: Friday 16-17 and Monday 9-10. Pending Monday 11:00-14:00, then
    # resolved at 15:00: Friday 16-17, Monday 9-11 and 14-15.
    resolved = case(
        1,
        opened=at(6, 16),
        answered=at(9, 10),
        resolved=at(9, 15),
        timed={"first_response": 240, "resolution": 480},
        stops=((at(9, 11), at(9, 14)), (at(9, 15), None)),
    )
    report = compile_report(NOVEMBER, [resolved], [resolved], [], now=NOW)
    assert report.totals.first_response.median_seconds == 2 * HOUR
    assert report.totals.resolution.median_seconds == 4 * HOUR  # 16-17, 9-11, 14-15
    assert (report.totals.sla_timed, report.totals.sla_compliance_percent) == (1, 100.0)


def test_a_breached_target_makes_a_case_non_compliant_and_an_untimed_case_counts_elapsed_time():
    late = case(1, opened=at(2, 9), answered=at(2, 12), resolved=at(2, 13), timed={"first_response": 60})
    recorded = case(
        2,
        opened=at(3, 9),
        answered=at(3, 9, 30),
        resolved=at(3, 10),
        timed={},
        breaches={"resolution": "2026-11-03T09:45:00Z"},
    )
    untimed = case(3, opened=at(4, 22), answered=at(5, 1), resolved=at(5, 2))
    report = compile_report(NOVEMBER, [], [late, recorded, untimed], [], now=NOW)
    totals = report.totals
    assert (totals.resolved, totals.sla_timed, totals.sla_compliance_percent) == (3, 2, 0.0)
    # first responses 3 h (business), 30 min (business), 3 h (elapsed: no business hours)
    assert (totals.first_response.median_seconds, totals.first_response.p90_seconds) == (3 * HOUR, 3 * HOUR)
    # resolutions 4 h, 1 h, 4 h
    assert (totals.resolution.median_seconds, totals.resolution.p90_seconds) == (4 * HOUR, 4 * HOUR)


def test_figures_are_grouped_by_queue_and_by_agent_with_none_for_no_queue_and_nobody():
    cases = [
        case(1, opened=at(2, 9), queue="billing", owner="ana"),
        case(2, opened=at(2, 10), queue="billing", owner=None),
        case(3, opened=at(2, 11), queue=None, owner="ana"),
    ]
    report = compile_report(NOVEMBER, cases, [], cases, now=NOW)
    assert [(q.queue, q.opened, q.backlog.total) for q in report.queues] == [("billing", 2, 2), (None, 1, 1)]
    assert [(a.owner_id, a.opened) for a in report.agents] == [("ana", 2), (None, 1)]
    assert report.totals.opened == 3 and report.totals.resolved == 0
    assert report.totals.first_response.median_seconds is None and report.totals.reopen_rate_percent is None


def test_the_backlog_is_banded_by_age_and_the_reopen_rate_counts_resolved_cases_reopened_before():
    backlog = [case(n, opened=NOW - timedelta(days=days)) for n, days in enumerate((0.5, 2, 5, 10, 45, 60))]
    again = case(10, opened=at(2, 9), resolved=at(3, 9), reopened=2)
    once = case(11, opened=at(2, 9), resolved=at(3, 9))
    report = compile_report(NOVEMBER, [], [again, once], backlog, now=NOW)
    assert report.totals.backlog.by_age == {
        "under_1_day": 1,
        "1_to_3_days": 1,
        "3_to_7_days": 1,
        "7_to_30_days": 1,
        "over_30_days": 2,
    }
    assert (report.totals.reopened, report.totals.reopen_rate_percent) == (1, 50.0)


@given(st.lists(st.floats(min_value=0, max_value=400, allow_nan=False), max_size=40))
def test_every_open_case_falls_in_exactly_one_age_band(ages: list[float]):
    backlog = [case(n, opened=NOW - timedelta(days=days)) for n, days in enumerate(ages)]
    report = compile_report(NOVEMBER, [], [], backlog, now=NOW)
    assert sum(report.totals.backlog.by_age.values()) == report.totals.backlog.total == len(ages)
    assert list(report.totals.backlog.by_age) == [name for name, _ in AGE_BANDS]


@pytest.mark.parametrize(
    ("values", "median", "p90"),
    [([5.0], 5, 5), ([1.0, 2.0], 1, 2), ([float(n) for n in range(1, 11)], 5, 9), ([3.0, 1.0, 2.0], 2, 3)],
)
def test_percentiles_are_nearest_rank(values: list[float], median: int, p90: int):
    resolved = [
        case(n, opened=at(2, 0), resolved=at(2, 0) + timedelta(seconds=value), owner=None)
        for n, value in enumerate(values)
    ]
    durations = compile_report(NOVEMBER, [], resolved, [], now=NOW).totals.resolution
    assert (durations.count, durations.median_seconds, durations.p90_seconds) == (len(values), median, p90)
