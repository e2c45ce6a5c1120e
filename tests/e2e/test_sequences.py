"""Sequences over HTTP on the local runtime: a two-step sequence enrolling from a segment, each enrollment's run
executed by the state machine (its wait a real minute) and its stepper, the messages in SES, and the report."""

from __future__ import annotations

import time
import uuid
from typing import Any

from tests.e2e.conftest import Client, LocalRuntime, Staff, problem
from tests.e2e.test_campaigns import POSTAL, _person, _sent_to

STEPS: list[dict[str, Any]] = [
    {
        "type": "send",
        "key": "welcome",
        "channel": "email",
        "content": {"subject": "Welcome, {{ recipient.first_name }}", "text": "Our guide: https://tyrell.example/"},
    },
    {"type": "wait", "key": "a-minute", "duration": {"minutes": 1}},
    {"type": "branch", "key": "clicked", "on": "clicked", "after": "welcome", "then": "end"},
    {"type": "send", "key": "nudge", "channel": "email", "content": {"subject": "Our guide is waiting", "text": "Hi"}},
]


def _enrollments(client: Client, sequence_id: str) -> dict[str, dict[str, Any]]:
    items = client.get(f"/sequences/{sequence_id}/enrollments").json()["items"]
    return {item["contact_id"]: item for item in items}


def _until_ended(client: Client, sequence_id: str, contact_ids: set[str], seconds: float) -> dict[str, dict[str, Any]]:
    ends = time.monotonic() + seconds
    while time.monotonic() < ends:
        found = _enrollments(client, sequence_id)
        if set(found) >= contact_ids and all(found[c]["status"] != "active" for c in contact_ids):
            return found
        time.sleep(1)
    raise AssertionError(f"the enrollments did not end: {found}")


def test_a_segment_s_new_members_go_through_a_two_step_sequence(staff: Staff, local_runtime: LocalRuntime) -> None:
    marketer = staff("marketing")
    settings = {"topics": ["offers"], "postal_address": POSTAL}
    assert marketer.put("/marketing-settings", json=settings, headers={"If-Match": '"0"'}).status_code == 200
    unique = uuid.uuid4().hex[:8]
    ada, bea = _person(marketer, "ada", unique, "opted_in"), _person(marketer, "bea", unique, None)
    trial = marketer.create("segments", name=f"Trial {unique}", kind="static")
    sequence = marketer.create("sequences", name="Onboarding", topic="offers", steps=STEPS, segment=trial["id"])
    draft_enroll = marketer.post(f"/sequences/{sequence['id']}/enrollments", json={"contact_ids": [ada["id"]]})
    assert "activate" in problem(draft_enroll, 409)["detail"]
    activated = marketer.post(f"/sequences/{sequence['id']}/activate")
    assert activated.status_code == 200 and activated.json()["status"] == "active", activated.text

    added = marketer.post(f"/segments/{trial['id']}/members", json={"add": [ada["id"], bea["id"]]})
    assert added.status_code == 200, added.text
    ended = _until_ended(marketer, sequence["id"], {ada["id"], bea["id"]}, seconds=150)
    assert ended[ada["id"]]["status"] == "completed" and ended[ada["id"]]["enrolled_by"] == f"segment:{trial['id']}"
    assert ended[bea["id"]]["status"] == "completed"  # not opted in: each send skipped, the steps walked
    subjects = [mail["subject"] for mail in _sent_to(local_runtime, ada["email"])]
    assert subjects == ["Welcome, ada", "Our guide is waiting"]
    assert _sent_to(local_runtime, bea["email"]) == []
    report = marketer.get(f"/sequences/{sequence['id']}/report").json()
    steps = {step["key"]: step for step in report["steps"]}
    assert (report["enrolled"], report["completed"], report["active"]) == (2, 2, 0)
    assert (steps["welcome"]["sent"], steps["welcome"]["skipped"], steps["nudge"]["sent"]) == (1, 1, 1)
    assert steps["clicked"]["not_taken"] == 2


def test_a_sequence_that_branches_backwards_is_a_422_naming_the_step(staff: Staff) -> None:
    marketer = staff("marketing")
    steps = [*STEPS[:2], {**STEPS[2], "then": "welcome"}, STEPS[3]]
    reply = marketer.post("/sequences", json={"name": "Loop", "topic": "offers", "steps": steps})
    assert any(error["field"].startswith("steps") for error in problem(reply, 422)["errors"])
