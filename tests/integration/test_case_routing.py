"""Queues and routing under moto: the service settings document, a new case routed to a queue and an owner by the
assignment engine, in the combinations a tenant makes, once however often the bus delivers `case.created`."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest
from case_events.handler import lambda_handler

from rapport.assignment import store as assignment_store
from rapport.cases import router
from rapport.cases.router import Outcome
from tests.integration.followups import CONTEXT, Bus
from tests.integration.race import race
from tools.lambda_api import Staff, call, create

TENANT = "tenant-a"
ADMIN = Staff(TENANT, "root", ("admin",))
MANAGER = Staff(TENANT, "boss", ("manager",))
AGENT = Staff(TENANT, "agent-1", ("support",))
NOW = datetime(2026, 11, 23, 9, 0, tzinfo=UTC)
NO_KEY: dict[str, str | None] = {"Idempotency-Key": None}
QUEUES = [
    {"name": "returns", "members": [{"user_id": "ana", "capacity": 2}, {"user_id": "ben", "capacity": 1}]},
    {"name": "vip", "members": [{"user_id": "cy", "capacity": 5}], "manager_id": "boss"},
    {"name": "general", "members": [{"user_id": "dee", "capacity": 5}]},
]
RULES = [
    {"match": {"type": ["return"]}, "queue": "returns"},
    {"match": {"account_tags": ["VIP"]}, "queue": "vip"},
    {"match": {"priority": ["urgent"], "channel": ["phone", "sms"]}, "queue": "vip"},
]


def put_settings(staff: Staff = MANAGER, **content: Any) -> Any:
    body = {"queues": QUEUES, "routing_rules": RULES, "default_queue": "general", **content}
    current = call("getServiceSettings", staff).etag
    return call("putServiceSettings", staff, body=body, headers={"If-Match": current})


@pytest.fixture
def settings() -> None:
    reply = put_settings()
    assert reply.status == 200, reply.body


@pytest.fixture
def contact() -> str:
    account = create("createAccount", ADMIN, name="Tyrell", tags=["vip"])
    return str(create("createContact", ADMIN, last_name="Rosen", account_id=account["id"])["id"])


@pytest.fixture
def plain_contact() -> str:
    return str(create("createContact", ADMIN, last_name="Batty")["id"])


def new_case(contact_id: str, **fields: Any) -> str:
    body = {"subject": "The part has not arrived", "contact_id": contact_id, **fields}
    reply = call("createCase", AGENT, body=body, headers=NO_KEY)
    assert reply.status == 201, reply.body
    return str(reply.body["id"])


def case(case_id: str) -> dict[str, Any]:
    return dict(call("getCase", AGENT, record_id=case_id).body)


def away(user_id: str) -> None:
    profile = {
        "name": user_id.title(),
        "email": f"{user_id}@service.example",
        "away": {"from": "2026-11-20T00:00:00Z", "until": "2026-11-30T00:00:00Z"},
    }
    reply = call("putUser", ADMIN, record_id=user_id, body=profile, headers={"If-Match": None})
    assert reply.status == 201, reply.body


# The settings document


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"routing_rules": [{"match": {}, "queue": "nowhere"}]}, "routing_rules[0].queue"),
        ({"default_queue": "nowhere"}, "default_queue"),
        ({"queues": [*QUEUES, {"name": "vip"}]}, "queues[3].name"),
        ({"queues": [{"name": "x", "members": [{"user_id": "a", "capacity": 1}] * 2}]}, "queues[0].members"),
        ({"queues": [{"name": "x", "members": [{"user_id": "a", "capacity": 0}]}]}, "queues[0].members[0].capacity"),
        ({"queues": [{"name": "x y"}]}, "queues[0].name"),
        ({"routing_rules": [{"match": {"type": ["refund"]}, "queue": "vip"}]}, "routing_rules[0].match.type[0]"),
        ({"queues": [{"name": "x", "strategy": "random"}]}, "queues[0].strategy"),
    ],
)
def test_settings_naming_an_unknown_queue_a_queue_twice_or_a_member_twice_are_422_naming_the_field(change, field):
    reply = put_settings(**change)
    assert reply.status == 422, reply.body
    assert field in [error["field"] for error in reply.body["errors"]]
    assert call("getServiceSettings", AGENT).body["version"] == 0


def test_settings_are_empty_until_saved_then_read_by_everyone_and_changed_by_managers():
    unsaved = call("getServiceSettings", AGENT).body
    assert {name: unsaved[name] for name in ("queues", "routing_rules", "default_queue", "version", "updated_by")} == {
        "queues": [],
        "routing_rules": [],
        "default_queue": None,
        "version": 0,
        "updated_by": None,
    }
    assert put_settings(AGENT).status == 403
    saved = put_settings()
    assert saved.status == 200 and saved.etag == '"1"'
    read = call("getServiceSettings", AGENT).body
    assert read["queues"][0]["strategy"] == "round_robin" and read["queues"][1]["manager_id"] == "boss"
    assert read["default_queue"] == "general"


# Routing


@pytest.mark.usefixtures("settings")
@pytest.mark.parametrize(
    ("fields", "queue"),
    [
        ({"type": "return"}, "returns"),
        ({"type": "return", "priority": "urgent", "channel": "phone"}, "returns"),  # the first rule matching
        ({"priority": "urgent", "channel": "sms"}, "vip"),
        ({"priority": "urgent", "channel": "email"}, "general"),  # every field of a rule must match
        ({"priority": "high", "channel": "phone"}, "general"),
    ],
)
def test_a_new_case_goes_to_the_first_matching_rule_s_queue_else_the_default(plain_contact, fields, queue):
    case_id = new_case(plain_contact, **fields)
    routed = router.route(TENANT, case_id, NOW)
    assert routed.outcome is Outcome.ROUTED and routed.queue == queue
    stored = case(case_id)
    assert (stored["queue"], stored["owner_id"]) == (queue, routed.owner_id)
    assert stored["routed_at"] == "2026-11-23T09:00:00Z" and stored["updated_by"] == router.ACTOR


@pytest.mark.usefixtures("settings")
def test_a_rule_matches_the_case_s_account_tags_ignoring_case(contact, plain_contact):
    assert router.route(TENANT, new_case(contact), NOW).queue == "vip"
    assert router.route(TENANT, new_case(plain_contact), NOW).queue == "general"


@pytest.mark.usefixtures("settings")
def test_a_case_naming_a_queue_keeps_it_and_takes_an_owner_from_it(contact):
    routed = router.route(TENANT, new_case(contact, type="return", queue="general"), NOW)
    assert (routed.queue, routed.owner_id) == ("general", "dee")
    unknown = router.route(TENANT, new_case(contact, queue="nobody-works-here"), NOW)
    assert (unknown.outcome, unknown.queue, unknown.owner_id) == (Outcome.QUEUED, "nobody-works-here", None)


@pytest.mark.usefixtures("settings")
@pytest.mark.parametrize("queue", [None, "returns"])
def test_a_case_created_with_an_owner_is_left_alone_with_or_without_a_queue(plain_contact, queue):
    case_id = new_case(plain_contact, owner_id="zed", type="return", queue=queue)
    assert router.route(TENANT, case_id, NOW).outcome is Outcome.LEFT_ALONE
    stored = case(case_id)
    assert (stored["owner_id"], stored["queue"], stored.get("routed_at")) == ("zed", queue, None)


def test_without_a_matching_rule_or_a_default_queue_the_case_is_left_as_it_is(plain_contact):
    assert put_settings(default_queue=None).status == 200
    case_id = new_case(plain_contact)
    assert router.route(TENANT, case_id, NOW).outcome is Outcome.NO_QUEUE
    assert case(case_id)["version"] == 1


@pytest.mark.usefixtures("settings")
def test_members_take_turns_weighted_by_capacity_and_are_skipped_at_capacity(plain_contact):
    owners = [router.route(TENANT, new_case(plain_contact, type="return"), NOW).owner_id or "" for _ in range(4)]
    assert sorted(owners[:3]) == ["ana", "ana", "ben"]  # capacity 2 and 1: twice the turns
    assert owners[3] == ""  # both hold their capacity in open cases
    assert assignment_store.profiles(TENANT, ["ana", "ben"], assignment_store.CASE_LOAD_SK) == {
        "ana": (None, 2),
        "ben": (None, 1),
    }


@pytest.mark.usefixtures("settings")
def test_agents_away_are_skipped_and_with_everyone_away_the_case_is_queued_without_an_owner(plain_contact):
    away("ana")
    assert router.route(TENANT, new_case(plain_contact, type="return"), NOW).owner_id == "ben"
    away("ben")
    case_id = new_case(plain_contact, type="return")
    routed = router.route(TENANT, case_id, NOW)
    assert (routed.outcome, routed.queue, routed.owner_id) == (Outcome.QUEUED, "returns", None)
    stored = case(case_id)
    assert (stored["queue"], stored.get("owner_id"), stored["routed_at"]) == ("returns", None, "2026-11-23T09:00:00Z")
    assert router.route(TENANT, case_id, NOW).outcome is Outcome.LEFT_ALONE  # routed once


def test_least_open_cases_goes_to_the_member_with_fewest_open_cases_counting_cases_given_by_hand(plain_contact):
    queue = {"name": "desk", "strategy": "least_open", "members": [{"user_id": u, "capacity": 9} for u in "abc"]}
    assert put_settings(queues=[queue], routing_rules=[], default_queue="desk").status == 200
    for owner in ("a", "a", "b"):
        new_case(plain_contact, owner_id=owner)
    assert router.route(TENANT, new_case(plain_contact), NOW).owner_id == "c"
    assert router.route(TENANT, new_case(plain_contact), NOW).owner_id in {"b", "c"}
    resolved = new_case(plain_contact, owner_id="c")
    current = case(resolved)
    patched = call(
        "updateCase",
        AGENT,
        record_id=resolved,
        body={"status": "resolved", "resolution": "Done"},
        headers={"If-Match": f'"{current["version"]}"'},
    )
    assert patched.status == 200, patched.body
    loads = assignment_store.profiles(TENANT, ["a", "b", "c"], assignment_store.CASE_LOAD_SK)
    assert sum(load for _, load in loads.values()) == 5  # 3 by hand, 2 routed; the resolved one counted down


# Through the bus: once, however often it is delivered


def deliver(bus: Bus, wanted: str) -> list[dict[str, Any]]:
    events = [event for event in bus.publish_new() if event["detail-type"] == wanted]
    return [lambda_handler(event, CONTEXT) for event in events]


@pytest.mark.usefixtures("settings")
def test_case_created_routes_through_the_worker_as_a_case_update_and_a_redelivery_never_reassigns(plain_contact):
    bus = Bus()
    case_id = new_case(plain_contact, type="return")
    [created] = [event for event in bus.publish_new() if event["detail-type"] == "case.created"]
    [result] = [lambda_handler(created, CONTEXT)]
    assert result == {"outcome": "routed", "queue": "returns", "owner_id": "ana"}
    [updated] = bus.publish_new()
    assert updated["detail-type"] == "case.updated" and updated["detail"]["actor"] == router.ACTOR
    assert set(updated["detail"]["changes"]) == {"queue", "owner_id", "routed_at"}
    stored = case(case_id)
    cleared = call("updateCase", ADMIN, record_id=case_id, body={"owner_id": None}, headers={"If-Match": '"2"'})
    assert cleared.status == 200, cleared.body
    assert lambda_handler(created, CONTEXT)["outcome"] == "left_alone"
    assert case(case_id).get("owner_id") is None and case(case_id)["routed_at"] == stored["routed_at"]


@pytest.mark.usefixtures("settings")
def test_a_case_given_an_owner_before_the_worker_runs_is_left_alone(plain_contact):
    bus = Bus()
    case_id = new_case(plain_contact, type="return")
    taken = call("updateCase", AGENT, record_id=case_id, body={"owner_id": "agent-1"}, headers={"If-Match": '"1"'})
    assert taken.status == 200
    assert [result["outcome"] for result in deliver(bus, "case.created")] == ["left_alone"]
    assert case(case_id)["owner_id"] == "agent-1" and case(case_id).get("routed_at") is None


@pytest.mark.usefixtures("settings")
def test_two_deliveries_at_once_route_the_case_once_and_two_cases_at_once_take_two_turns(plain_contact):
    first = new_case(plain_contact, type="return")
    results = race([lambda: router.route(TENANT, first, NOW) for _ in range(2)])
    assert sorted(str(getattr(result, "outcome", result)) for result in results) == ["left_alone", "routed"]
    assert assignment_store.profiles(TENANT, ["ana"], assignment_store.CASE_LOAD_SK)["ana"][1] == 1
    second, third = new_case(plain_contact, type="return"), new_case(plain_contact, type="return")
    race([lambda: router.route(TENANT, second, NOW), lambda: router.route(TENANT, third, NOW)])
    assert sorted([case(second)["owner_id"], case(third)["owner_id"]]) == ["ana", "ben"]
