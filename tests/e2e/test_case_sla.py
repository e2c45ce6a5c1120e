"""SLA over HTTP: the service settings' calendars and policies, a case's clock as a read shows it, the pause while
waiting on the customer, responses, the SLA work list, and a breach fired by its timer on the local runtime and
escalated."""

from __future__ import annotations

import time
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import requests

from tests.e2e.conftest import Client, LocalRuntime, Staff, problem

ALWAYS = {
    day: [{"start": "00:00", "end": "24:00"}]
    for day in ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")
}
SETTINGS = {
    "calendars": [{"name": "always", "time_zone": "Europe/Paris", "hours": ALWAYS}],
    "sla_policies": [
        {
            "name": "complaints",
            "calendar": "always",
            "conditions": {"types": ["complaint"]},
            "targets": {"normal": {"first_response": 60, "next_response": 30, "resolution": 600}},
        }
    ],
}


def _instant(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def test_a_complaint_is_timed_paused_answered_and_listed_by_its_due_time(staff: Staff) -> None:
    admin, agent = staff("admin"), staff("support", user="agent-1")
    assert agent.get("/service-settings").json()["sla_policies"] == []
    saved = admin.put("/service-settings", json=SETTINGS, headers={"If-Match": '"0"'})
    assert (saved.status_code, saved.headers["ETag"]) == (200, '"1"'), saved.text
    contact = admin.create("contacts", last_name="Tyrell")

    before = datetime.now(UTC)
    case = agent.create("cases", subject="Wrong owl", type="complaint", contact_id=contact["id"])
    question = agent.create("cases", subject="Owl food?", type="question", contact_id=contact["id"])
    assert question["sla"] is None
    first = case["sla"]["first_response"]
    assert case["sla"]["policy"] == "complaints" and case["sla"]["next_response"] is None
    assert (
        before + timedelta(minutes=59)
        <= datetime.fromisoformat(first["due_at"])
        <= datetime.now(UTC) + timedelta(hours=1)
    )
    assert (first["met_at"], first["breached"], first["paused"]) == (None, False, False)
    assert 3500 <= first["remaining_business_seconds"] <= 3600

    soon = _instant(datetime.now(UTC) + timedelta(hours=2))
    listed = agent.get("/cases", params={"breach_before": soon}).json()["items"]
    assert [item["id"] for item in listed] == [case["id"]]

    path = f"/cases/{case['id']}"
    pending = agent.patch(path, json={"status": "pending"}, headers={"If-Match": f'"{case["version"]}"'})
    assert pending.status_code == 200, pending.text
    assert pending.json()["sla"]["first_response"]["paused"] is True
    assert agent.get("/cases", params={"breach_before": soon}).json()["items"] == []

    called = agent.post(f"{path}/messages", json={"body": "Still no owl", "visibility": "public", "author": "customer"})
    assert called.status_code == 201, called.text
    reply = agent.post(f"{path}/messages", json={"body": "It is on its way", "visibility": "public"})
    assert reply.status_code == 201, reply.text
    answered = agent.get(path).json()
    assert answered["first_response_at"] is not None
    assert answered["sla"]["first_response"]["met_at"] == answered["first_response_at"]
    assert answered["sla"]["next_response"]["met_at"] is not None


def test_service_settings_and_sla_filters_refuse_what_they_cannot_use(staff: Staff) -> None:
    admin, agent = staff("admin"), staff("support")
    bad_zone = {"calendars": [{"name": "x", "time_zone": "America"}]}
    assert (
        problem(admin.put("/service-settings", json=bad_zone, headers={"If-Match": '"0"'}), 422)["errors"][0]["field"]
        == "calendars[0].time_zone"
    )
    unknown = {"sla_policies": [{"name": "p", "calendar": "nowhere", "targets": {}}]}
    refused = problem(admin.put("/service-settings", json=unknown, headers={"If-Match": '"0"'}), 422)
    assert refused["errors"][0]["field"] == "sla_policies[0].calendar"
    assert admin.put("/service-settings", json=SETTINGS, headers={"If-Match": '"0"'}).status_code == 200
    assert agent.put("/service-settings", json=SETTINGS, headers={"If-Match": '"1"'}).status_code == 403
    assert problem(agent.get("/cases", params={"breach_before": "soon"}), 400)["errors"][0]["field"] == "breach_before"
    contact = admin.create("contacts", last_name="Tyrell")
    forged = agent.post("/cases", json={"subject": "x", "contact_id": contact["id"], "sla": {"policy": "vip"}})
    assert problem(forged, 422)["errors"][0]["field"] == "sla"


def _breached_and_escalated(agent: Client, case_id: str) -> dict[str, Any]:
    deadline = time.monotonic() + 150  # a one-minute target, the timer fired by the runtime, then the workflow
    while time.monotonic() < deadline:
        case: dict[str, Any] = agent.get(f"/cases/{case_id}").json()
        if case["queue"] == "tier2":
            return case
        time.sleep(1)
    raise AssertionError(f"case {case_id} was not escalated: {agent.get(f'/cases/{case_id}').text}")


def test_a_case_nobody_answers_breaches_on_its_timer_and_is_escalated_to_owner_and_manager(
    staff: Staff, local_runtime: LocalRuntime
) -> None:
    admin, agent = staff("admin"), staff("support", user="agent-1")
    owner, manager = f"owner-{uuid.uuid4().hex[:8]}@tyrell.example", f"boss-{uuid.uuid4().hex[:8]}@tyrell.example"
    assert admin.put("/users/agent-1", json={"name": "Rachael", "email": owner}).status_code == 201
    assert admin.put("/users/boss", json={"name": "Eldon", "email": manager}).status_code == 201
    settings = {
        "queues": [
            {"name": "general", "members": [{"user_id": "agent-1", "capacity": 9}], "manager_id": "boss"},
            {"name": "tier2", "members": [{"user_id": "boss", "capacity": 9}]},
        ],
        "calendars": [{"name": "always", "time_zone": "UTC", "hours": ALWAYS}],
        "sla_policies": [
            {
                "name": "fast",
                "calendar": "always",
                "targets": {"normal": {"first_response": 1}, "urgent": {"first_response": 1}},
                "escalation": {"raise_priority_to": "urgent", "move_to_queue": "tier2"},
            }
        ],
    }
    assert admin.put("/service-settings", json=settings, headers={"If-Match": '"0"'}).status_code == 200
    contact = admin.create("contacts", last_name="Sebastian")
    answered = agent.create("cases", subject="Answered", contact_id=contact["id"], owner_id="agent-1", queue="general")
    reply = agent.post(f"/cases/{answered['id']}/messages", json={"body": "On it", "visibility": "public"})
    assert reply.status_code == 201, reply.text
    case = agent.create("cases", subject="Toys broken", contact_id=contact["id"], owner_id="agent-1", queue="general")

    escalated = _breached_and_escalated(agent, case["id"])
    assert escalated["sla"]["first_response"]["breached"] is True
    assert escalated["priority"] == "urgent"
    kept = agent.get(f"/cases/{answered['id']}").json()
    assert (kept["sla"]["first_response"]["breached"], kept["priority"], kept["queue"]) == (False, "normal", "general")

    def told() -> list[str]:
        emails = requests.get(f"{local_runtime.url}/_local/outbox", timeout=30).json()["emails"]
        return [email["to"][0] for email in emails if f"[{case['number']}] SLA breached" in email["subject"]]

    deadline = time.monotonic() + 30
    while len(told()) < 2 and time.monotonic() < deadline:
        time.sleep(1)
    assert sorted(told()) == sorted([owner, manager])
