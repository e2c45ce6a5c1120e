"""A case's SLA clock through the cases service under moto, the clock passed in: the policy applied at creation,
business hours, pauses, responses, and the SLA work list."""

from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from rapport.auth import caller_from_claims
from rapport.cases.models import Case, CaseCreate, CaseMessageCreate
from rapport.cases.service import CaseService
from rapport.cases.settings import SERVICE_SETTINGS, ServiceSettings
from tools.lambda_api import Staff, call, create
from tools.metering import dynamodb_requests

PARIS = ZoneInfo("Europe/Paris")
SUPPORT = Staff(user="agent-1", groups=("support",))
ADMIN = Staff(user="boss", groups=("admin",))
HOUR = 3600
SETTINGS = {
    "calendars": [{"name": "paris", "time_zone": "Europe/Paris", "holidays": ["2026-11-11"]}],
    "sla_policies": [
        {
            "name": "vip",
            "calendar": "paris",
            "conditions": {"account_tags": ["vip"]},
            "targets": {"normal": {"first_response": 15}},
        },
        {
            "name": "standard",
            "calendar": "paris",
            "conditions": {"types": ["complaint", "problem"]},
            "targets": {
                "normal": {"first_response": 60, "next_response": 120, "resolution": 480},
                "urgent": {"first_response": 30, "resolution": 120},
            },
        },
    ],
}


def paris(day: int, hour: int, minute: int = 0) -> datetime:
    """An instant of November 2026 in Paris (the 2nd is a Monday, the 11th a holiday)."""
    return datetime(2026, 11, day, hour, minute, tzinfo=PARIS)


class Clock:
    def __init__(self) -> None:
        self.now = paris(3, 10)

    def __call__(self) -> datetime:
        return self.now

    def at(self, moment: datetime) -> None:
        self.now = moment


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def service(clock: Clock) -> CaseService:
    saved = SERVICE_SETTINGS.replace(caller(ADMIN), ServiceSettings.model_validate(SETTINGS), 0)
    assert saved.version == 1
    return CaseService(clock=clock)


@pytest.fixture
def contact() -> str:
    return str(create("createContact", ADMIN, last_name="Rosen")["id"])


def caller(staff: Staff) -> Any:
    return caller_from_claims(staff.claims())


def open_case(service: CaseService, contact: str, **fields: Any) -> Case:
    body = {"subject": "The part is broken", "type": "complaint", "contact_id": contact, **fields}
    return service.create(caller(SUPPORT), CaseCreate.model_validate(body))


def change(service: CaseService, case: Case, **changes: Any) -> Case:
    return service.update(caller(SUPPORT), case.id, changes, case.version)


def write(service: CaseService, case: Case, visibility: str = "public", author: str = "staff") -> None:
    message = CaseMessageCreate.model_validate({"body": "Hello", "visibility": visibility, "author": author})
    service.add_message(caller(SUPPORT), case.id, message)


def read(service: CaseService, case: Case) -> Case:
    return service.get(caller(SUPPORT), case.id)


def test_a_case_raised_at_half_past_four_with_a_one_hour_target_is_due_at_half_past_nine_the_next_day(
    service: CaseService, clock: Clock, contact: str
) -> None:
    clock.at(paris(3, 16, 30))
    case = open_case(service, contact)
    assert case.sla is not None and case.sla.first_response is not None
    assert case.sla.policy == "standard"
    assert case.sla.first_response.due_at == paris(4, 9, 30)
    assert case.sla.first_response.remaining_business_seconds == HOUR
    assert not case.sla.first_response.breached

    clock.at(paris(4, 9, 30))
    due = read(service, case).sla
    assert due is not None and due.first_response is not None
    assert (due.first_response.breached, due.first_response.remaining_business_seconds) == (True, 0)
    clock.at(paris(4, 10))
    late = read(service, case).sla
    assert late is not None and late.first_response is not None
    assert late.first_response.remaining_business_seconds == -HOUR / 2


def test_the_clock_skips_the_weekend_and_holidays(service: CaseService, clock: Clock, contact: str) -> None:
    clock.at(paris(6, 16, 30))  # Friday
    friday = open_case(service, contact).sla
    clock.at(paris(10, 16, 30))  # Tuesday before the 11th
    holiday = open_case(service, contact).sla
    assert friday is not None and friday.first_response is not None
    assert holiday is not None and holiday.first_response is not None
    assert friday.first_response.due_at == paris(9, 9, 30)
    assert holiday.first_response.due_at == paris(12, 9, 30)


def test_the_first_policy_whose_conditions_the_case_meets_applies(service: CaseService, contact: str) -> None:
    vip = str(create("createAccount", ADMIN, name="Tyrell", tags=["vip"])["id"])
    vip_contact = str(create("createContact", ADMIN, last_name="Tyrell", account_id=vip)["id"])
    assert open_case(service, vip_contact, type="question").sla.policy == "vip"  # type: ignore[union-attr]
    assert open_case(service, contact, type="problem").sla.policy == "standard"  # type: ignore[union-attr]
    untimed = open_case(service, contact, type="question")
    assert untimed.sla is None
    assert "sla_basis" not in untimed.model_dump()


def test_a_priority_without_targets_is_not_timed_and_a_change_of_priority_retimes_from_creation(
    service: CaseService, clock: Clock, contact: str
) -> None:
    case = open_case(service, contact, priority="low")
    assert case.sla is not None and case.sla.first_response is None
    clock.at(paris(3, 10, 20))
    urgent = change(service, case, priority="urgent").sla
    assert urgent is not None and urgent.first_response is not None and urgent.resolution is not None
    assert urgent.first_response.due_at == paris(3, 10, 30)
    assert urgent.resolution.due_at == paris(3, 12)
    assert urgent.next_response is None  # no customer message waits


def test_pending_pauses_the_clock_and_the_paused_time_is_added_back(
    service: CaseService, clock: Clock, contact: str
) -> None:
    case = open_case(service, contact)  # 10:00, first response due 11:00
    clock.at(paris(3, 10, 30))
    case = change(service, case, status="pending")
    clock.at(paris(3, 14))
    paused = read(service, case).sla
    assert paused is not None and paused.first_response is not None
    assert paused.first_response.paused
    assert paused.first_response.remaining_business_seconds == HOUR / 2
    assert paused.first_response.due_at == paris(3, 14, 30)
    assert not paused.first_response.breached

    clock.at(paris(3, 16, 50))
    case = change(service, read(service, case), status="open")
    clock.at(paris(3, 16, 55))
    running = read(service, case).sla
    assert running is not None and running.first_response is not None
    assert not running.first_response.paused
    assert running.first_response.due_at == paris(4, 9, 20)  # 10 minutes today, 20 tomorrow
    assert running.first_response.remaining_business_seconds == 25 * 60


def test_a_case_created_waiting_on_the_customer_starts_paused(service: CaseService, clock: Clock, contact: str) -> None:
    case = open_case(service, contact, status="pending")
    clock.at(paris(3, 15))
    paused = read(service, case).sla
    assert paused is not None and paused.first_response is not None
    assert (paused.first_response.paused, paused.first_response.remaining_business_seconds) == (True, HOUR)
    opened = change(service, read(service, case), status="open").sla
    assert opened is not None and opened.first_response is not None
    assert opened.first_response.due_at == paris(3, 16)


def test_on_hold_pauses_while_out_of_hours_the_clock_only_does_not_run(
    service: CaseService, clock: Clock, contact: str
) -> None:
    clock.at(paris(3, 16, 30))
    case = open_case(service, contact)
    clock.at(paris(3, 20))
    night = read(service, case).sla
    assert night is not None and night.first_response is not None
    assert (night.first_response.paused, night.first_response.remaining_business_seconds) == (False, HOUR / 2)
    held = change(service, case, status="on_hold").sla
    assert held is not None and held.first_response is not None and held.first_response.paused


def test_only_a_public_staff_reply_is_a_response_and_later_writes_never_move_it(
    service: CaseService, clock: Clock, contact: str
) -> None:
    case = open_case(service, contact)
    clock.at(paris(3, 10, 10))
    write(service, case, "internal")
    clock.at(paris(3, 10, 20))
    write(service, case, "public", "customer")
    unanswered = read(service, case)
    assert unanswered.first_response_at is None
    assert unanswered.sla is not None and unanswered.sla.first_response is not None
    assert unanswered.sla.first_response.met_at is None

    clock.at(paris(3, 10, 40))
    write(service, case)
    clock.at(paris(3, 11, 30))
    write(service, case)
    answered = change(service, read(service, case), status="open", priority="urgent")
    assert answered.first_response_at == paris(3, 10, 40)
    assert answered.sla is not None and answered.sla.first_response is not None
    assert answered.sla.first_response.met_at == paris(3, 10, 40)
    assert answered.sla.first_response.breached  # urgent: due 10:30
    assert answered.sla.first_response.paused is False


def test_a_customer_message_restarts_the_next_response_clock(service: CaseService, clock: Clock, contact: str) -> None:
    case = open_case(service, contact)
    write(service, case)  # the first response, at 10:00
    assert read(service, case).sla.next_response is None  # type: ignore[union-attr]
    clock.at(paris(3, 11))
    write(service, case, "public", "customer")
    waiting = read(service, case).sla
    assert waiting is not None and waiting.next_response is not None
    assert (waiting.next_response.due_at, waiting.next_response.met_at) == (paris(3, 13), None)
    clock.at(paris(3, 12))
    write(service, case)
    met = read(service, case).sla
    assert met is not None and met.next_response is not None
    assert (met.next_response.met_at, met.next_response.breached) == (paris(3, 12), False)
    clock.at(paris(3, 16, 30))
    write(service, case, "public", "customer")
    again = read(service, case).sla
    assert again is not None and again.next_response is not None
    assert (again.next_response.due_at, again.next_response.met_at) == (paris(4, 10, 30), None)


def test_resolving_meets_the_resolution_target_and_reopening_resumes_it(
    service: CaseService, clock: Clock, contact: str
) -> None:
    case = open_case(service, contact)  # resolution due 18:00 business: 10:00 + 8 h = tomorrow 10:00
    clock.at(paris(3, 12))
    resolved = change(service, case, status="resolved", resolution="Replaced")
    assert resolved.sla is not None and resolved.sla.resolution is not None
    assert resolved.sla.resolution.met_at == paris(3, 12)
    assert resolved.sla.resolution.remaining_business_seconds == 6 * HOUR
    clock.at(paris(4, 12))
    reopened = change(service, resolved, status="open")
    assert reopened.sla is not None and reopened.sla.resolution is not None
    assert reopened.sla.resolution.met_at is None
    assert reopened.sla.resolution.due_at == paris(5, 10)  # the day it stayed resolved is added back


def test_the_sla_work_list_is_one_query_soonest_first_without_stopped_or_met_cases(
    service: CaseService, clock: Clock, contact: str
) -> None:
    open_case(service, contact, subject="later")  # first response due 11:00
    clock.at(paris(3, 10, 15))
    sooner = open_case(service, contact, subject="sooner", priority="urgent")  # due 10:45
    paused = open_case(service, contact, subject="paused")
    change(service, paused, status="pending")
    untimed = open_case(service, contact, subject="untimed", type="question")
    assert untimed.sla is None

    def work_list(before: datetime) -> list[str]:
        with dynamodb_requests() as requests:
            page = service.search(
                caller(SUPPORT),
                number=None,
                queue=None,
                owner_id=None,
                status=None,
                contact_id=None,
                account_id=None,
                breach_before=before.isoformat(),
                limit=10,
                cursor=None,
            )
        assert requests == ["Query"]
        return [case.subject for case in page.items]

    assert work_list(paris(3, 11, 30)) == ["sooner", "later"]
    assert work_list(paris(3, 10, 50)) == ["sooner"]
    write(service, sooner)  # its first response is met; its resolution is due 12:15
    assert work_list(paris(3, 11, 30)) == ["later"]
    assert work_list(paris(3, 12, 30)) == ["later", "sooner"]


def test_the_sla_work_list_over_http_refuses_a_time_it_cannot_read_and_other_filters() -> None:
    assert call("listCases", SUPPORT, query={"breach_before": "soon"}).status == 400
    mixed = call("listCases", SUPPORT, query={"breach_before": "2026-11-03T10:00:00Z", "queue": "returns"})
    assert mixed.status == 400
    listed = call("listCases", SUPPORT, query={"breach_before": "2026-11-03T10:00:00+01:00"})
    assert (listed.status, listed.body["items"]) == (200, [])


@pytest.mark.parametrize("field", ["sla", "sla_basis"])
def test_a_client_cannot_set_the_sla(field: str, contact: str) -> None:
    created = call("createCase", SUPPORT, body={"subject": "x", "contact_id": contact, field: {}})
    assert created.status == 422
    assert created.body["errors"][0]["field"] == field


def test_a_case_read_over_http_shows_its_sla_as_of_now(contact: str) -> None:
    call("putServiceSettings", ADMIN, body=SETTINGS, headers={"If-Match": '"0"'})
    before = datetime.now(UTC)
    created = call("createCase", SUPPORT, body={"subject": "x", "type": "problem", "contact_id": contact})
    assert created.status == 201, created.body
    first = created.body["sla"]["first_response"]
    assert datetime.fromisoformat(first["due_at"]) >= before + timedelta(minutes=59)
    assert 0 < first["remaining_business_seconds"] <= HOUR
    assert "sla_basis" not in created.body
    read = call("getCase", SUPPORT, record_id=created.body["id"])
    assert read.body["sla"]["policy"] == "standard"
