"""SLA timers under moto, the clock passed in: armed per case version, acting once, never out of hours."""

import json
from collections.abc import Iterator, Mapping
from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import boto3  # type: ignore[import-untyped]
import pytest
from sla_timers.handler import lambda_handler

from rapport import config
from rapport.auth import caller_from_claims
from rapport.cases.manifest import CASE
from rapport.cases.models import Case, CaseCreate, CaseMessageCreate
from rapport.cases.schedules import EventBridgeScheduler, keep_armed, on_fired
from rapport.cases.service import CaseService
from rapport.cases.settings import SERVICE_SETTINGS, WEEKDAYS, ServiceSettings
from rapport.cases.timers import Fired, Timer, TimerKind, armed, fire
from rapport.dal import repository
from tests.integration.followups import CONTEXT, Bus
from tests.integration.outbox import published
from tools.lambda_api import Staff, create

PARIS = ZoneInfo("Europe/Paris")
SUPPORT = Staff(user="agent-1", groups=("support",))
ADMIN = Staff(user="boss", groups=("admin",))
ALWAYS_OPEN = {
    "calendars": [
        {
            "name": "always",
            "time_zone": "UTC",
            "hours": {day: [{"start": "00:00", "end": "24:00"}] for day in WEEKDAYS},
        }
    ],
    "sla_policies": [{"name": "fast", "calendar": "always", "targets": {"normal": {"first_response": 1}}}],
}
SETTINGS = {
    "calendars": [{"name": "paris", "time_zone": "Europe/Paris"}],
    "sla_policies": [
        {
            "name": "standard",
            "calendar": "paris",
            "targets": {
                "normal": {"first_response": 60},
                "high": {"first_response": 30},
                "urgent": {"first_response": 15},
            },
            "warn_before_minutes": 10,
        }
    ],
}


def paris(day: int, hour: int, minute: int = 0) -> datetime:
    """An instant of November 2026 in Paris (the 2nd is a Monday)."""
    return datetime(2026, 11, day, hour, minute, tzinfo=PARIS)


class Clock:
    def __init__(self) -> None:
        self.now = paris(3, 10)

    def __call__(self) -> datetime:
        return self.now


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def service(clock: Clock) -> CaseService:
    SERVICE_SETTINGS.replace(caller_from_claims(ADMIN.claims()), ServiceSettings.model_validate(SETTINGS), 0)
    return CaseService(clock=clock)


@pytest.fixture
def case(service: CaseService) -> Case:
    contact = str(create("createContact", ADMIN, last_name="Rosen")["id"])
    body = CaseCreate.model_validate({"subject": "Broken", "contact_id": contact})
    return service.create(caller_from_claims(SUPPORT.claims()), body)


def timers_of(case_id: str, now: datetime) -> list[Timer]:
    record = repository.get("tenant-a", CASE, case_id)
    assert record is not None
    return armed(record, now)


def change(service: CaseService, case_id: str, **changes: Any) -> None:
    record = repository.get("tenant-a", CASE, case_id)
    assert record is not None and record.version is not None
    service.update(caller_from_claims(SUPPORT.claims()), case_id, changes, record.version)


def breaches(case_id: str) -> dict[str, str]:
    record = repository.get("tenant-a", CASE, case_id)
    assert record is not None
    return dict(record.data["sla_basis"].get("breaches", {}))


def test_a_case_is_armed_with_a_warning_before_and_the_breach_at_its_due_time(case: Case, clock: Clock) -> None:
    warning, breach = timers_of(case.id, clock.now)
    assert (warning.kind, warning.at, warning.due_at) == (TimerKind.WARNING, paris(3, 10, 50), paris(3, 11))
    assert (breach.kind, breach.at, breach.target) == (TimerKind.BREACH, paris(3, 11), "first_response")
    assert warning.version == breach.version == case.version
    assert warning.name != breach.name and len(breach.name) <= 64
    assert Timer.of(breach.payload()) == breach


def test_changing_the_priority_twice_within_a_second_yields_exactly_one_breach_action(
    service: CaseService, case: Case, clock: Clock
) -> None:
    armed_timers = [timers_of(case.id, clock.now)[-1]]
    clock.now = paris(3, 10, 5)
    change(service, case.id, priority="high")
    armed_timers.append(timers_of(case.id, clock.now)[-1])
    clock.now = paris(3, 10, 5) + timedelta(milliseconds=400)
    change(service, case.id, priority="urgent")
    armed_timers.append(timers_of(case.id, clock.now)[-1])
    assert [timer.at for timer in armed_timers] == [paris(3, 11), paris(3, 10, 30), paris(3, 10, 15)]

    outcomes = []
    for timer in sorted(armed_timers, key=lambda timer: timer.at):
        clock.now = timer.at
        outcomes.append(fire(service, timer, timer.at).fired)
        outcomes.append(fire(service, timer, timer.at).fired)  # delivered twice
    # the newest version's timer acts; its redelivery and the older versions' find the case moved on
    assert outcomes == [Fired.ACTED] + [Fired.STALE] * 5
    assert breaches(case.id) == {"first_response": "2026-11-03T09:15:00Z"}
    breached = [event for event in published() if event.detail_type == "case.sla_breached"]
    assert [event.entity_id for event in breached] == [case.id]


def test_a_breach_due_at_closing_time_escalates_at_the_next_opening_never_out_of_hours(
    service: CaseService, case: Case, clock: Clock
) -> None:
    clock.now = paris(3, 16, 30)
    late = service.create(
        caller_from_claims(SUPPORT.claims()),
        CaseCreate.model_validate({"subject": "Late", "contact_id": case.contact_id, "priority": "high"}),
    )
    breach = timers_of(late.id, clock.now)[-1]
    assert breach.at == paris(3, 17)
    outcome = fire(service, breach, paris(3, 17))
    assert outcome.fired is Fired.DEFERRED and outcome.again is not None
    assert (outcome.again.at, outcome.again.version) == (paris(4, 9), breach.version)
    assert breaches(late.id) == {}
    assert fire(service, outcome.again, paris(4, 9)).fired is Fired.ACTED


def test_a_met_or_paused_target_does_not_breach(service: CaseService, case: Case, clock: Clock) -> None:
    breach = timers_of(case.id, clock.now)[-1]
    change(service, case.id, status="pending")
    assert timers_of(case.id, clock.now) == []
    current = repository.get("tenant-a", CASE, case.id)
    assert current is not None and current.version is not None
    paused = Timer(
        breach.tenant_id, breach.case_id, breach.kind, breach.target, breach.due_at, breach.at, current.version
    )
    assert fire(service, paused, paris(3, 11, 30)).fired is Fired.NOTHING_DUE

    change(service, case.id, status="open")
    reply = CaseMessageCreate.model_validate({"body": "On it", "visibility": "public"})
    service.add_message(caller_from_claims(SUPPORT.claims()), case.id, reply)
    assert timers_of(case.id, clock.now) == []
    assert fire(service, breach, paris(3, 11, 30)).fired is Fired.STALE
    assert breaches(case.id) == {}


def test_the_warning_is_recorded_once_and_then_the_breach(service: CaseService, case: Case, clock: Clock) -> None:
    warning, _ = timers_of(case.id, clock.now)
    assert fire(service, warning, warning.at).fired is Fired.ACTED
    (breach,) = timers_of(case.id, warning.at)  # armed again for the case's new version, no second warning
    assert fire(service, breach, paris(3, 11)).fired is Fired.ACTED
    assert timers_of(case.id, paris(3, 11)) == []
    kinds = [event.detail_type for event in published() if event.detail_type.startswith("case.sla")]
    assert kinds == ["case.sla_warned", "case.sla_breached"]


# Kept as one-time schedules: put by each case event, fired by the scheduler


class Schedules:
    """The Scheduler port played in memory: the one-time schedules by name."""

    def __init__(self) -> None:
        self.by_name: dict[str, tuple[datetime, dict[str, Any]]] = {}

    def put(self, name: str, at: datetime, payload: Mapping[str, Any]) -> None:
        self.by_name[name] = (at, dict(payload))

    def delete(self, name: str) -> None:
        self.by_name.pop(name, None)

    def timers(self) -> list[tuple[datetime, Timer]]:
        return sorted(((at, Timer.of(payload)) for at, payload in self.by_name.values()), key=lambda pair: pair[0])


@pytest.fixture
def schedules() -> Schedules:
    return Schedules()


def test_each_case_event_puts_the_schedules_the_case_needs_now_and_deletes_the_others(
    service: CaseService, case: Case, clock: Clock, schedules: Schedules
) -> None:
    keep_armed(schedules, "tenant-a", case.id, clock.now)
    assert [(at, timer.kind, timer.version) for at, timer in schedules.timers()] == [
        (paris(3, 10, 50), TimerKind.WARNING, case.version),
        (paris(3, 11), TimerKind.BREACH, case.version),
    ]
    assert set(schedules.by_name) == {timer.name for _, timer in schedules.timers()}

    clock.now = paris(3, 10, 5)
    change(service, case.id, priority="high")
    keep_armed(schedules, "tenant-a", case.id, clock.now)
    keep_armed(schedules, "tenant-a", case.id, clock.now)  # the event delivered twice
    assert [(at, timer.kind, timer.version) for at, timer in schedules.timers()] == [
        (paris(3, 10, 20), TimerKind.WARNING, 2),
        (paris(3, 10, 30), TimerKind.BREACH, 2),
    ]

    change(service, case.id, status="pending")
    keep_armed(schedules, "tenant-a", case.id, clock.now)
    assert schedules.by_name == {}


def test_a_case_armed_after_its_warning_time_gets_only_the_breach_and_one_past_due_fires_at_once(
    case: Case, schedules: Schedules
) -> None:
    keep_armed(schedules, "tenant-a", case.id, paris(3, 10, 55))
    assert [(at, timer.kind) for at, timer in schedules.timers()] == [(paris(3, 11), TimerKind.BREACH)]
    keep_armed(schedules, "tenant-a", case.id, paris(3, 11, 20))
    assert [(at, timer.kind, timer.at) for at, timer in schedules.timers()] == [
        (paris(3, 11, 20), TimerKind.BREACH, paris(3, 11))
    ]


def test_a_trashed_case_has_its_schedules_deleted(service: CaseService, case: Case, schedules: Schedules) -> None:
    keep_armed(schedules, "tenant-a", case.id, paris(3, 10))
    service.delete(caller_from_claims(SUPPORT.claims()), case.id, case.version)
    keep_armed(schedules, "tenant-a", case.id, paris(3, 10))
    assert schedules.by_name == {}


def test_a_timer_fired_out_of_hours_is_put_again_for_the_next_opening(
    service: CaseService, case: Case, clock: Clock, schedules: Schedules
) -> None:
    clock.now = paris(3, 16, 30)
    late = service.create(
        caller_from_claims(SUPPORT.claims()),
        CaseCreate.model_validate({"subject": "Late", "contact_id": case.contact_id, "priority": "high"}),
    )
    keep_armed(schedules, "tenant-a", late.id, clock.now)
    _, breach = schedules.timers()[-1]
    assert on_fired(service, schedules, breach, paris(3, 17) + timedelta(seconds=1)).fired is Fired.DEFERRED
    at, payload = schedules.by_name[breach.name]
    assert (at, Timer.of(payload).version) == (paris(4, 9), breach.version)
    assert breaches(late.id) == {}


def test_a_stale_timer_put_last_by_a_late_event_hands_over_to_the_current_version(
    service: CaseService, case: Case, clock: Clock, schedules: Schedules
) -> None:
    old_breach = timers_of(case.id, clock.now)[-1]
    change(service, case.id, priority="urgent")
    keep_armed(schedules, "tenant-a", case.id, clock.now)
    schedules.put(old_breach.name, old_breach.at, old_breach.payload())  # the older event's worker ran last
    assert on_fired(service, schedules, old_breach, paris(3, 11)).fired is Fired.STALE
    [(at, current)] = schedules.timers()
    assert (at, current.kind, current.version) == (paris(3, 11), TimerKind.BREACH, 2)
    assert on_fired(service, schedules, current, at).fired is Fired.ACTED
    assert breaches(case.id) == {"first_response": "2026-11-03T09:15:00Z"}


# The adapter and the worker against moto's EventBridge Scheduler

GROUP = "rapport-sla-timers"
ROLE_ARN = "arn:aws:iam::123456789012:role/rapport-scheduler"


@pytest.fixture
def scheduler_env(monkeypatch: pytest.MonkeyPatch) -> Iterator[Any]:
    monkeypatch.setenv("SCHEDULE_GROUP", GROUP)
    monkeypatch.setenv("SCHEDULER_ROLE_ARN", ROLE_ARN)
    config.reload()
    client = boto3.client("scheduler")
    client.create_schedule_group(Name=GROUP)
    yield client
    config.reload()


def test_the_adapter_creates_then_replaces_a_utc_schedule_rounded_up_to_the_second_and_deletes_it_once(
    scheduler_env: Any,
) -> None:
    adapter = EventBridgeScheduler(GROUP, CONTEXT.invoked_function_arn, ROLE_ARN)
    adapter.put("case-sla-breach-x", paris(3, 11), {"version": 1})
    adapter.put("case-sla-breach-x", paris(3, 11, 30) + timedelta(microseconds=1), {"version": 2})
    stored = scheduler_env.get_schedule(Name="case-sla-breach-x", GroupName=GROUP)
    assert stored["ScheduleExpression"] == "at(2026-11-03T10:30:01)"
    assert stored["ScheduleExpressionTimezone"] == "UTC"
    assert stored["FlexibleTimeWindow"] == {"Mode": "OFF"}
    assert (stored["ActionAfterCompletion"], stored["State"]) == ("DELETE", "ENABLED")
    assert stored["Target"]["Arn"] == CONTEXT.invoked_function_arn and stored["Target"]["RoleArn"] == ROLE_ARN
    assert json.loads(stored["Target"]["Input"]) == {"version": 2}
    adapter.delete("case-sla-breach-x")
    adapter.delete("case-sla-breach-x")
    assert scheduler_env.list_schedules(GroupName=GROUP)["Schedules"] == []


def test_the_worker_arms_on_a_case_event_acts_when_its_schedule_fires_and_then_deletes_it(
    scheduler_env: Any,
) -> None:
    SERVICE_SETTINGS.replace(caller_from_claims(ADMIN.claims()), ServiceSettings.model_validate(ALWAYS_OPEN), 0)
    bus = Bus()
    contact = str(create("createContact", ADMIN, last_name="Rosen")["id"])
    raised = datetime.now(UTC) - timedelta(minutes=2)  # its one-minute target already due when the worker runs
    body = CaseCreate.model_validate({"subject": "Broken", "contact_id": contact})
    case_id = CaseService(clock=lambda: raised).create(caller_from_claims(SUPPORT.claims()), body).id
    [created] = [event for event in bus.publish_new() if event["detail-type"] == "case.created"]
    assert set(lambda_handler(created, CONTEXT)["armed"]) == {"breach"}
    assert lambda_handler(created, CONTEXT)["armed"] == lambda_handler(created, CONTEXT)["armed"]  # redelivered
    [listed] = scheduler_env.list_schedules(GroupName=GROUP)["Schedules"]
    payload = json.loads(scheduler_env.get_schedule(Name=listed["Name"], GroupName=GROUP)["Target"]["Input"])
    assert (payload["case_id"], payload["kind"]) == (case_id, "breach")

    assert lambda_handler(payload, CONTEXT)["fired"] == "acted"
    assert lambda_handler(payload, CONTEXT)["fired"] == "stale"  # a redelivered timer acts not twice
    [breached] = [event for event in bus.publish_new() if event["detail-type"] == "case.sla_breached"]
    assert lambda_handler(breached, CONTEXT)["armed"] == {}
    assert scheduler_env.list_schedules(GroupName=GROUP)["Schedules"] == []
