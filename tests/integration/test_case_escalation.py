"""The SLA escalation's steps under moto, the clock passed in: in business hours only, the owner then the queue's
manager notified once each, then the case raised and moved by one versioned update; the owner warned first."""

import json
from collections.abc import Callable, Iterator
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

import boto3  # type: ignore[import-untyped]
import pytest
from case_escalation.handler import lambda_handler as escalation_step
from case_events.handler import lambda_handler as case_events

from rapport import config
from rapport.auth import caller_from_claims
from rapport.cases import escalation
from rapport.cases.manifest import CASE
from rapport.cases.models import Case, CaseCreate
from rapport.cases.service import CaseService
from rapport.cases.settings import SERVICE_SETTINGS, ServiceSettings
from rapport.cases.timers import Fired, TimerKind, armed, fire
from rapport.dal import repository
from rapport.errors import NotFound
from rapport.notifications.requests import NotificationRequest
from tests.integration.followups import CONTEXT, Bus
from tools.lambda_api import Staff, create

PARIS = ZoneInfo("Europe/Paris")
SUPPORT = Staff(user="agent-1", groups=("support",))
ADMIN = Staff(user="boss", groups=("admin",))
ESCALATION = {"raise_priority_to": "urgent", "move_to_queue": "tier2"}


def settings(**escalation_policy: Any) -> dict[str, Any]:
    return {
        "queues": [
            {"name": "general", "members": [{"user_id": "agent-1", "capacity": 5}], "manager_id": "mia"},
            {"name": "tier2", "members": [{"user_id": "agent-2", "capacity": 5}]},
        ],
        "calendars": [{"name": "paris", "time_zone": "Europe/Paris"}],
        "sla_policies": [
            {
                "name": "standard",
                "calendar": "paris",
                "targets": {"normal": {"first_response": 60}, "urgent": {"first_response": 15}},
                "warn_before_minutes": 10,
                "escalation": escalation_policy,
            }
        ],
    }


def paris(day: int, hour: int, minute: int = 0) -> datetime:
    """An instant of November 2026 in Paris (the 2nd is a Monday)."""
    return datetime(2026, 11, day, hour, minute, tzinfo=PARIS)


class Requests:
    def __init__(self) -> None:
        self.sent: list[NotificationRequest] = []

    def __call__(self, request: NotificationRequest) -> None:
        self.sent.append(request)


def breached_case(policy: dict[str, Any], **fields: Any) -> Case:
    """A case opened at 10:00 and breached at 11:00, its breach recorded by its timer."""
    saved = SERVICE_SETTINGS.read("tenant-a").meta.version
    SERVICE_SETTINGS.replace(
        caller_from_claims(ADMIN.claims()), ServiceSettings.model_validate(settings(**policy)), saved
    )
    service = CaseService(clock=lambda: paris(3, 10))
    contact = str(create("createContact", ADMIN, last_name="Rosen")["id"])
    body = {"subject": "Broken", "contact_id": contact, "queue": "general", **fields}
    case = service.create(caller_from_claims(SUPPORT.claims()), CaseCreate.model_validate(body))
    record = repository.get("tenant-a", CASE, case.id)
    assert record is not None
    [breach] = [timer for timer in armed(record, paris(3, 10, 55)) if timer.kind is TimerKind.BREACH]
    assert fire(CaseService(clock=lambda: paris(3, 11)), breach, paris(3, 11)).fired is Fired.ACTED
    return case


def current(case_id: str) -> dict[str, Any]:
    record = repository.get("tenant-a", CASE, case_id)
    assert record is not None
    return {**record.data, "version": record.version}


def test_the_owner_then_the_queue_manager_are_told_once_per_breach_and_the_case_is_raised_and_moved() -> None:
    case = breached_case(ESCALATION, owner_id="agent-1")
    requests = Requests()
    assert escalation.notify_owner("tenant-a", case.id, requests) == "agent-1"
    assert escalation.notify_queue_manager("tenant-a", case.id, requests) == "mia"
    assert [(r.recipient.id, r.template) for r in requests.sent] == [
        ("agent-1", "case_sla_breached"),
        ("mia", "case_sla_breached"),
    ]
    assert requests.sent[0].context["sla"] == {"target": "first_response", "due_at": "2026-11-03T10:00:00Z"}
    assert requests.sent[0].context["case"]["number"] == case.number
    escalation.notify_owner("tenant-a", case.id, requests)  # a retried step: the same dedupe key
    assert requests.sent[2].dedupe_key == requests.sent[0].dedupe_key != requests.sent[1].dedupe_key

    before = current(case.id)["version"]
    assert escalation.escalate(CaseService(), "tenant-a", case.id) == {"priority": "urgent", "queue": "tier2"}
    after = current(case.id)
    assert (after["priority"], after["queue"], after["version"]) == ("urgent", "tier2", before + 1)
    assert escalation.escalate(CaseService(), "tenant-a", case.id) == {}  # done already: nothing more


@pytest.mark.parametrize(
    ("policy", "fields", "told"),
    [
        ({"notify_owner": False}, {"owner_id": "agent-1"}, (None, "mia")),
        ({"notify_queue_manager": False}, {"owner_id": "agent-1"}, ("agent-1", None)),
        ({}, {}, (None, "mia")),  # nobody owns it yet
    ],
)
def test_the_policy_decides_who_is_told_and_nobody_is_made_up(
    policy: dict[str, Any], fields: dict[str, Any], told: tuple[str | None, str | None]
) -> None:
    case = breached_case(policy, **fields)
    requests = Requests()
    owner = escalation.notify_owner("tenant-a", case.id, requests)
    manager = escalation.notify_queue_manager("tenant-a", case.id, requests)
    assert (owner, manager) == told
    assert [request.recipient.id for request in requests.sent] == [who for who in told if who]


def test_priority_is_only_ever_raised_and_a_case_already_there_is_not_moved() -> None:
    case = breached_case({"raise_priority_to": "high", "move_to_queue": "general"}, owner_id="agent-1")
    assert escalation.escalate(CaseService(), "tenant-a", case.id) == {"priority": "high"}
    urgent = breached_case({"raise_priority_to": "high"}, priority="urgent")
    assert escalation.escalate(CaseService(), "tenant-a", urgent.id) == {}
    assert current(urgent.id)["priority"] == "urgent"


def test_the_escalation_waits_for_the_calendar_s_next_opening_out_of_hours() -> None:
    case = breached_case({})
    assert escalation.opening("tenant-a", case.id, paris(3, 11)) == paris(3, 11)
    assert escalation.opening("tenant-a", case.id, paris(3, 18)) == paris(4, 9)
    assert escalation.opening("tenant-a", case.id, paris(7, 10)) == paris(9, 9)  # Saturday: Monday 09:00


def test_a_trashed_or_unknown_case_is_not_escalated() -> None:
    case = breached_case({})
    CaseService().delete(caller_from_claims(SUPPORT.claims()), case.id, current(case.id)["version"])
    with pytest.raises(NotFound):
        escalation.notify_owner("tenant-a", case.id, Requests())
    with pytest.raises(NotFound):
        escalation.escalate(CaseService(), "tenant-a", "01UNKNOWN")


def test_the_worker_runs_each_step_the_state_machine_names() -> None:
    case = breached_case(ESCALATION)
    step = {"tenant_id": "tenant-a", "case_id": case.id}
    assert escalation_step({**step, "action": "escalate"}, CONTEXT) == {
        "changed": {"priority": "urgent", "queue": "tier2"}
    }
    assert escalation_step({**step, "action": "notify_owner"}, CONTEXT) == {"notified": None}


@pytest.fixture
def requested(monkeypatch: pytest.MonkeyPatch) -> Iterator[Callable[[], list[dict[str, Any]]]]:
    """The notification requests put on the stage's bus (moto), read back from a queue a rule sends them to."""
    monkeypatch.setenv("EVENT_BUS_NAME", "rapport-test-bus")
    config.reload()
    events, sqs = boto3.client("events"), boto3.client("sqs")
    events.create_event_bus(Name="rapport-test-bus")
    queue = sqs.create_queue(QueueName="requests")["QueueUrl"]
    arn = sqs.get_queue_attributes(QueueUrl=queue, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    pattern = {"detail-type": ["notification.requested"]}
    events.put_rule(Name="requests", EventBusName="rapport-test-bus", EventPattern=json.dumps(pattern))
    events.put_targets(Rule="requests", EventBusName="rapport-test-bus", Targets=[{"Id": "q", "Arn": arn}])

    def received() -> list[dict[str, Any]]:
        messages = sqs.receive_message(QueueUrl=queue, MaxNumberOfMessages=10).get("Messages", [])
        return [json.loads(message["Body"])["detail"] for message in messages]

    yield received
    monkeypatch.undo()
    config.reload()


def test_the_owner_is_warned_from_the_warning_event_once(requested: Callable[[], list[dict[str, Any]]]) -> None:
    SERVICE_SETTINGS.replace(caller_from_claims(ADMIN.claims()), ServiceSettings.model_validate(settings()), 0)
    bus = Bus()
    contact = str(create("createContact", ADMIN, last_name="Rosen")["id"])
    body = CaseCreate.model_validate({"subject": "Broken", "contact_id": contact, "owner_id": "agent-1"})
    case = CaseService(clock=lambda: paris(3, 10)).create(caller_from_claims(SUPPORT.claims()), body)
    record = repository.get("tenant-a", CASE, case.id)
    assert record is not None
    [warning] = [timer for timer in armed(record, paris(3, 10)) if timer.kind is TimerKind.WARNING]
    assert fire(CaseService(clock=lambda: warning.at), warning, warning.at).fired is Fired.ACTED
    [warned] = [event for event in bus.publish_new() if event["detail-type"] == "case.sla_warned"]
    assert case_events(warned, CONTEXT) == {"requested": "case_sla_warning"}
    assert case_events(warned, CONTEXT) == {"requested": "case_sla_warning"}  # redelivered: the same dedupe key
    sent = requested()
    assert [(r["recipient"]["id"], r["context"]["sla"]["due_at"]) for r in sent] == [
        ("agent-1", "2026-11-03T10:00:00Z")
    ] * 2
    assert sent[0]["dedupe_key"] == sent[1]["dedupe_key"]
