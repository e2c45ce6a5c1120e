"""SLA timers under moto, the clock passed in: armed per case version, acting once, never out of hours."""

from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from rapport.auth import caller_from_claims
from rapport.cases.manifest import CASE
from rapport.cases.models import Case, CaseCreate, CaseMessageCreate
from rapport.cases.service import CaseService
from rapport.cases.settings import SERVICE_SETTINGS, ServiceSettings
from rapport.cases.timers import Fired, Timer, TimerKind, armed, fire
from rapport.dal import repository
from tests.integration.outbox import published
from tools.lambda_api import Staff, create

PARIS = ZoneInfo("Europe/Paris")
SUPPORT = Staff(user="agent-1", groups=("support",))
ADMIN = Staff(user="boss", groups=("admin",))
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
