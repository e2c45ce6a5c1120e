"""Queues and routing on the running stack: the service settings saved over HTTP, then a new case without an owner
gets its queue and an owner within seconds, through the table stream, the publisher, the bus rule and the case
events worker; and the settings a client gets wrong."""

from __future__ import annotations

from typing import Any

from tests.e2e.conftest import Client, Staff, problem
from tests.e2e.test_assignment import eventually

SETTINGS = {
    "queues": [
        {"name": "returns", "members": [{"user_id": "ana", "capacity": 2}, {"user_id": "ben", "capacity": 1}]},
        {"name": "general", "members": [{"user_id": "cy", "capacity": 5}], "strategy": "least_open"},
    ],
    "routing_rules": [{"match": {"type": ["return"], "channel": ["web", "email"]}, "queue": "returns"}],
    "default_queue": "general",
}


def _routed(agent: Client, case_id: str) -> dict[str, Any] | None:
    case: dict[str, Any] = agent.get(f"/cases/{case_id}").json()
    return case if case.get("routed_at") else None


def test_saved_settings_route_new_cases_to_a_queue_and_an_owner_within_seconds(staff: Staff) -> None:
    manager, agent = staff("manager", user="boss"), staff("support", user="agent-1")
    assert agent.get("/service-settings").json()["version"] == 0
    saved = manager.request("PUT", "/service-settings", json=SETTINGS, headers={"If-Match": '"0"'})
    assert saved.status_code == 200, saved.text
    assert saved.headers["ETag"] == '"1"'
    contact = staff("admin").create("contacts", last_name="Rosen")
    bodies = [
        {"subject": "Wrong size", "type": "return", "channel": "web"},  # the rule: returns
        {"subject": "Wrong colour", "type": "return", "channel": "email"},  # returns, the next turn
        {"subject": "Where is my order?", "type": "question", "channel": "web"},  # the default queue
        {"subject": "Sent back", "type": "return", "channel": "phone", "queue": "general"},  # its own queue
        {"subject": "Mine", "type": "return", "channel": "web", "owner_id": "agent-1"},  # owned: left alone
    ]
    ids = []
    for body in bodies:
        created = agent.post("/cases", json={**body, "contact_id": contact["id"]})
        assert created.status_code == 201, created.text
        ids.append(created.json()["id"])
    routed = [eventually(lambda case_id=case_id: _routed(agent, case_id)) for case_id in ids[:4]]
    assert [case["queue"] for case in routed] == ["returns", "returns", "general", "general"]
    assert sorted(case["owner_id"] for case in routed[:2]) == ["ana", "ben"]  # turns, whichever is routed first
    assert [case["owner_id"] for case in routed[2:]] == ["cy", "cy"]
    assert {case["updated_by"] for case in routed} == {"routing"}
    owned = agent.get(f"/cases/{ids[4]}").json()
    assert (owned["owner_id"], owned["queue"], owned["routed_at"]) == ("agent-1", None, None)
    queue = agent.get("/cases", params={"queue": "returns", "status": "new"}).json()["items"]
    assert [case["subject"] for case in queue] == ["Wrong colour", "Wrong size"]
    history = agent.get("/service-settings/history").json()["items"]
    assert [(item["version"], item["updated_by"]) for item in history] == [(1, "boss")]


def test_settings_a_client_gets_wrong_are_422_naming_the_field_and_agents_cannot_save(staff: Staff) -> None:
    manager = staff("manager", user="boss")
    wrong = {**SETTINGS, "routing_rules": [{"match": {"priority": ["urgent"]}, "queue": "vip"}]}
    refused = problem(manager.request("PUT", "/service-settings", json=wrong, headers={"If-Match": '"0"'}), 422)
    assert [error["field"] for error in refused["errors"]] == ["routing_rules[0].queue"]
    twice = {"queues": [{"name": "a", "members": [{"user_id": "x", "capacity": 1}] * 2}]}
    refused = problem(manager.request("PUT", "/service-settings", json=twice, headers={"If-Match": '"0"'}), 422)
    assert [error["field"] for error in refused["errors"]] == ["queues[0].members"]
    problem(staff("support").request("PUT", "/service-settings", json=SETTINGS, headers={"If-Match": '"0"'}), 403)
    problem(manager.request("PUT", "/service-settings", json=SETTINGS), 428)
    assert manager.get("/service-settings").json()["version"] == 0
