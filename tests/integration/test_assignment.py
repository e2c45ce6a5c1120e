"""Lead assignment under moto: territory → team, weighted round robin, capacity, availability, the races, the
first-contact task, SLA check and reassignment with its notifications; and the users / rules API."""

from __future__ import annotations

import functools
from collections.abc import Mapping
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from rapport.assignment import service
from rapport.assignment import store as assignment_store
from rapport.assignment.models import Assignment, AssignmentRules, Outcome
from rapport.dal import repository
from rapport.leads.manifest import LEAD
from rapport.leads.models import LeadCreate
from rapport.leads.service import leads
from rapport.tasks.manifest import TASK
from tests.integration.notification_contract import assert_default_templates_fill
from tests.integration.race import race
from tools.lambda_api import Staff, call

TENANT = "tenant-a"
MANAGER = Staff(TENANT, "boss", ("manager",))
ADMIN = Staff(TENANT, "root", ("admin",))
NOW = datetime(2026, 11, 23, 9, 0, tzinfo=UTC)


def put_user(user_id: str, **fields: Any) -> None:
    profile = {"name": user_id.title(), "email": f"{user_id}@seller.example", "team": "emea", **fields}
    reply = call("putUser", ADMIN, record_id=user_id, body=profile, headers={"If-Match": None})
    assert reply.status == 201, reply.body


def put_rules(**rules: Any) -> None:
    body = {
        "territories": [{"match": {"country": "US"}, "team": "amer"}],
        "default_team": "emea",
        "teams": {"emea": ["ana", "ben"], "amer": ["cy"]},
        "response_sla_minutes": 30,
        **rules,
    }
    current = call("getAssignmentRules", MANAGER).etag
    reply = call("putAssignmentRules", MANAGER, body=body, headers={"If-Match": current})
    assert reply.status == 200, reply.body


def new_lead(**fields: Any) -> str:
    return leads.create_as(TENANT, "user-1", LeadCreate(**{"last_name": "Lead", **fields})).id


@pytest.fixture
def team() -> None:
    put_user("ana", max_open_leads=10, manager_id="boss")
    put_user("ben", max_open_leads=10, manager_id="boss")
    put_user("cy", team="amer")
    put_user("boss", team=None)
    put_rules()


def owner(lead_id: str) -> str | None:
    record = repository.get(TENANT, LEAD, lead_id)
    assert record is not None
    return record.data.get("owner_id")


def open_leads(user_id: str) -> int:
    return assignment_store.open_leads(TENANT, user_id)


@pytest.mark.usefixtures("team")
def test_a_lead_goes_to_its_territorys_team_with_a_first_contact_task_due_at_the_sla():
    lead_id = new_lead(country="US")
    outcome = service.assign(TENANT, lead_id, now=NOW)
    assert (outcome.status, outcome.owner_id, outcome.team) == (Outcome.ASSIGNED, "cy", "amer")
    assert owner(lead_id) == "cy"
    assert outcome.due_at == "2026-11-23T09:30:00Z"
    task = repository.get(TENANT, TASK, outcome.task_id or "")
    assert task is not None
    assert task.data["assignee_id"] == "cy"
    assert task.data["lead_id"] == lead_id
    assert task.data["due_at"] == "2026-11-23T09:30:00Z"
    assert open_leads("cy") == 1


@pytest.mark.usefixtures("team")
def test_round_robin_takes_turns_and_a_lead_with_an_owner_keeps_it():
    owners = [service.assign(TENANT, new_lead(), now=NOW).owner_id for _ in range(4)]
    assert owners == ["ana", "ben", "ana", "ben"]
    owned = new_lead(owner_id="cy")
    outcome = service.assign(TENANT, owned, now=NOW)
    assert (outcome.status, outcome.owner_id) == (Outcome.ALREADY_OWNED, "cy")
    assert open_leads("cy") == 0


@pytest.mark.usefixtures("team")
def test_two_leads_at_once_go_to_two_different_reps():
    first, second = new_lead(), new_lead()
    results = race([lambda: service.assign(TENANT, first, now=NOW), lambda: service.assign(TENANT, second, now=NOW)])
    assert all(isinstance(result, Assignment) for result in results), results
    assert {owner(first), owner(second)} == {"ana", "ben"}
    assert (open_leads("ana"), open_leads("ben")) == (1, 1)


@pytest.mark.usefixtures("team")
def test_two_runs_for_one_lead_assign_it_once():
    lead_id = new_lead()
    results = race([lambda: service.assign(TENANT, lead_id, now=NOW) for _ in range(2)])
    statuses = sorted(result.status for result in results if isinstance(result, Assignment))
    assert statuses == [Outcome.ALREADY_OWNED, Outcome.ASSIGNED]
    assert open_leads("ana") + open_leads("ben") == 1


def test_a_rep_at_capacity_or_over_quota_or_away_is_skipped():
    put_user("ana", max_open_leads=1)
    put_user("ben", daily_quota=1)
    put_user("cy", away={"from": "2026-11-20T00:00:00Z", "until": "2026-11-30T00:00:00Z"})
    put_rules(teams={"emea": ["ana", "ben", "cy"], "amer": ["cy"]})
    owners = [service.assign(TENANT, new_lead(), now=NOW).owner_id for _ in range(2)]
    assert owners == ["ana", "ben"]
    full = service.assign(TENANT, new_lead(), now=NOW)
    assert (full.status, full.owner_id) == (Outcome.NO_REP, None)
    assert service.assign(TENANT, new_lead(), now=NOW + timedelta(days=1)).owner_id == "ben"  # a new day
    assert service.assign(TENANT, new_lead(), now=NOW + timedelta(days=8)).owner_id == "cy"  # back


def test_a_rep_filled_up_by_a_concurrent_run_is_skipped():
    put_user("ana", max_open_leads=1)
    put_user("ben", max_open_leads=1)
    put_rules()
    lead_ids = [new_lead() for _ in range(3)]
    results = race([functools.partial(service.assign, TENANT, lead_id, now=NOW) for lead_id in lead_ids])
    statuses = sorted(result.status for result in results if isinstance(result, Assignment))
    assert statuses == [Outcome.ASSIGNED, Outcome.ASSIGNED, Outcome.NO_REP], results
    assert (open_leads("ana"), open_leads("ben")) == (1, 1)


@pytest.mark.usefixtures("team")
def test_a_missed_sla_reassigns_to_the_next_rep_and_notifies_both_and_the_manager(monkeypatch: pytest.MonkeyPatch):
    monkeypatch.setenv("EVENT_BUS_NAME", "rapport-bus")
    first = service.assign(TENANT, new_lead(first_name="Rachael", company="Tyrell"), now=NOW)
    assert service.contacted(first) == (False, "no activity since the assignment")
    second = service.reassign(first, now=NOW + timedelta(minutes=31))
    assert (second.status, second.owner_id, second.previous_owner_id) == (Outcome.ASSIGNED, "ben", "ana")
    assert second.reassignments == 1
    old_task = repository.get(TENANT, TASK, first.task_id or "")
    assert old_task is not None and old_task.data["status"] == "cancelled"
    assert (open_leads("ana"), open_leads("ben")) == (0, 1)
    sent: list[dict[str, Any]] = []

    def put_events(entries: list[dict[str, Any]]) -> Mapping[str, Any]:
        sent.extend(entries)
        return {"Entries": [{} for _ in entries]}

    requests = service.notify(second, put_events)
    assert [(r.template, r.recipient.id) for r in requests] == [
        ("lead_reassigned", "ben"),
        ("lead_sla_missed", "ana"),
        ("lead_sla_missed", "boss"),
    ]
    assert {entry["DetailType"] for entry in sent} == {"notification.requested"}
    assert requests[0].context["lead"]["name"] == "Rachael Lead"
    for request in requests:
        assert_default_templates_fill(request.template, request.context)


@pytest.mark.usefixtures("team")
def test_reassignment_stops_at_the_cap_and_when_someone_took_the_lead():
    put_rules(max_reassignments=1, response_sla_minutes=30)
    first = service.assign(TENANT, new_lead(), now=NOW)
    second = service.reassign(first, now=NOW)
    assert service.reassign(second, now=NOW).status == Outcome.CAP_REACHED
    other = service.assign(TENANT, new_lead(), now=NOW)
    lead = repository.get(TENANT, LEAD, other.lead_id)
    assert lead is not None
    call(
        "updateLead",
        ADMIN,
        record_id=other.lead_id,
        body={"owner_id": "cy"},
        headers={"If-Match": f'"{lead.version}"'},
    )
    assert service.contacted(other)[0] is True
    assert service.reassign(other, now=NOW).status == Outcome.ALREADY_OWNED


@pytest.mark.usefixtures("team")
def test_an_activity_on_the_lead_counts_as_first_contact():
    outcome = service.assign(TENANT, new_lead(), now=datetime.now(UTC) - timedelta(minutes=5))
    reply = call(
        "createActivity",
        Staff(TENANT, "ana", ("sales",)),
        body={"type": "call", "lead_id": outcome.lead_id, "occurred_at": datetime.now(UTC).isoformat()},
        headers={"Idempotency-Key": None},
    )
    assert reply.status == 201, reply.body
    assert service.contacted(outcome)[0] is True


def test_rules_name_only_teams_they_list_and_need_if_match():
    reply = call("putAssignmentRules", MANAGER, body={"default_team": "x"}, headers={"If-Match": '"0"'})
    assert reply.status == 422
    assert call("putAssignmentRules", MANAGER, body={}, headers={"If-Match": None}).status == 428
    assert (
        call("putAssignmentRules", Staff(TENANT, "rep", ("sales",)), body={}, headers={"If-Match": '"0"'}).status == 403
    )
    put_rules()
    got = call("getAssignmentRules", MANAGER)
    assert (got.status, got.etag, got.body["default_team"]) == (200, '"1"', "emea")
    assert call("putAssignmentRules", MANAGER, body={}, headers={"If-Match": '"0"'}).status == 412
    saved = {key: value for key, value in got.body.items() if key not in {"version", "updated_at", "updated_by"}}
    assert AssignmentRules.model_validate(saved).response_sla_minutes == 30


def test_users_edit_their_contact_details_and_availability_but_not_their_capacity():
    put_user("ana", max_open_leads=5)
    ana = Staff(TENANT, "ana", ("sales",))
    mine = call("getUser", ana, record_id="ana")
    assert (mine.status, mine.body["max_open_leads"], mine.body["notify_by"]) == (200, 5, ["email"])
    profile = {k: v for k, v in mine.body.items() if k in {"name", "email", "team", "max_open_leads", "time_zone"}}
    changed = call(
        "putUser",
        ana,
        record_id="ana",
        body={**profile, "phone": "+44 20 7946 0001", "notify_by": ["sms"]},
        headers={"If-Match": mine.etag},
    )
    assert (changed.status, changed.body["phone"], changed.body["notify_by"]) == (200, "+442079460001", ["sms"])
    greedy = call(
        "putUser", ana, record_id="ana", body={**profile, "max_open_leads": 50}, headers={"If-Match": changed.etag}
    )
    assert greedy.status == 403
    assert call("putUser", ana, record_id="ben", body=profile, headers={"If-Match": None}).status == 403
    away = {"away": {"from": "2026-12-20T00:00:00Z", "until": "2027-01-04T00:00:00Z"}}
    set_away = call("setUserAvailability", ana, record_id="ana", body=away, headers={"If-Match": None})
    assert (set_away.status, set_away.body["away"]) == (200, away["away"])
    assert call("setUserAvailability", ana, record_id="boss", body=away, headers={"If-Match": None}).status in (
        403,
        404,
    )
    backwards = {"away": {"from": "2027-01-04T00:00:00Z", "until": "2026-12-20T00:00:00Z"}}
    assert call("setUserAvailability", ana, record_id="ana", body=backwards, headers={"If-Match": None}).status == 422
    listed = call("listUsers", ana, query={"team": "emea"})
    assert [user["id"] for user in listed.body["items"]] == ["ana"]
    assert call("getUser", Staff("tenant-b", "ana", ("admin",)), record_id="ana").status == 404
    sms_without_phone = {"name": "Ben", "email": "ben@seller.example", "notify_by": ["sms"]}
    assert call("putUser", MANAGER, record_id="ben", body=sms_without_phone, headers={"If-Match": None}).status == 422
