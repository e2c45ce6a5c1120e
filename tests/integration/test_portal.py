"""The customer portal: a customer sees and works only what is theirs, and a 404 answers for everything else.

The isolation matrix runs every portal route over every kind of record a customer could reach for: their own, a
colleague's (same account, another contact), another tenant's, a trashed one and none at all; an account manager
also reaches their account's cases. Internal notes and staff-only fields never appear in any answer.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from portal.handler import lambda_handler

from rapport.cases.models import CaseStatus
from tools.lambda_api import Customer, LambdaContext, Reply, Staff, call, create, sample_event
from tools.metering import dynamodb_requests

ROOT = Path(__file__).resolve().parents[2]
CONTEXT: Any = LambdaContext()
TENANT = "tenant-a"
SUPPORT = Staff(user="agent-1", groups=("support",))
ADMIN = Staff(user="boss", groups=("admin",))
OTHER_ADMIN = Staff(tenant="tenant-b", user="boss-b", groups=("admin",))
NO_KEY: dict[str, str | None] = {"Idempotency-Key": None}
UNKNOWN = "01JD5Y7M7ZV1W4T5C9H2K3N4P5"
INTERNAL_NOTE = "Internal: this customer is on the churn watch list"
STAFF_ONLY_FIELDS = {"owner_id", "tags", "score", "queue", "sla", "message_count", "last_message", "created_by"}


@dataclass(frozen=True)
class World:
    own: Customer  # Ada, of the account Acme
    colleague: Customer  # Bob, of Acme too
    manager: Customer  # Cleo, Acme's account manager
    stranger: Customer  # Dan, another tenant's contact
    cases: dict[str, str]  # kind of case -> its id


def _contact(staff: Staff, **fields: Any) -> str:
    return str(create("createContact", staff, **fields)["id"])


def _case(staff: Staff, contact_id: str, subject: str) -> str:
    return str(create("createCase", staff, subject=subject, contact_id=contact_id)["id"])


def _message(staff: Staff, case_id: str, body: str, visibility: str) -> None:
    reply = call(
        "addCaseMessage", staff, record_id=case_id, body={"body": body, "visibility": visibility}, headers=NO_KEY
    )
    assert reply.status == 201, reply.body


def _trash(staff: Staff, operation: str, record_id: str) -> None:
    reply = call(operation, staff, record_id=record_id, headers={"If-Match": None})
    assert reply.status == 204, reply.body


@pytest.fixture
def world() -> World:
    account = str(create("createAccount", ADMIN, name="Acme")["id"])
    ada = _contact(
        ADMIN,
        first_name="Ada",
        last_name="Lovelace",
        email="ada@acme.example",
        account_id=account,
        owner_id="agent-1",
        tags=["vip"],
    )
    bob = _contact(ADMIN, last_name="Babbage", email="bob@acme.example", account_id=account)
    cleo = _contact(
        ADMIN, last_name="Clever", email="cleo@acme.example", account_id=account, portal_role="account_manager"
    )
    dan = _contact(OTHER_ADMIN, last_name="Other", email="dan@other.example")
    cases = {
        "own": _case(SUPPORT, ada, "My parcel is late"),
        "colleague": _case(SUPPORT, bob, "Bob's invoice"),
        "other tenant": _case(OTHER_ADMIN, dan, "Another tenant's case"),
        "trashed": _case(SUPPORT, ada, "Opened by mistake"),
    }
    _trash(ADMIN, "deleteCase", cases["trashed"])
    for case_id in (cases["own"], cases["colleague"]):
        _message(SUPPORT, case_id, "We are on it.", "public")
        _message(SUPPORT, case_id, INTERNAL_NOTE, "internal")
    return World(
        own=Customer(TENANT, ada),
        colleague=Customer(TENANT, bob),
        manager=Customer(TENANT, cleo),
        stranger=Customer("tenant-b", dan),
        cases=cases,
    )


def _no_leak(reply: Reply) -> None:
    text = json.dumps(reply.body)
    assert INTERNAL_NOTE not in text
    bodies = reply.body.get("items", [reply.body]) if isinstance(reply.body, dict) else []
    for body in bodies:
        assert not STAFF_ONLY_FIELDS & set(body), body


CASE_READS = ("getPortalCase", "listPortalCaseMessages")
CASE_WRITES = ("addPortalCaseMessage", "closePortalCase", "reopenPortalCase")
BODIES: dict[str, Any] = {"addPortalCaseMessage": {"body": "Any news?"}}


def _on_case(operation: str, who: Customer, case_id: str) -> Reply:
    body = BODIES.get(operation)
    return call(operation, who, record_id=case_id, body=body, headers=NO_KEY)


# Who gets what: (the customer, the kind of case) -> whether it is theirs to see
MATRIX = [
    ("own", "own", True),
    ("own", "colleague", False),
    ("own", "other tenant", False),
    ("own", "trashed", False),
    ("own", "unknown", False),
    ("manager", "own", True),
    ("manager", "colleague", True),
    ("manager", "other tenant", False),
    ("manager", "trashed", False),
    ("colleague", "own", False),
    ("stranger", "own", False),
]


@pytest.mark.parametrize("operation", CASE_READS + CASE_WRITES)
@pytest.mark.parametrize(("who", "kind", "visible"), MATRIX, ids=[f"{w} on {k}" for w, k, _ in MATRIX])
def test_every_case_route_answers_only_about_the_customer_s_cases(
    world: World, operation: str, who: str, kind: str, visible: bool
) -> None:
    customer: Customer = getattr(world, who)
    case_id = world.cases.get(kind, UNKNOWN)
    if operation == "reopenPortalCase" and visible:
        assert _on_case("closePortalCase", customer, case_id).status == 200
    reply = _on_case(operation, customer, case_id)
    if not visible:
        assert reply.status == 404, reply.body
        assert reply.body["status"] == 404 and case_id in reply.body["detail"]
        return
    assert reply.status in (200, 201), reply.body
    _no_leak(reply)


def test_the_case_lists_hold_the_customer_s_live_cases_only(world: World) -> None:
    with dynamodb_requests() as requests:
        own = call("listPortalCases", world.own)
    assert requests == ["GetItem", "Query"]  # their contact, then their cases
    assert [case["id"] for case in own.body["items"]] == [world.cases["own"]]
    _no_leak(own)
    assert call("listPortalCases", world.colleague).body["items"][0]["id"] == world.cases["colleague"]
    assert call("listPortalCases", world.stranger).body["items"][0]["id"] == world.cases["other tenant"]
    managed = call("listPortalCases", world.manager, query={"scope": "account"})
    assert {case["id"] for case in managed.body["items"]} == {world.cases["own"], world.cases["colleague"]}
    _no_leak(managed)
    refused = call("listPortalCases", world.own, query={"scope": "account"})
    assert refused.status == 404, refused.body


def test_the_conversation_shows_public_messages_only_and_takes_the_customer_s(world: World) -> None:
    case_id = world.cases["own"]
    with dynamodb_requests() as requests:
        listed = call("listPortalCaseMessages", world.own, record_id=case_id)
    assert requests == ["GetItem", "Query"]
    assert [message["body"] for message in listed.body["items"]] == ["We are on it."]
    posted = call("addPortalCaseMessage", world.own, record_id=case_id, body={"body": "Thanks!"}, headers=NO_KEY)
    assert posted.status == 201 and posted.body["author"] == "customer"
    staff_view = call("listCaseMessages", SUPPORT, record_id=case_id).body["items"]
    assert [(m["body"], m["author"], m["visibility"]) for m in staff_view][-1] == ("Thanks!", "customer", "public")
    again = call("listPortalCaseMessages", world.own, record_id=case_id).body["items"]
    assert [message["body"] for message in again] == ["We are on it.", "Thanks!"]


def test_a_customer_s_message_reopens_a_resolved_case_and_a_closed_one_takes_none(world: World) -> None:
    case_id = world.cases["own"]
    case = call("getCase", SUPPORT, record_id=case_id).body
    resolved = call(
        "updateCase",
        SUPPORT,
        record_id=case_id,
        body={"status": "resolved", "resolution": "Shipped again"},
        headers={"If-Match": f'"{case["version"]}"'},
    )
    assert resolved.status == 200, resolved.body
    call("addPortalCaseMessage", world.own, record_id=case_id, body={"body": "Not arrived"}, headers=NO_KEY)
    assert call("getPortalCase", world.own, record_id=case_id).body["status"] == CaseStatus.OPEN
    closed = call("closePortalCase", world.own, record_id=case_id)
    assert closed.body["status"] == CaseStatus.CLOSED and closed.body["resolution"] == "Shipped again"
    refused = call("addPortalCaseMessage", world.own, record_id=case_id, body={"body": "Hello?"}, headers=NO_KEY)
    assert refused.status == 409, refused.body
    assert call("closePortalCase", world.own, record_id=case_id).status == 409
    assert call("reopenPortalCase", world.own, record_id=case_id).body["status"] == CaseStatus.OPEN
    assert call("reopenPortalCase", world.own, record_id=case_id).status == 409


def test_a_customer_opens_a_case_of_their_own_through_the_portal(world: World) -> None:
    created = call("createPortalCase", world.own, body={"subject": "Broken lid", "type": "complaint"}, headers=NO_KEY)
    assert created.status == 201, created.body
    assert created.body["contact_id"] == world.own.contact and created.headers["location"].endswith(created.body["id"])
    staff_view = call("getCase", SUPPORT, record_id=created.body["id"]).body
    assert (staff_view["channel"], staff_view["contact_id"], staff_view["created_by"]) == (
        "portal",
        world.own.contact,
        f"contact:{world.own.contact}",
    )
    forged = call("createPortalCase", world.own, body={"subject": "x", "contact_id": world.colleague.contact})
    assert forged.status == 422 and forged.body["errors"][0]["field"] == "contact_id"


def test_a_customer_reads_and_changes_only_their_name_phone_and_address(world: World) -> None:
    with dynamodb_requests() as requests:
        me = call("getPortalProfile", world.own)
    assert requests == ["GetItem"]
    assert me.body["email"] == "ada@acme.example" and me.headers["etag"] == f'"{me.body["version"]}"'
    _no_leak(me)
    changed = call(
        "updatePortalProfile",
        world.own,
        body={"phone": "+44 20 7946 0018", "first_name": None},
        headers={"If-Match": me.headers["etag"]},
    )
    assert changed.status == 200, changed.body
    assert changed.body["phone"] == "+442079460018" and changed.body["first_name"] is None
    staff_view = call("getContact", ADMIN, record_id=world.own.contact).body
    assert (staff_view["owner_id"], staff_view["tags"]) == ("agent-1", ["vip"]), "staff fields untouched"
    stale = call("updatePortalProfile", world.own, body={"phone": None}, headers={"If-Match": me.headers["etag"]})
    assert stale.status == 412
    assert call("updatePortalProfile", world.own, body={"phone": None}, headers={"If-Match": None}).status == 428
    colleague_phone = {"phone": "+44 20 7946 0999"}
    assert (
        call(
            "updateContact", ADMIN, record_id=world.colleague.contact, body=colleague_phone, headers={"If-Match": '"1"'}
        ).status
        == 200
    )
    taken = call("updatePortalProfile", world.own, body=colleague_phone, headers={"If-Match": changed.etag})
    assert taken.status == 409 and taken.body["errors"][0]["field"] == "phone", taken.body
    assert world.colleague.contact not in json.dumps(taken.body) and "existing" not in taken.body
    for field, value in (("email", "x@y.example"), ("owner_id", "me"), ("tags", ["a"]), ("portal_role", None)):
        refused = call("updatePortalProfile", world.own, body={field: value}, headers={"If-Match": changed.etag})
        assert refused.status == 422 and refused.body["errors"][0]["field"] == field, refused.body


def test_a_customer_records_their_consent_with_source_portal(world: World) -> None:
    assert call("getPortalConsent", world.own).body == {"email": None, "sms": None, "topics": None}
    recorded = call("putPortalConsent", world.own, body={"channel": "email", "status": "opted_out"})
    assert recorded.status == 200, recorded.body
    assert (recorded.body["email"]["status"], recorded.body["email"]["source"]) == ("opted_out", "portal")
    history = call("listConsentHistory", ADMIN, record_id=world.own.contact).body["items"]
    assert [(entry["status"], entry["source"], entry["recorded_by"]) for entry in history] == [
        ("opted_out", "portal", f"contact:{world.own.contact}")
    ]
    unknown = call("putPortalConsent", world.own, body={"channel": "email", "topic": "nope", "status": "opted_in"})
    assert unknown.status == 422 and unknown.body["errors"][0]["field"] == "topic", unknown.body
    pending = call("putPortalConsent", world.own, body={"channel": "email", "status": "pending"})
    assert pending.status == 422 and pending.body["errors"][0]["field"] == "status"
    forged = call("putPortalConsent", world.own, body={"channel": "email", "status": "opted_in", "source": "api"})
    assert forged.status == 422 and forged.body["errors"][0]["field"] == "source"


@pytest.mark.parametrize("who", ["own", "manager"])
def test_a_trashed_contact_s_customer_gets_404_on_every_route_at_once(world: World, who: str) -> None:
    """Their token lasts its hour: each answer reads their contact, so the trash shuts them out at once, from their
    own cases and, for an account manager, from their account's."""
    customer: Customer = getattr(world, who)
    case_id = world.cases["own"]
    with dynamodb_requests() as requests:
        assert call("getPortalCase", customer, record_id=case_id).status == 200
    assert requests == ["BatchGetItem"]  # the case and their contact
    before = call("getCase", SUPPORT, record_id=case_id).body
    _trash(ADMIN, "deleteContact", customer.contact)
    replies = {
        "profile": call("getPortalProfile", customer),
        "consent": call("getPortalConsent", customer),
        "consent change": call("putPortalConsent", customer, body={"channel": "email", "status": "opted_in"}),
        "new case": call("createPortalCase", customer, body={"subject": "Still there?"}, headers=NO_KEY),
        "cases": call("listPortalCases", customer),
        "account's cases": call("listPortalCases", customer, query={"scope": "account"}),
        "appointments": call("listPortalAppointments", customer),
        "articles": call("listPortalArticles", customer),
        **{operation: _on_case(operation, customer, case_id) for operation in CASE_READS + CASE_WRITES},
    }
    assert {route: reply.status for route, reply in replies.items()} == dict.fromkeys(replies, 404)
    assert call("getCase", SUPPORT, record_id=case_id).body == before  # nothing was written


def test_appointments_are_the_customer_s_scheduled_ones_without_staff_fields(world: World) -> None:
    fields = {"title": "Fitting", "starts_at": "2030-01-07T10:00:00Z", "ends_at": "2030-01-07T11:00:00Z"}
    create("createAppointment", SUPPORT, **fields, contact_id=world.own.contact)
    create(
        "createAppointment",
        SUPPORT,
        **{**fields, "title": "Bob's", "starts_at": "2030-01-08T10:00:00Z", "ends_at": "2030-01-08T11:00:00Z"},
        contact_id=world.colleague.contact,
    )
    with dynamodb_requests() as requests:
        listed = call("listPortalAppointments", world.own)
    assert requests == ["GetItem", "Query"]
    assert [(item["title"], item["status"]) for item in listed.body["items"]] == [("Fitting", "scheduled")]
    assert "attendee_ids" not in listed.body["items"][0]
    assert call("listPortalAppointments", world.stranger).body["items"] == []


def test_the_knowledge_base_shows_published_public_articles_of_the_customer_s_tenant(world: World) -> None:
    article = {"body": "Send it back within 30 days.", "visibility": "public", "status": "published"}
    create("createArticle", SUPPORT, title="How to return a product", **article)
    create("createArticle", SUPPORT, title="Return fraud playbook", body="Staff only", status="published")
    create("createArticle", OTHER_ADMIN, title="Returns at the other tenant", **article)
    with dynamodb_requests() as requests:
        found = call("listPortalArticles", world.own, query={"q": "return"})
    assert requests == ["Query", "Query", "BatchGetItem"]  # no article linked to their cases; the search; their contact
    assert [item["title"] for item in found.body["items"]] == ["How to return a product"]


PORTAL_OPERATIONS = sorted(path.stem for path in (ROOT / "events" / "apigw" / "portal").glob("*.json"))


@pytest.mark.parametrize("operation", PORTAL_OPERATIONS)
def test_staff_tokens_are_refused_on_every_portal_route(operation: str) -> None:
    event = sample_event(operation)
    event["requestContext"]["authorizer"] = {"claims": ADMIN.claims()}  # the staff pool's: no contact
    response = lambda_handler(event, CONTEXT)
    assert response["statusCode"] == 403, response
    assert "customers" in json.loads(response["body"])["detail"]


@pytest.mark.parametrize("operation", PORTAL_OPERATIONS)
def test_no_token_is_a_401_on_every_portal_route(operation: str) -> None:
    assert call(operation, None).status == 401
