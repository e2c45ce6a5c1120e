"""Lead assignment on the running stack: a new lead gets an owner and a first-contact task within seconds,
through the table stream, the publisher, the bus rule and the state machine (moto executes it locally)."""

from __future__ import annotations

import time
from typing import Any

from tests.e2e.conftest import Staff, one_team


def eventually(check: Any, timeout: float = 120.0) -> Any:
    """Wait for the asynchronous path (stream, publisher, bus, state machine, worker), which on a busy CI machine
    also pays each function's cold start."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        result = check()
        if result:
            return result
        time.sleep(0.5)
    raise AssertionError(f"not true within {timeout}s")


def test_a_new_lead_gets_an_owner_and_a_first_contact_task(staff: Staff) -> None:
    manager = staff("manager", user="boss")
    one_team(staff, "boss", team="emea")  # the manager of the reps' team sets up their profiles
    for rep in ("ana", "ben"):
        profile = {"name": rep.title(), "email": f"{rep}@seller.example", "team": "emea", "manager_id": "boss"}
        assert manager.request("PUT", f"/users/{rep}", json=profile).status_code == 201
    rules = {"default_team": "emea", "teams": {"emea": ["ana", "ben"]}, "response_sla_minutes": 60}
    assert manager.request("PUT", "/assignment-rules", json=rules, headers={"If-Match": '"0"'}).status_code == 200

    first = manager.post("/leads", json={"last_name": "Rosen", "company": "Tyrell"})
    second = manager.post("/leads", json={"last_name": "Tyrell"})
    assert (first.status_code, second.status_code) == (201, 201)

    def owners() -> list[str] | None:
        found = [manager.get(f"/leads/{lead.json()['id']}").json().get("owner_id") for lead in (first, second)]
        return found if all(found) else None

    assert sorted(eventually(owners)) == ["ana", "ben"]
    ana = staff("sales", user="ana")
    tasks = ana.get("/tasks", params={"assignee_id": "me", "status": "open"}).json()["items"]
    assert [task["title"] for task in tasks] in (["First contact: Rosen (Tyrell)"], ["First contact: Tyrell"])
    assert manager.post(f"/leads/{first.json()['id']}/assign").status_code == 409  # owned now
