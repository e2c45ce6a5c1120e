"""Who may change what they do not own, over the API: every role, ownership and action on a deal, the other
owned records, staff profiles' contact details, and a conversion of another's lead."""

from __future__ import annotations

from typing import Any

import pytest

from rapport.users.models import UserProfile
from tests.integration.sales import pipeline
from tools.lambda_api import Staff, call, create

TENANT = "tenant-a"
ADMIN = Staff(TENANT, "root", ("admin",))
BOSS = Staff(TENANT, "boss", ("manager",))  # manages emea
OUTSIDER = Staff(TENANT, "olga", ("manager",))  # manages amer
ANA = Staff(TENANT, "ana", ("sales",))  # emea
BEN = Staff(TENANT, "ben", ("sales",))  # emea
CY = Staff(TENANT, "cy", ("sales",))  # amer
SUPPORT = Staff(TENANT, "sam", ("support",))
TEAMS = {"boss": "emea", "olga": "amer", "ana": "emea", "ben": "emea", "cy": "amer", "sam": None, "root": None}
NO_KEY: dict[str, str | None] = {"Idempotency-Key": None}


@pytest.fixture(autouse=True)
def profiles() -> None:
    for user_id, team in TEAMS.items():
        profile = {"name": user_id.title(), "email": f"{user_id}@seller.example", "phone": "+44 20 7946 0100"}
        reply = call("putUser", ADMIN, record_id=user_id, body={**profile, "team": team}, headers={"If-Match": None})
        assert reply.status == 201, reply.body


@pytest.fixture
def pipe() -> dict[str, Any]:
    return pipeline(BOSS)


def anas_deal(pipe: dict[str, Any]) -> dict[str, Any]:
    body = {"name": "Ana's", "amount": "1000.00", "pipeline_id": pipe["id"], "close_date": "2026-12-20"}
    return create("createDeal", ANA, **body)


def attempt(action: str, staff: Staff, deal: dict[str, Any]) -> int:
    version: dict[str, str | None] = {"If-Match": f'"{deal["version"]}"'}
    if action == "update":
        return call("updateDeal", staff, record_id=deal["id"], body={"amount": "1500.00"}, headers=version).status
    if action == "reassign":
        return call("updateDeal", staff, record_id=deal["id"], body={"owner_id": "ben"}, headers=version).status
    if action == "trash":
        return call("deleteDeal", staff, record_id=deal["id"], headers=version).status
    trashed = call("deleteDeal", ADMIN, record_id=deal["id"], headers=version)
    assert trashed.status == 204
    return call("restoreDeal", staff, record_id=deal["id"], headers={"If-Match": None}).status


ALLOWED = {"update": 200, "reassign": 200, "trash": 204, "restore": 200}


@pytest.mark.parametrize("action", list(ALLOWED))
@pytest.mark.parametrize(
    ("who", "staff", "may"),
    [
        ("the owner", ANA, {"update", "reassign", "trash"}),
        ("a teammate", BEN, set()),
        ("a rep of another team", CY, set()),
        ("the owner's manager", BOSS, {"update", "reassign", "trash", "restore"}),
        ("another team's manager", OUTSIDER, set()),
        ("an admin", ADMIN, {"update", "reassign", "trash", "restore"}),
    ],
)
def test_who_may_change_ana_s_deal(pipe, who, staff, may, action):
    status = attempt(action, staff, anas_deal(pipe))
    assert status == (ALLOWED[action] if action in may else 403), who


def test_a_refusal_says_why_and_changes_nothing(pipe):
    deal = anas_deal(pipe)
    reply = call("updateDeal", BEN, record_id=deal["id"], body={"owner_id": "ben"}, headers={"If-Match": '"1"'})
    assert reply.status == 403
    assert reply.headers["content-type"] == "application/problem+json"
    assert "ana's" in reply.body["detail"]
    assert call("getDeal", BEN, record_id=deal["id"]).body["owner_id"] == "ana"


def test_the_owner_hands_a_deal_over_and_then_it_is_the_new_owner_s(pipe):
    deal = anas_deal(pipe)
    handed = call("updateDeal", ANA, record_id=deal["id"], body={"owner_id": "cy"}, headers={"If-Match": '"1"'})
    assert (handed.status, handed.body["owner_id"]) == (200, "cy")
    assert (
        call("updateDeal", ANA, record_id=deal["id"], body={"amount": "1.00"}, headers={"If-Match": '"2"'}).status
        == 403
    )
    assert (
        call("updateDeal", CY, record_id=deal["id"], body={"amount": "1.00"}, headers={"If-Match": '"2"'}).status == 200
    )


def test_unowned_records_are_everyone_s_and_taking_another_s_is_refused():
    unowned = create("createAccount", ANA, name="Nobody's Ltd")
    claimed = call("updateAccount", BEN, record_id=unowned["id"], body={"owner_id": "ben"}, headers={"If-Match": '"1"'})
    assert (claimed.status, claimed.body["owner_id"]) == (200, "ben")
    taken = call("updateAccount", ANA, record_id=unowned["id"], body={"owner_id": "ana"}, headers={"If-Match": '"2"'})
    assert taken.status == 403
    assert "ben's" in taken.body["detail"]


def test_support_edits_any_contact_but_reassigns_only_its_own():
    contact = create("createContact", ANA, last_name="King", owner_id="ana")
    fixed = call(
        "updateContact", SUPPORT, record_id=contact["id"], body={"job_title": "CFO"}, headers={"If-Match": '"1"'}
    )
    assert fixed.status == 200
    moved = call(
        "updateContact", SUPPORT, record_id=contact["id"], body={"owner_id": "sam"}, headers={"If-Match": '"2"'}
    )
    assert moved.status == 403
    assert moved.body["errors"][0]["field"] == "owner_id"


def test_tasks_are_their_assignee_s_and_appointments_their_attendees_and_organizer_s():
    task = create("createTask", ANA, title="Call back", assignee_id="ana")
    assert call("updateTask", BEN, record_id=task["id"], body={"title": "x"}, headers={"If-Match": '"1"'}).status == 403
    assert (
        call("updateTask", BOSS, record_id=task["id"], body={"title": "x"}, headers={"If-Match": '"1"'}).status == 200
    )
    meeting = {"title": "Demo", "starts_at": "2026-12-01T09:00:00Z", "ends_at": "2026-12-01T10:00:00Z"}
    booked = create("createAppointment", ANA, **meeting, attendee_ids=["ana", "cy"])
    changed = call(
        "updateAppointment", CY, record_id=booked["id"], body={"title": "Demo 2"}, headers={"If-Match": '"1"'}
    )
    assert changed.status == 200
    assert call("deleteAppointment", BEN, record_id=booked["id"], headers={"If-Match": '"2"'}).status == 403


def test_a_lead_is_converted_by_who_may_change_it_into_records_of_anyone():
    their_account = create("createAccount", CY, name="Acme Group", domain="acme.example", owner_id="cy")
    lead = create("createLead", ANA, last_name="Lovelace", email="ada@acme.example", owner_id="ana")
    assert call("convertLead", BEN, record_id=lead["id"], body={}, headers=NO_KEY).status == 403
    converted = call("convertLead", ANA, record_id=lead["id"], body={}, headers=NO_KEY)
    assert (converted.status, converted.body["account_id"]) == (200, their_account["id"])


def profile_of(user_id: str) -> dict[str, Any]:
    body = call("getUser", ADMIN, record_id=user_id).body
    return {key: value for key, value in body.items() if key in UserProfile.model_fields}


def put_profile(staff: Staff, user_id: str, **changes: Any) -> Any:
    version = call("getUser", ADMIN, record_id=user_id).etag
    return call(
        "putUser", staff, record_id=user_id, body={**profile_of(user_id), **changes}, headers={"If-Match": version}
    )


@pytest.mark.parametrize(
    ("staff", "user_id", "changes", "status"),
    [
        (BOSS, "root", {"email": "boss@evil.example"}, 403),  # a manager redirecting an admin's notifications
        (BOSS, "root", {"phone": "+44 20 7946 0666"}, 403),
        (BOSS, "ana", {"email": "boss@evil.example"}, 403),  # even a member of the manager's team
        (BOSS, "ana", {"max_open_leads": 20, "title": "Senior rep"}, 200),
        (BOSS, "ana", {"team": None}, 200),  # a manager may take a member out of the team
        (BOSS, "ana", {"team": "amer"}, 403),  # but not hand them to another team
        (BOSS, "cy", {"max_open_leads": 20}, 403),  # another team's member
        (BOSS, "boss", {"email": "boss@new.example"}, 200),  # their own details
        (ANA, "ana", {"phone": "+44 20 7946 0001", "notify_by": ["email", "sms"]}, 200),
        (ANA, "ana", {"max_open_leads": 99}, 403),
        (ANA, "ben", {"email": "ana@seller.example"}, 403),
        (ADMIN, "ana", {"email": "ana@new.example", "team": "amer"}, 200),
    ],
)
def test_who_may_change_a_staff_profile(staff, user_id, changes, status):
    reply = put_profile(staff, user_id, **changes)
    assert reply.status == status, reply.body
    if status == 403:
        named = {error["field"] for error in reply.body["errors"]}
        assert named and named <= set(changes), "the refusal names the fields at fault"


def test_a_manager_sets_up_profiles_in_their_team_only_and_availability_of_its_members():
    newcomer = {"name": "Dee", "email": "dee@seller.example"}
    assert (
        call("putUser", BOSS, record_id="dee", body={**newcomer, "team": "emea"}, headers={"If-Match": None}).status
        == 201
    )
    elsewhere = call("putUser", BOSS, record_id="eve", body={**newcomer, "team": "amer"}, headers={"If-Match": None})
    assert elsewhere.status == 403
    away = {"away": {"from": "2026-12-20T00:00:00Z", "until": "2027-01-04T00:00:00Z"}}
    assert call("setUserAvailability", BOSS, record_id="ana", body=away, headers={"If-Match": None}).status == 200
    assert call("setUserAvailability", BOSS, record_id="cy", body=away, headers={"If-Match": None}).status == 403
    assert call("setUserAvailability", ADMIN, record_id="cy", body=away, headers={"If-Match": None}).status == 200
