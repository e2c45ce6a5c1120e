"""Activities and timelines, tasks, appointments and the customer 360 over HTTP: main paths and errors."""

from __future__ import annotations

import uuid
from typing import Any

import pytest

from tests.e2e.conftest import Staff, one_team, problem, sample

UNKNOWN = "01JD5Y7M7ZV1W4T5C9H2K3N4P6"
WEEK = {"from": "2026-11-23T00:00:00Z", "to": "2026-11-30T00:00:00Z"}


@pytest.fixture
def customer(staff: Staff) -> dict[str, Any]:
    """An account and a contact at it."""
    sales = staff("sales")
    account = sales.create("accounts", name="Acme Corporation")
    contact = sales.create("contacts", first_name="Ada", last_name="Lovelace", account_id=account["id"])
    return {"account_id": account["id"], "contact_id": contact["id"]}


def test_an_activity_shows_in_the_timeline_of_each_record_it_links(staff: Staff, customer: dict[str, str]) -> None:
    sales = staff("sales")
    created = sales.post("/activities", json=sample("createActivity", **customer))
    assert created.status_code == 201, created.text
    activity = created.json()
    assert sales.get(f"/activities/{activity['id']}").json() == activity
    for path in (f"/contacts/{customer['contact_id']}/timeline", f"/accounts/{customer['account_id']}/timeline"):
        timeline = sales.get(path, params={"limit": 10})
        assert timeline.status_code == 200, timeline.text
        assert [item["id"] for item in timeline.json()["items"]] == [activity["id"]]
    unknown = problem(
        sales.post("/activities", json=sample("createActivity", contact_id=UNKNOWN, account_id=None)), 422
    )
    assert unknown["errors"][0]["field"] == "contact_id"
    assert problem(staff("marketing").post("/activities", json=sample("createActivity", **customer)), 403)
    assert problem(sales.get(f"/leads/{UNKNOWN}/timeline"), 404)


def test_a_task_is_planned_listed_worked_and_trashed(staff: Staff, customer: dict[str, str]) -> None:
    sales, manager = staff("sales"), staff("manager")
    created = sales.post("/tasks", json=sample("createTask", contact_id=customer["contact_id"]))
    assert created.status_code == 201, created.text
    task = created.json()
    mine = sales.get("/tasks", params={"assignee_id": "me", "status": "open"})
    assert [item["id"] for item in mine.json()["items"]] == [task["id"]]
    path = f"/tasks/{task['id']}"
    worked = sales.patch(path, json=sample("updateTask"), headers={"If-Match": '"1"'})
    assert (worked.status_code, worked.json()["status"]) == (200, "in_progress"), worked.text
    assert problem(sales.patch(path, json={"priority": "low"}), 428)
    assert problem(sales.post("/tasks", json={"title": ""}), 422)
    assert problem(sales.get("/tasks", params={"colour": "red"}), 400)
    assert sales.delete(path).status_code == 204
    assert problem(manager.post(f"{path}/restore"), 403)  # not the manager of the rep's team
    one_team(staff, "sales-user", "manager-user")
    assert manager.post(f"{path}/restore").status_code == 200
    assert problem(staff("sales", tenant=f"other-{uuid.uuid4().hex[:8]}").get(path), 404)


def test_an_appointment_holds_its_time_and_a_clash_is_409(staff: Staff, customer: dict[str, str]) -> None:
    sales = staff("sales", user="rep-1")
    booking = sample("createAppointment", contact_id=customer["contact_id"], attendee_ids=["rep-1"])
    created = sales.post("/appointments", json=booking)
    assert created.status_code == 201, created.text
    appointment = created.json()
    clash = problem(sales.post("/appointments", json={**booking, "title": "Double booked"}), 409)
    assert clash["detail"]
    calendar = sales.get("/appointments", params={"attendee_id": "me", **WEEK})
    assert [item["id"] for item in calendar.json()["items"]] == [appointment["id"]]
    path = f"/appointments/{appointment['id']}"
    moved = sales.patch(path, json=sample("updateAppointment"), headers={"If-Match": '"1"'})
    assert (moved.status_code, moved.json()["starts_at"][:16]) == (200, "2026-11-25T14:00"), moved.text
    assert sales.post("/appointments", json={**booking, "title": "Now free"}).status_code == 201
    assert problem(sales.post("/appointments", json={**booking, "ends_at": booking["starts_at"]}), 422)
    assert sales.delete(path).status_code == 204
    one_team(staff, "rep-1", "manager-user")
    assert staff("manager").post(f"{path}/restore").status_code == 200


def test_the_customer_360_is_the_contact_with_its_account_and_open_work(staff: Staff, customer: dict[str, str]) -> None:
    sales = staff("sales")
    sales.create("tasks", **sample("createTask", contact_id=customer["contact_id"]))
    picture = sales.get(f"/contacts/{customer['contact_id']}/360")
    assert picture.status_code == 200, picture.text
    assert customer["account_id"] in picture.text
    assert "Send the proposal for 40 seats" in picture.text
    assert problem(sales.get(f"/contacts/{UNKNOWN}/360"), 404)
