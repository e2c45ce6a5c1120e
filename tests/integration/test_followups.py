"""Follow-ups and reminders end to end under moto: API writes -> outbox events -> the followups worker, and the
scheduled workers run at a given time (the schedule's event time), with the requests they put captured."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from digest.handler import lambda_handler as digest_handler
from reminders.handler import lambda_handler as reminders_handler

from rapport.dal import repository
from rapport.deals.manifest import DEAL
from tests.integration.followups import CONTEXT, Bus, capture, deliver, scheduled
from tests.integration.notification_contract import assert_default_templates_fill
from tests.integration.sales import STAGES, deal, move, pipeline
from tools.lambda_api import Staff, call, create

SALES = Staff()
REP2 = Staff(user="user-2")
NO_KEY: dict[str, str | None] = {"Idempotency-Key": None}


@pytest.fixture
def bus(monkeypatch: pytest.MonkeyPatch) -> Bus:
    return capture(monkeypatch)


def sweep(time: str) -> Any:
    return reminders_handler(scheduled(time), CONTEXT)


def registered(bus: Bus) -> None:
    """The outbox delivers what was written so far; the followups worker registers the tenant."""
    deliver(bus.publish_new())


def task(**fields: Any) -> dict[str, Any]:
    return create("createTask", SALES, **{"title": "Call Ada", **fields})


def update_task(record: dict[str, Any], **fields: Any) -> dict[str, Any]:
    reply = call("updateTask", record_id=record["id"], body=fields, headers={"If-Match": f'"{record["version"]}"'})
    assert reply.status == 200, reply.body
    return dict(reply.body)


def test_a_tasks_reminder_fires_once_at_its_time_to_the_assignee(bus: Bus) -> None:
    record = task(assignee_id="user-2", due_at="2026-11-23T12:00:00Z", reminder_at="2026-11-23T09:00:00Z")
    registered(bus)

    assert sweep("2026-11-23T08:55:00Z") == {"sent": 0, "already_sent": 0, "tenants": 1}
    assert bus.requests() == []
    sweep("2026-11-23T09:00:00Z")
    (request,) = bus.requests()
    assert request["template"] == "task_reminder"
    assert request["recipient"] == {"type": "user", "id": "user-2"}
    assert request["tenant_id"] == "tenant-a"
    assert request["context"]["task"]["id"] == record["id"]
    assert_default_templates_fill(request["template"], request["context"])
    assert request["context"]["task"]["title"] == "Call Ada"
    # the next sweeps still see it in their look-back window, and send nothing again
    assert sweep("2026-11-23T09:05:00Z")["already_sent"] == 1
    sweep("2026-11-23T09:05:00Z")
    assert bus.requests() == []


@pytest.mark.parametrize(
    "fields",
    [
        {},
        {"due_at": "2026-11-23T12:00:00Z"},
        {"priority": "high"},
        {"due_at": "2026-11-23T12:00:00Z", "priority": "low"},
    ],
    ids=["bare", "due", "priority", "due-and-priority"],
)
def test_a_task_reminder_reads_well_with_or_without_a_due_time_and_priority(bus: Bus, fields: dict[str, Any]) -> None:
    task(reminder_at="2026-11-23T09:00:00Z", **fields)
    registered(bus)
    sweep("2026-11-23T09:00:00Z")
    (request,) = bus.requests()
    assert_default_templates_fill(request["template"], request["context"])
    assert request["context"]["task"]["due_at"] == fields.get("due_at")


def test_a_late_sweep_catches_up_within_an_hour(bus: Bus) -> None:
    task(reminder_at="2026-11-23T09:00:00Z")
    registered(bus)
    sweep("2026-11-23T09:40:00Z")
    assert len(bus.requests()) == 1
    task(title="Stale", reminder_at="2026-11-23T07:00:00Z")
    sweep("2026-11-23T09:45:00Z")
    assert bus.requests() == []


def test_rescheduling_a_reminder_moves_it_and_done_removes_it(bus: Bus) -> None:
    record = task(reminder_at="2026-11-23T09:00:00Z")
    registered(bus)
    record = update_task(record, reminder_at="2026-11-23T15:00:00Z")

    sweep("2026-11-23T09:00:00Z")
    assert bus.requests() == []
    sweep("2026-11-23T15:00:00Z")
    assert [r["context"]["task"]["reminder_at"] for r in bus.requests()] == ["2026-11-23T15:00:00Z"]

    record = update_task(record, reminder_at="2026-11-24T09:00:00Z")
    update_task(record, status="done")
    sweep("2026-11-24T09:00:00Z")
    assert bus.requests() == []


def test_a_trashed_task_is_not_reminded(bus: Bus) -> None:
    record = task(reminder_at="2026-11-23T09:00:00Z")
    registered(bus)
    assert call("deleteTask", record_id=record["id"], headers={"If-Match": None}).status == 204
    sweep("2026-11-23T09:00:00Z")
    assert bus.requests() == []


def appointment(**fields: Any) -> dict[str, Any]:
    body = {"title": "Demo", "starts_at": "2026-11-24T10:00:00Z", "ends_at": "2026-11-24T11:00:00Z", **fields}
    reply = call("createAppointment", SALES, body=body, headers=NO_KEY)
    assert reply.status == 201, reply.body
    return dict(reply.body)


def test_appointment_reminders_go_to_each_attendee_and_the_contact_24h_and_1h_before(bus: Bus) -> None:
    contact = create("createContact", last_name="Lovelace", email="ada@acme.example")
    record = appointment(attendee_ids=["user-1", "user-2"], contact_id=contact["id"])
    registered(bus)

    sweep("2026-11-23T09:55:00Z")
    assert bus.requests() == []
    sweep("2026-11-23T10:00:00Z")
    day_before = bus.requests()
    assert sorted((r["recipient"]["type"], r["recipient"]["id"]) for r in day_before) == [
        ("contact", contact["id"]),
        ("user", "user-1"),
        ("user", "user-2"),
    ]
    assert {r["template"] for r in day_before} == {"appointment_reminder"}
    for reminder in day_before:
        assert_default_templates_fill(reminder["template"], reminder["context"])
    assert {r["context"]["minutes_before"] for r in day_before} == {1440}
    assert {r["context"]["appointment"]["id"] for r in day_before} == {record["id"]}
    assert all(r["channel"] is None for r in day_before)  # the notifier picks a consented channel

    sweep("2026-11-24T08:30:00Z")
    assert bus.requests() == []
    sweep("2026-11-24T09:00:00Z")
    assert {r["context"]["minutes_before"] for r in bus.requests()} == {60}

    sweep("2026-11-24T09:05:00Z")
    assert bus.requests() == []


@pytest.mark.parametrize("where", [{}, {"location": "Room 4"}], ids=["no-location", "location"])
def test_an_appointment_reminder_reads_well_with_or_without_a_location(bus: Bus, where: dict[str, Any]) -> None:
    contact = create("createContact", last_name="Lovelace", email="ada@acme.example")
    appointment(attendee_ids=["user-1"], contact_id=contact["id"], **where)
    registered(bus)
    sweep("2026-11-23T10:00:00Z")
    requests = bus.requests()
    assert len(requests) == 2  # the attendee and the contact
    for reminder in requests:
        assert_default_templates_fill(reminder["template"], reminder["context"])


def test_a_rescheduled_appointment_is_reminded_at_its_new_time_and_a_cancelled_one_not_at_all(bus: Bus) -> None:
    record = appointment()
    registered(bus)
    reply = call(
        "updateAppointment",
        record_id=record["id"],
        body={"starts_at": "2026-11-25T10:00:00Z", "ends_at": "2026-11-25T11:00:00Z"},
        headers={"If-Match": '"1"'},
    )
    assert reply.status == 200, reply.body
    sweep("2026-11-23T10:00:00Z")
    assert bus.requests() == []
    sweep("2026-11-24T10:00:00Z")
    assert [r["context"]["appointment"]["starts_at"] for r in bus.requests()] == ["2026-11-25T10:00:00Z"]

    reply = call("updateAppointment", record_id=record["id"], body={"status": "cancelled"}, headers={"If-Match": '"2"'})
    assert reply.status == 200, reply.body
    sweep("2026-11-25T09:00:00Z")
    assert bus.requests() == []


def test_appointment_reminder_offsets_are_a_tenant_setting(bus: Bus) -> None:
    appointment()
    registered(bus)
    saved = call("putReminderSettings", Staff().as_("manager"), body={"offsets_minutes": [30]})
    assert saved.status == 200, saved.body
    sweep("2026-11-23T10:00:00Z")
    sweep("2026-11-24T09:00:00Z")
    assert bus.requests() == []
    sweep("2026-11-24T09:30:00Z")
    assert [r["context"]["minutes_before"] for r in bus.requests()] == [30]


def test_a_tenant_never_seen_is_not_swept_and_tenants_are_apart(bus: Bus) -> None:
    task(reminder_at="2026-11-23T09:00:00Z")
    assert sweep("2026-11-23T09:00:00Z")["tenants"] == 0  # its events were not delivered yet
    other = Staff(tenant="tenant-b", user="user-9")
    create("createTask", other, title="Other", reminder_at="2026-11-23T09:00:00Z")
    registered(bus)
    assert sweep("2026-11-23T09:00:00Z") == {"sent": 2, "already_sent": 0, "tenants": 2}
    assert sorted(r["tenant_id"] for r in bus.requests()) == ["tenant-a", "tenant-b"]


# Stage follow-ups


def follow_ups(deal_id: str) -> list[dict[str, Any]]:
    reply = call("listTasks", query={"assignee_id": "user-1", "status": "open"})
    assert reply.status == 200, reply.body
    return [item for item in reply.body["items"] if item.get("deal_id") == deal_id]


def test_a_deal_entering_a_stage_with_a_template_gets_one_follow_up_task_even_when_delivered_twice(bus: Bus) -> None:
    contact = create("createContact", last_name="Lovelace", email="ada@acme.example")
    pipe = pipeline()
    record = deal(pipe["id"], contact_ids=[contact["id"]])
    deliver(bus.publish_new())
    moved = move(record, "Demo")

    events = [event for event in bus.publish_new() if event["detail-type"] == "deal.stage_changed"]
    assert len(events) == 1
    first, again = deliver(events * 2)
    assert first == again and first["task_id"]

    (made,) = follow_ups(record["id"])
    assert made["id"] == first["task_id"]
    assert made["title"] == STAGES[1]["follow_up_task"]["title"]
    assert made["assignee_id"] == record["owner_id"] == "user-1"
    assert made["contact_id"] == contact["id"]
    entered = datetime.fromisoformat(moved["stage_entered_at"])
    assert datetime.fromisoformat(made["due_at"]) == (entered + timedelta(days=1)).replace(microsecond=0)
    assert made["created_by"] == "workflow:followups"
    # the follow-up task's own creation is an event too; it creates nothing further
    assert all(answer["task_id"] is None for answer in deliver(bus.publish_new()))


def test_a_stage_without_a_template_makes_no_task(bus: Bus) -> None:
    record = deal(pipeline()["id"])
    deliver(bus.publish_new())
    move(record, "Proposal")
    assert [answer["task_id"] for answer in deliver(bus.publish_new())] == [None]
    assert follow_ups(record["id"]) == []


def test_a_deal_trashed_before_its_event_arrives_gets_no_task(bus: Bus) -> None:
    record = move(deal(pipeline()["id"]), "Demo")
    assert call("deleteDeal", record_id=record["id"], headers={"If-Match": None}).status == 204
    stage_changed = [e for e in bus.publish_new() if e["detail-type"] == "deal.stage_changed"]
    assert [answer["task_id"] for answer in deliver(stage_changed)] == [None]
    assert repository.get("tenant-a", DEAL, record["id"]) is not None


# Daily digest


def test_the_daily_digest_sends_one_request_per_rep_with_counts_and_top_items(bus: Bus) -> None:
    pipe = pipeline(rotting_days=7)
    stale = deal(pipe["id"], name="Stale")
    deal(pipe["id"], REP2, name="Also stale")
    create("createTask", SALES, title="Overdue 1", due_at="2026-01-02T09:00:00Z")
    create("createTask", SALES, title="Overdue 2", due_at="2026-01-01T09:00:00Z")
    create("createTask", SALES, title="Not due", due_at="2099-01-01T09:00:00Z")
    create("createTask", REP2, title="Done", due_at="2026-01-01T09:00:00Z", status="done")
    create("createTask", SALES, title="Undated")
    registered(bus)

    now = datetime.now(UTC) + timedelta(days=30)
    time = now.strftime("%Y-%m-%dT07:00:00Z")
    assert digest_handler(scheduled(time), CONTEXT) == {"sent": 2}
    by_user = {r["recipient"]["id"]: r for r in bus.requests()}
    assert set(by_user) == {"user-1", "user-2"}
    mine = by_user["user-1"]
    assert mine["template"] == "daily_digest"
    assert_default_templates_fill(mine["template"], mine["context"])
    assert mine["context"]["digest"]["rotting_deals"] == 1
    assert mine["context"]["digest"]["deal1"]["link"] == f"/deals/{stale['id']}"
    assert mine["context"]["digest"]["overdue_tasks"] == 2
    overdue = [mine["context"]["digest"][f"task{n}"]["title"] for n in (1, 2)]
    assert overdue == ["Overdue 2", "Overdue 1"]
    theirs = by_user["user-2"]["context"]
    assert (theirs["digest"]["rotting_deals"], theirs["digest"]["summary"]) == (1, "1 rotting deal")

    assert digest_handler(scheduled(time), CONTEXT) == {"sent": 0}  # once a day
    assert bus.requests() == []


def test_a_rep_with_nothing_to_act_on_gets_no_digest(bus: Bus) -> None:
    pipeline(rotting_days=7)
    create("createTask", SALES, title="Later", due_at="2099-01-01T09:00:00Z")
    registered(bus)
    assert digest_handler(scheduled("2026-11-23T07:00:00Z"), CONTEXT) == {"sent": 0}
