"""Sequences under moto: the records through the API, enrollments taken through their steps by the stepper driven
by hand (what each Step Functions execution does) with a clock and a transport that records what goes out, and the
signals the bus brings (segment joins and leaves, replies, purchases, unsubscribes), in the combinations a marketer
makes: by hand or by segment, with and without each exit, opened or not, consent kept or withdrawn between steps."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from rapport.campaigns import tracking
from rapport.campaigns.sending import Pacer, Sender
from rapport.campaigns.sequences import signals
from rapport.campaigns.sequences.runs import EnrollmentRun
from rapport.campaigns.sequences.stepping import Advance, advance
from rapport.consent import links
from rapport.consent.links import Purpose
from rapport.events.models import DomainEvent
from tests.integration.outbox import published
from tests.integration.test_campaigns import (  # noqa: F401 (the autouse fixture sets the marketing settings)
    MARKETER,
    PUBLIC_URL,
    SALES,
    FakeSes,
    _marketing,
    _tokens,
    person,
    static_list,
)
from tools.lambda_api import call, create

PERSON = "Mozilla/5.0 (Macintosh; Intel Mac OS X 14_5) AppleWebKit/605.1.15 (KHTML, like Gecko)"
WELCOME = {"subject": "Welcome, {{ recipient.first_name }}", "text": "Our guide: https://tyrell.example/guide"}
THANKS = {"subject": "Glad you liked it", "text": "Here is more."}
NUDGE = {"subject": "Did you see our guide?", "text": "It is still there."}
TWO_STEPS: list[dict[str, Any]] = [
    {"type": "send", "key": "welcome", "channel": "email", "content": WELCOME},
    {"type": "wait", "key": "two-days", "duration": {"days": 2}},
    {"type": "branch", "key": "did-open", "on": "opened", "after": "welcome", "otherwise": "nudge"},
    {"type": "send", "key": "thanks", "channel": "email", "content": THANKS},
    {"type": "branch", "key": "done", "on": "opened", "after": "welcome", "then": "end", "otherwise": "end"},
    {"type": "send", "key": "nudge", "channel": "email", "content": NUDGE},
]


class Started:
    def __init__(self) -> None:
        self.runs: list[EnrollmentRun] = []

    def __call__(self, run: EnrollmentRun) -> None:
        self.runs.append(run)


@pytest.fixture
def started(monkeypatch: pytest.MonkeyPatch) -> Started:
    from sequences import handler

    runs = Started()
    monkeypatch.setattr(handler, "start_execution", runs)
    return runs


class Drip:
    """The executions: each enrollment's stepper called at the time its last call said, with one fake SES."""

    def __init__(self, start: datetime) -> None:
        self.now = start
        self.ses = FakeSes()

    def step(self, run: EnrollmentRun) -> Advance:
        sender = Sender(
            transport=self.ses,
            pace=lambda channel: Pacer(1000.0, lambda: 0.0, lambda seconds: None),
            time_left=lambda: 600.0,
            app_url="https://app.rapport.example",
        )
        return advance(run.tenant_id, run.sequence_id, run.contact_id, sender, clock=lambda: self.now)

    def later(self, **delta: float) -> None:
        self.now += timedelta(**delta)

    def subjects(self, to: str) -> list[str]:
        return [message["subject"] for message in self.ses.sent if message["to"] == to]


@pytest.fixture
def drip() -> Drip:
    return Drip(datetime.now(UTC))


def new_sequence(steps: list[dict[str, Any]] | None = None, **fields: Any) -> dict[str, Any]:
    body = {"name": "Onboarding", "topic": "offers", "steps": steps or TWO_STEPS, **fields}
    return create("createSequence", MARKETER, **body)


def activate(sequence_id: str) -> None:
    reply = call("activateSequence", MARKETER, record_id=sequence_id, body=None, headers={"If-Match": None})
    assert reply.status == 200, reply.body


def enroll(sequence_id: str, contact_ids: list[str]) -> dict[str, Any]:
    reply = call("enrollInSequence", MARKETER, record_id=sequence_id, body={"contact_ids": contact_ids})
    assert reply.status == 200, reply.body
    return dict(reply.body)


def enrollments(sequence_id: str) -> dict[str, dict[str, Any]]:
    reply = call("listSequenceEnrollments", MARKETER, record_id=sequence_id)
    assert reply.status == 200, reply.body
    return {item["contact_id"]: item for item in reply.body["items"]}


def report(sequence_id: str) -> dict[str, Any]:
    reply = call("getSequenceReport", MARKETER, record_id=sequence_id)
    assert reply.status == 200, reply.body
    return dict(reply.body)


def open_email(message: dict[str, Any], at: datetime) -> None:
    pixels = _tokens(message["html"] or "", "/public/opens/")
    if not pixels:  # a text-only email: its reader follows the link instead
        [token] = _tokens(message["text"], "/public/clicks/")
        tracking.clicked(links.read(token, Purpose.CLICK), PERSON, at)
    else:
        tracking.opened(links.read(pixels[0], Purpose.OPEN), PERSON, at)


def test_a_two_step_sequence_sends_the_second_message_by_what_each_contact_did(started: Started, drip: Drip):
    ada, bob = person("Ada"), person("Bob")
    sequence = new_sequence()
    activate(sequence["id"])
    assert enroll(sequence["id"], [ada, bob]) == {"enrolled": [ada, bob], "already": [], "refused": []}
    waits = [drip.step(run) for run in started.runs]
    assert [w.done for w in waits] == [False, False] and drip.subjects("ada@tyrell.example") == ["Welcome, Ada"]
    [to_ada] = [message for message in drip.ses.sent if message["to"] == "ada@tyrell.example"]
    assert to_ada["tags"]["rapport_step"] == "welcome" and "List-Unsubscribe" in to_ada["headers"]
    drip.later(hours=3)
    open_email(to_ada, drip.now)
    assert [drip.step(run).done for run in started.runs] == [False, False]  # woken early: still waiting
    drip.later(days=2)
    assert [drip.step(run).done for run in started.runs] == [True, True]
    assert drip.subjects("ada@tyrell.example") == ["Welcome, Ada", "Glad you liked it"]
    assert drip.subjects("bob@tyrell.example") == ["Welcome, Bob", "Did you see our guide?"]
    assert {contact: each["status"] for contact, each in enrollments(sequence["id"]).items()} == {
        ada: "completed",
        bob: "completed",
    }
    figures = report(sequence["id"])
    steps = {step["key"]: step for step in figures["steps"]}
    assert (figures["enrolled"], figures["active"], figures["completed"]) == (2, 0, 2)
    assert (steps["welcome"]["sent"], steps["welcome"]["clicked"] + steps["welcome"]["opened"]) == (2, 2)
    assert (steps["did-open"]["taken"], steps["did-open"]["not_taken"]) == (1, 1)
    assert (steps["thanks"]["sent"], steps["nudge"]["sent"]) == (1, 1)
    timeline = call("listContactTimeline", MARKETER, record_id=ada).body["items"]
    assert {
        (entry.get("sequence_id"), entry.get("step")) for entry in timeline if entry.get("template") == "sequence"
    } == {
        (sequence["id"], "welcome"),
        (sequence["id"], "thanks"),
    }


def test_a_retried_step_sends_nothing_twice_and_a_contact_goes_through_once(started: Started, drip: Drip):
    ada = person("Ada")
    sequence = new_sequence()
    activate(sequence["id"])
    enroll(sequence["id"], [ada])
    assert enroll(sequence["id"], [ada]) == {"enrolled": [], "already": [ada], "refused": []}
    assert len(started.runs) == 2 and started.runs[0] == started.runs[1]  # started again: the same execution name
    drip.step(started.runs[0])
    drip.step(started.runs[0])
    assert drip.subjects("ada@tyrell.example") == ["Welcome, Ada"]
    unknown = enroll(sequence["id"], ["nobody"])
    assert unknown["refused"] == [{"contact_id": "nobody", "reason": "no live contact has this id"}]


@pytest.mark.parametrize("exits", [True, False], ids=["exits on unsubscribe", "does not exit"])
def test_an_unsubscribe_between_two_steps_stops_the_second_whatever_the_exits(
    started: Started, drip: Drip, exits: bool
):
    ada = person("Ada")
    exit_on = ["replied", "converted", "unsubscribed"] if exits else ["replied"]
    sequence = new_sequence(exit_on=exit_on)
    activate(sequence["id"])
    enroll(sequence["id"], [ada])
    drip.step(started.runs[0])
    [message] = drip.ses.sent
    token = message["headers"]["List-Unsubscribe"].strip("<>").rpartition("/")[2]
    form: dict[str, str | None] = {"Content-Type": "application/x-www-form-urlencoded"}
    assert (
        call("unsubscribe", None, path={"token": token}, body="List-Unsubscribe=One-Click", headers=form).status == 200
    )
    for event in published():
        signals.on_event(event, started)
    enrolled = enrollments(sequence["id"])[ada]
    assert (enrolled["status"], enrolled.get("reason")) == (("exited", "unsubscribed") if exits else ("active", None))
    drip.later(days=3)
    assert drip.step(started.runs[0]).done
    assert drip.subjects("ada@tyrell.example") == ["Welcome, Ada"]  # consent read again: no nudge
    steps = {step["key"]: step for step in report(sequence["id"])["steps"]}
    assert steps["welcome"]["unsubscribed"] == 1
    if not exits:
        assert steps["nudge"]["skipped"] == 1 and enrollments(sequence["id"])[ada]["status"] == "completed"


@pytest.mark.parametrize("exits", [True, False], ids=["exits on reply", "branches on reply"])
def test_a_reply_ends_the_enrollment_or_sends_it_down_the_replied_branch(started: Started, drip: Drip, exits: bool):
    ada = person("Ada")
    steps: list[dict[str, Any]] = [
        {"type": "send", "key": "hello", "channel": "email", "content": WELCOME},
        {"type": "wait", "key": "a-day", "duration": {"days": 1}},
        {"type": "branch", "key": "did-reply", "on": "replied", "after": "hello", "then": "end"},
        {"type": "send", "key": "follow-up", "channel": "email", "content": NUDGE},
    ]
    sequence = new_sequence(steps, exit_on=["replied"] if exits else ["converted"])
    activate(sequence["id"])
    enroll(sequence["id"], [ada])
    drip.step(started.runs[0])
    published()  # what came before
    create("createCase", subject="Question about the guide", contact_id=ada, channel="email")
    for event in published():
        signals.on_event(event, started)
    drip.later(days=2)
    assert drip.step(started.runs[0]).done
    assert drip.subjects("ada@tyrell.example") == ["Welcome, Ada"]
    enrolled = enrollments(sequence["id"])[ada]
    assert enrolled["replied_at"] and enrolled["status"] == ("exited" if exits else "completed")
    assert report(sequence["id"])["exited"] == ({"replied": 1} if exits else {})


def test_a_contact_entering_the_segment_is_enrolled_and_leaving_it_exits(started: Started, drip: Drip):
    ada, bob = person("Ada"), person("Bob")
    segment = static_list("Trial users", [])
    sequence = new_sequence(segment=segment)
    activate(sequence["id"])
    published()
    assert call("changeSegmentMembers", MARKETER, record_id=segment, body={"add": [ada, bob]}).status == 200
    for event in published():
        signals.on_event(event, started)
    assert sorted(run.contact_id for run in started.runs) == sorted([ada, bob])
    for run in started.runs:
        drip.step(run)
    assert call("changeSegmentMembers", MARKETER, record_id=segment, body={"remove": [bob]}).status == 200
    for event in published():
        signals.on_event(event, started)
    assert enrollments(sequence["id"])[bob]["reason"] == "left_segment"
    drip.later(days=3)
    for run in started.runs:
        drip.step(run)
    assert drip.subjects("bob@tyrell.example") == ["Welcome, Bob"]
    assert drip.subjects("ada@tyrell.example") == ["Welcome, Ada", "Did you see our guide?"]


def test_a_paused_sequence_holds_its_enrollments_and_an_edit_that_removes_a_step_exits_those_at_it(
    started: Started, drip: Drip
):
    ada = person("Ada")
    sequence = new_sequence()
    activate(sequence["id"])
    enroll(sequence["id"], [ada])
    drip.step(started.runs[0])
    paused = call("pauseSequence", MARKETER, record_id=sequence["id"], body=None, headers={"If-Match": None})
    assert paused.status == 200
    drip.later(days=3)
    held = drip.step(started.runs[0])
    assert not held.done and drip.subjects("ada@tyrell.example") == ["Welcome, Ada"]
    steps = [step for step in TWO_STEPS if step["key"] != "two-days"]
    version = f'"{paused.body["version"]}"'
    edited = call(
        "updateSequence", MARKETER, record_id=sequence["id"], body={"steps": steps}, headers={"If-Match": version}
    )
    assert edited.status == 200, edited.body
    activate(sequence["id"])
    assert drip.step(started.runs[0]).done
    assert enrollments(sequence["id"])[ada]["reason"] == "step_removed"


def test_an_active_sequence_is_edited_only_once_paused_and_a_draft_enrolls_nobody(started: Started):
    ada = person("Ada")
    sequence = new_sequence()
    refused = call("enrollInSequence", MARKETER, record_id=sequence["id"], body={"contact_ids": [ada]})
    assert refused.status == 409
    activate(sequence["id"])
    current = call("getSequence", MARKETER, record_id=sequence["id"])
    edit = call(
        "updateSequence",
        MARKETER,
        record_id=sequence["id"],
        body={"name": "Renamed"},
        headers={"If-Match": f'"{current.body["version"]}"'},
    )
    assert edit.status == 409
    assert call("enrollInSequence", SALES, record_id=sequence["id"], body={"contact_ids": [ada]}).status == 403


def problem_fields(reply: Any) -> set[str]:
    return {error["field"] for error in reply.body.get("errors") or []}


@pytest.mark.parametrize(
    ("steps", "field"),
    [
        ([{"type": "wait", "key": "w", "duration": {"days": 1}}], "steps"),
        ([*TWO_STEPS[:2], {**TWO_STEPS[2], "otherwise": "welcome"}, *TWO_STEPS[3:]], "steps"),
        ([*TWO_STEPS[:2], {**TWO_STEPS[2], "after": "two-days"}, *TWO_STEPS[3:]], "steps"),
        ([TWO_STEPS[0], {**TWO_STEPS[0]}], "steps"),
        ([{**TWO_STEPS[0], "channel": "sms", "content": {"text": "Hi"}}, {**TWO_STEPS[2], "otherwise": None}], "steps"),
        ([{**TWO_STEPS[0], "content": {"subject": "Hi {{ recipient.salary }}", "text": "x"}}], "steps[0].content"),
        ([{**TWO_STEPS[1], "duration": {}}, TWO_STEPS[0]], "steps[0].wait.duration"),
    ],
    ids=["no send", "branch backwards", "after a wait", "a key twice", "opened of a text", "bad content", "no time"],
)
def test_a_sequence_that_cannot_be_walked_is_a_422_naming_the_field(steps: list[dict[str, Any]], field: str):
    reply = call("createSequence", MARKETER, body={"name": "Bad", "topic": "offers", "steps": steps})
    assert reply.status == 422, reply.body
    assert any(name.startswith(field) for name in problem_fields(reply)), reply.body


def test_an_unknown_topic_and_segment_are_named_in_one_422():
    body = {"name": "Bad", "topic": "gossip", "steps": TWO_STEPS, "segment": "nosuchsegment"}
    reply = call("createSequence", MARKETER, body=body)
    assert reply.status == 422 and {"topic", "segment"} <= problem_fields(reply), reply.body


def test_a_conversion_is_stamped_and_exits_a_sequence_that_exits_on_it(started: Started, drip: Drip):
    ada = person("Ada")
    sequence = new_sequence()
    activate(sequence["id"])
    enroll(sequence["id"], [ada])
    drip.step(started.runs[0])
    event = DomainEvent(
        event_id="e1",
        detail_type="order.created",
        tenant_id=started.runs[0].tenant_id,
        entity="order",
        entity_id="o1",
        actor="u",
        occurred_at=datetime.now(UTC).isoformat(),
        version=1,
        changes={},
        record={
            "contact_id": ada,
            "status": "placed",
            "ordered_at": (drip.now + timedelta(hours=1)).isoformat(),
            "tenant_total": {"amount": "120.00", "currency": "USD"},
        },
    )
    assert signals.on_event(event, started) == [f"{sequence['id']}:converted"]
    assert signals.on_event(event, started) == []  # redelivered: nothing more
    assert enrollments(sequence["id"])[ada]["reason"] == "converted"
    assert report(sequence["id"])["exited"] == {"converted": 1}
