"""Follow-ups, pure: reminder times, the fire-once names, stage templates and task ids, digest composition."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from pydantic import ValidationError

from rapport.appointments.manifest import APPOINTMENT
from rapport.contexts import Kind
from rapport.dal.repository import Record
from rapport.deals.manifest import DEAL
from rapport.followups import digest, reminders, stage
from rapport.tasks.manifest import TASK

pytestmark = pytest.mark.usefixtures("no_sockets")
NOW = datetime(2026, 11, 23, 9, 0, tzinfo=UTC)


def record(kind: Kind, record_id: str, **data: Any) -> Record:
    stamp = "2026-01-01T00:00:00Z"
    return Record(kind, record_id, "t1", data, stamp, "u", stamp, "u")


def meeting(starts_at: str, **data: Any) -> Record:
    fields = {"title": "Demo", "starts_at": starts_at, "ends_at": "2026-11-30T00:00:00Z", "status": "scheduled"}
    return record(APPOINTMENT, "A1", **{**fields, "attendee_ids": ["u1", "u2"], **data})


def offsets(*minutes: int) -> list[timedelta]:
    return reminders.ReminderSettings(offsets_minutes=list(minutes)).offsets()


def test_default_appointment_offsets_are_a_day_and_an_hour_before() -> None:
    assert reminders.ReminderSettings().offsets() == [timedelta(hours=24), timedelta(hours=1)]


@pytest.mark.parametrize(
    ("starts_at", "due"),
    [
        ("2026-11-24T09:00:00Z", [1440]),  # 24 h before is now
        ("2026-11-23T10:00:00Z", [60]),  # 1 h before is now
        ("2026-11-23T10:30:00Z", []),  # 1 h before is still to come
        ("2026-11-23T09:50:00Z", [60]),  # 1 h before was 10 minutes ago: caught up
        ("2026-11-24T07:59:00Z", []),  # 24 h before was more than the look-back ago
        ("2026-11-23T09:00:00Z", []),  # it starts now: too late for reminders
    ],
)
def test_an_appointment_reminder_is_due_when_its_time_is_in_the_look_back_window(
    starts_at: str, due: list[int]
) -> None:
    found = list(reminders.appointment_reminders([meeting(starts_at)], offsets(1440, 60), NOW))
    assert sorted({r.context["minutes_before"] for r in found}) == due


def test_appointment_reminders_go_to_the_attendees_and_the_contact_each_named_once() -> None:
    found = list(reminders.appointment_reminders([meeting("2026-11-23T10:00:00Z", contact_id="C1")], offsets(60), NOW))
    assert [(r.recipient.type, r.recipient.id) for r in found] == [("user", "u1"), ("user", "u2"), ("contact", "C1")]
    assert len({r.name for r in found}) == 3
    assert {r.at for r in found} == {"2026-11-23T09:00:00Z"}
    assert found[0].request().dedupe_key == f"t1#{found[0].name}"


def test_a_cancelled_appointment_has_no_reminders() -> None:
    cancelled = meeting("2026-11-23T10:00:00Z", status="cancelled")
    assert list(reminders.appointment_reminders([cancelled], offsets(60), NOW)) == []


def test_a_task_reminder_goes_to_the_assignee_and_its_name_carries_the_time() -> None:
    task = record(TASK, "T1", title="Call", assignee_id="u2", reminder_at="2026-11-23T09:00:00Z", deal_id="D1")
    (found,) = reminders.task_reminders([task])
    assert (found.recipient.type, found.recipient.id, found.template) == ("user", "u2", "task_reminder")
    assert found.context["deal_id"] == "D1"
    moved = record(TASK, "T1", title="Call", assignee_id="u2", reminder_at="2026-11-23T10:00:00Z")
    assert next(reminders.task_reminders([moved])).name != found.name  # a new time fires again


@pytest.mark.parametrize("minutes", [[0], [-5], [7 * 24 * 60 + 1]])
def test_offsets_out_of_range_are_refused(minutes: list[int]) -> None:
    with pytest.raises(ValidationError, match="offsets_minutes"):
        reminders.ReminderSettings(offsets_minutes=minutes)


def test_the_follow_up_task_id_is_a_ulid_fixed_by_the_event() -> None:
    first = stage.follow_up_task_id("event-1", "2026-11-23T09:00:00.000Z")
    assert first == stage.follow_up_task_id("event-1", "2026-11-23T09:00:00.000Z")
    assert first != stage.follow_up_task_id("event-2", "2026-11-23T09:00:00.000Z")
    assert len(first) == 26


def test_the_stage_template_is_found_by_name_key() -> None:
    pipeline = {"stages": [{"name": "Démo", "follow_up_task": {"title": "Recap", "due_in_days": 2}}, {"name": "X"}]}
    assert stage.stage_template(pipeline, "demo") == {"title": "Recap", "due_in_days": 2}
    assert stage.stage_template(pipeline, "X") is None
    assert stage.stage_template(pipeline, "Gone") is None


def test_the_digest_groups_by_rep_with_counts_and_the_top_items() -> None:
    def deal(deal_id: str, owner: str, idle_days: int, **data: Any) -> Record:
        last = (NOW - timedelta(days=idle_days)).isoformat()
        fields = {"name": deal_id, "stage": "Demo", "status": "open", "rotting_days": 7, "last_activity_at": last}
        return record(DEAL, deal_id, owner_id=owner, **{**fields, **data})

    def task(task_id: str, assignee: str, due_at: str) -> Record:
        return record(TASK, task_id, title=task_id, assignee_id=assignee, due_at=due_at, status="open")

    deals = [deal(f"D{n}", "u1", 8 + n) for n in range(7)] + [
        deal("Fresh", "u2", 1),
        deal("Won", "u2", 30, status="won"),
    ]
    tasks = [task("T1", "u2", "2026-11-22T09:00:00Z"), task("Later", "u2", "2026-11-24T09:00:00Z")]
    digests = digest.compose("t1", deals, tasks, NOW)
    assert [d.user_id for d in digests] == ["u1", "u2"]
    mine, theirs = (d.request().context["digest"] for d in digests)
    assert (mine["rotting_deals"], mine["summary"]) == (7, "7 rotting deals")
    assert "overdue_tasks" not in mine  # none: the line that counts them disappears
    assert [mine[f"deal{n}"]["name"] for n in range(1, 6)] == ["D6", "D5", "D4", "D3", "D2"]  # stalest
    assert "deal6" not in mine
    assert mine["deal1"] == {"name": "D6", "stage": "Demo", "amount": None, "days_idle": 14, "link": "/deals/D6"}
    assert (theirs["overdue_tasks"], theirs["summary"]) == (1, "1 overdue task")
    assert theirs["task1"] == {"title": "T1", "due_at": "2026-11-22T09:00:00Z", "link": "/tasks/T1"}
    assert digests[0].request().dedupe_key == "t1#DIGEST#u1#2026-11-23"


def test_no_digest_for_reps_with_nothing_to_act_on() -> None:
    assert digest.compose("t1", [], [], NOW) == []
