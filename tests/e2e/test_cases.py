"""Cases over HTTP: a customer's case from its creation through its conversation, the 360 view and the timeline
to its resolution; and the errors a client can make."""

from __future__ import annotations

import time
import uuid
from typing import Any

from tests.e2e.conftest import Client, Staff, problem, sample

UNKNOWN = "01JD5Y7M7ZV1W4T5C9H2K3N4P6"
CONSENTED = {"email": {"status": "opted_in", "at": "2026-11-01T09:00:00Z", "source": "phone_call"}}


def _customer(staff: Staff) -> dict[str, Any]:
    """A customer who agreed to email, at an account (set up by an admin: support does not create accounts)."""
    admin = staff("admin")
    account = admin.create("accounts", name="Nexus Replicants")
    return admin.create(
        "contacts",
        first_name="Roy",
        last_name="Batty",
        email="roy@nexus.example",
        account_id=account["id"],
        consent=CONSENTED,
    )


def _timeline(agent: Client, path: str, wanted: str) -> list[dict[str, Any]]:
    """The timeline's entries once one shows `wanted` (the notifier writes its email's entry a moment later)."""
    for _ in range(20):
        items: list[dict[str, Any]] = agent.get(f"{path}/timeline").json()["items"]
        if wanted in str(items):
            return items
        time.sleep(0.5)
    raise AssertionError(f"{path}/timeline never showed {wanted}: {items}")


def test_a_case_from_creation_through_its_conversation_to_its_resolution(staff: Staff) -> None:
    agent = staff("support", user="agent-1")
    customer = _customer(staff)
    created = agent.post("/cases", json=sample("createCase", contact_id=customer["id"], owner_id="agent-1"))
    assert created.status_code == 201, created.text
    case = created.json()
    assert case["number"].startswith("CS-") and case["account_id"] == customer["account_id"]
    assert created.headers["Location"] == f"/cases/{case['id']}" and created.headers["ETag"] == '"1"'
    path = f"/cases/{case['id']}"
    found = agent.get("/cases", params={"number": case["number"]}).json()["items"]
    assert [item["id"] for item in found] == [case["id"]]
    mine = agent.get("/cases", params={"owner_id": "me", "status": "new"}).json()["items"]
    assert [item["id"] for item in mine] == [case["id"]]

    note = agent.post(f"{path}/messages", json={"body": "Warehouse says it shipped late.", "visibility": "internal"})
    assert note.status_code == 201, note.text
    reply = agent.post(f"{path}/messages", json=sample("addCaseMessage"))
    assert reply.status_code == 201, reply.text
    conversation = agent.get(f"{path}/messages").json()["items"]
    assert [(m["visibility"], m["created_by"]) for m in conversation] == [
        ("internal", "agent-1"),
        ("public", "agent-1"),
    ]
    replied = agent.get(path).json()
    assert replied["message_count"] == 2 and replied["first_response_at"] is not None

    picture = agent.get(f"/contacts/{customer['id']}/360").json()
    assert picture["open_cases"]["count"] == 1
    assert picture["open_cases"]["latest"][0]["number"] == case["number"]
    entries = _timeline(agent, f"/contacts/{customer['id']}", "case_reply")
    sent = [entry for entry in entries if entry.get("template") == "case_reply"]
    assert sent and sent[0]["subject"].startswith(f"[{case['number']}] ")
    assert [e["status"] for e in entries if e["kind"] == "case"] == ["new"]
    account_entries = agent.get(f"/accounts/{customer['account_id']}/timeline").json()["items"]
    assert [e["case_id"] for e in account_entries if e["kind"] == "case"] == [case["id"]]

    etag = agent.get(path).headers["ETag"]
    assert problem(agent.patch(path, json={"status": "resolved"}, headers={"If-Match": etag}), 422)
    resolved = agent.patch(path, json=sample("updateCase"), headers={"If-Match": etag})
    assert resolved.status_code == 200, resolved.text
    assert resolved.json()["resolved_at"] is not None
    assert agent.get(f"/contacts/{customer['id']}/360").json()["open_cases"]["count"] == 0
    moves = [
        (e["from_status"], e["status"])
        for e in _timeline(agent, f"/contacts/{customer['id']}", "resolved")
        if e["kind"] == "case"
    ]
    assert moves == [("new", "resolved"), (None, "new")]


def test_bad_requests_name_their_field_and_other_tenants_see_nothing(staff: Staff) -> None:
    agent = staff("support")
    customer = _customer(staff)
    assert problem(agent.post("/cases", json={"subject": "No contact"}), 422)["errors"][0]["field"] == "contact_id"
    unknown = problem(agent.post("/cases", json={"subject": "x", "contact_id": UNKNOWN}), 422)
    assert unknown["errors"][0]["field"] == "contact_id"
    case = agent.create("cases", subject="Broken", contact_id=customer["id"])
    path = f"/cases/{case['id']}"
    assert problem(agent.post(f"{path}/messages", json={"body": "hi"}), 422)["errors"][0]["field"] == "visibility"
    assert problem(agent.get("/cases", params={"status": "open"}), 400)
    assert problem(agent.patch(path, json={"number": "CS-9"}, headers={"If-Match": '"1"'}), 422)
    stranger = staff("admin", tenant=f"other-{uuid.uuid4().hex[:8]}")
    assert problem(stranger.get(path), 404)
    assert problem(stranger.get(f"{path}/messages"), 404)
    assert problem(stranger.post(f"{path}/messages", json={"body": "x", "visibility": "internal"}), 404)
    assert agent.delete(path).status_code == 204
    assert problem(agent.post(f"{path}/messages", json={"body": "x", "visibility": "internal"}), 409)
    assert problem(agent.post(f"{path}/restore"), 403)
    assert staff("manager").post(f"{path}/restore").status_code == 200
