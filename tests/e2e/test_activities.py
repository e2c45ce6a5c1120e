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


def test_meetings_that_only_meet_both_book_and_overlapping_ones_clash(staff: Staff) -> None:
    """Bob holds 16:40-16:50; 16:30-16:40 touches the same 15-minute slot but not the same time."""
    bob = staff("sales", user=f"bob-{uuid.uuid4().hex[:6]}")

    def book(starts: str, ends: str) -> Any:
        times = {"starts_at": f"2026-11-23T{starts}:00Z", "ends_at": f"2026-11-23T{ends}:00Z"}
        return bob.post("/appointments", json={"title": "Meeting", **times})

    later = book("16:40", "16:50")
    assert later.status_code == 201, later.text
    earlier = book("16:30", "16:40")
    assert earlier.status_code == 201, earlier.text
    clash = problem(book("16:45", "17:00"), 409)
    assert clash["existing"] == {"type": "appointment", "id": later.json()["id"]}
    assert clash["errors"][0]["code"] == "clash"


def test_an_attached_lead_submission_reads_in_the_360_view_and_the_timelines(
    staff: Staff, customer: dict[str, str]
) -> None:
    sales = staff("sales")
    email = f"ada-{uuid.uuid4().hex[:8]}@acme.example"
    assert sales.patch(f"/contacts/{customer['contact_id']}", json={"email": email}, headers={"If-Match": '"1"'}).ok
    attached = sales.post("/leads", params={"on_duplicate": "attach"}, json={"email": email, "notes": "again"})
    assert attached.status_code == 200, attached.text
    picture = sales.get(f"/contacts/{customer['contact_id']}/360")
    assert picture.status_code == 200, picture.text
    [entry] = picture.json()["latest_interactions"]
    assert (entry["kind"], entry["id"], entry["submitted"]["notes"]) == (
        "lead_submission",
        attached.json()["interaction_id"],
        "again",
    )
    for path in (f"/contacts/{customer['contact_id']}/timeline", f"/accounts/{customer['account_id']}/timeline"):
        assert [item["id"] for item in sales.get(path).json()["items"]] == [entry["id"]]


def test_an_activity_is_listed_corrected_trashed_and_restored(staff: Staff, customer: dict[str, str]) -> None:
    sales, admin = staff("sales", user=f"rep-{uuid.uuid4().hex[:6]}"), staff("admin")
    contact = sales.create("contacts", last_name="Babbage")
    logged = sales.create(
        "activities", type="call", subject="Cal", occurred_at="2026-11-02T09:00:00Z", contact_id=contact["id"]
    )
    mine = sales.get("/activities", params={"owner_id": "me", "type": "call", "from": "2026-11-01T00:00:00Z"})
    assert [item["id"] for item in mine.json()["items"]] == [logged["id"]], mine.text
    assert problem(sales.get("/activities", params={"contact_id": contact["id"]}), 400)
    path = f"/activities/{logged['id']}"
    assert problem(sales.patch(path, json={"subject": "Call"}), 428)
    moved = sales.patch(path, json={"subject": "Call", **customer}, headers={"If-Match": '"1"'})
    assert moved.status_code == 200, moved.text
    account_timeline = sales.get(f"/accounts/{customer['account_id']}/timeline").json()["items"]
    assert [(item["id"], item["subject"]) for item in account_timeline] == [(logged["id"], "Call")]
    assert problem(sales.patch(path, json={"subject": "x"}, headers={"If-Match": '"1"'}), 412)
    assert sales.delete(path, headers={"If-Match": '"2"'}).status_code == 204
    assert sales.get(f"/contacts/{customer['contact_id']}/timeline").json()["items"] == []
    trash = sales.get("/activities", params={"deleted": "true"}).json()["items"]
    assert logged["id"] in [item["id"] for item in trash]
    assert admin.post(f"{path}/restore").status_code == 200
    assert [item["id"] for item in sales.get(f"/contacts/{customer['contact_id']}/timeline").json()["items"]] == [
        logged["id"]
    ]


def test_a_deals_timeline_shows_its_stage_moves_and_its_accounts_too(staff: Staff, customer: dict[str, str]) -> None:
    sales, manager = staff("sales"), staff("manager")
    stages = [{"name": "Qualified", "probability": 10}, {"name": "Demo", "probability": 40}]
    pipeline = manager.create("pipelines", name="Timeline", stages=stages)
    deal = sales.create(
        "deals",
        name="40 seats",
        amount="100.00",
        pipeline_id=pipeline["id"],
        close_date="2026-12-20",
        account_id=customer["account_id"],
        contact_ids=[customer["contact_id"]],
    )
    moved = sales.patch(f"/deals/{deal['id']}", json={"stage": "Demo"}, headers={"If-Match": '"1"'})
    assert moved.status_code == 200, moved.text
    for path in (f"/deals/{deal['id']}/timeline", f"/accounts/{customer['account_id']}/timeline"):
        items = sales.get(path).json()["items"]
        assert [(item["kind"], item["to_stage"]) for item in items] == [
            ("stage_change", "Demo"),
            ("stage_change", "Qualified"),
        ]
