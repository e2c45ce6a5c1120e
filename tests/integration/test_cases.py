import json
from typing import Any

import boto3  # type: ignore[import-untyped]
import pytest
from case_events.handler import lambda_handler as case_events

from rapport import config
from rapport.auth import caller_from_claims
from rapport.cases import store as case_store
from rapport.cases.models import CaseMessage, CaseMessageCreate, Visibility
from rapport.cases.service import cases, reply_of
from rapport.contacts.manifest import CONTACT
from rapport.events.models import DomainEvent
from rapport.notifications.requests import NotificationRequest
from tests.integration.followups import CONTEXT, Bus
from tests.integration.stored import summaries_in
from tools.lambda_api import Staff, call, create
from tools.metering import dynamodb_requests

SUPPORT = Staff(user="agent-1", groups=("support",))
OTHER_AGENT = Staff(user="agent-2", groups=("support",))
ADMIN = Staff(user="boss", groups=("admin",))
OTHER_TENANT = Staff(tenant="tenant-b", user="user-9", groups=("admin",))
NO_KEY: dict[str, str | None] = {"Idempotency-Key": None}
UNKNOWN = "01JD5Y7M7ZV1W4T5C9H2K3N4P5"


def caller_of(staff: Staff) -> Any:
    return caller_from_claims(staff.claims())


def new_case(staff: Staff = SUPPORT, **fields: Any) -> dict[str, Any]:
    reply = call("createCase", staff, body={"subject": "The part has not arrived", **fields}, headers=NO_KEY)
    assert reply.status == 201, reply.body
    return dict(reply.body)


def patch(case: dict[str, Any], staff: Staff = SUPPORT, /, **changes: Any) -> Any:
    return call("updateCase", staff, record_id=case["id"], body=changes, headers={"If-Match": f'"{case["version"]}"'})


def listed(staff: Staff = SUPPORT, **query: str) -> list[str]:
    with dynamodb_requests() as requests:
        reply = call("listCases", staff, query=query)
    assert reply.status == 200, reply.body
    assert requests == ["Query"]
    return [case["subject"] for case in reply.body["items"]]


def post_message(case_id: str, body: str, visibility: str, staff: Staff = SUPPORT) -> CaseMessage:
    return cases.add_message(caller_of(staff), case_id, CaseMessageCreate(body=body, visibility=Visibility(visibility)))


def replies(bus: Bus) -> list[NotificationRequest | None]:
    """The customer emails the new `case.message_added` events ask for (None for an internal note)."""
    added = [event for event in bus.publish_new() if event["detail-type"] == "case.message_added"]
    return [reply_of(DomainEvent.model_validate(event["detail"])) for event in added]


@pytest.fixture
def account() -> str:
    return str(create("createAccount", ADMIN, name="Tyrell")["id"])


@pytest.fixture
def contact(account: str) -> str:
    return str(create("createContact", ADMIN, last_name="Rosen", account_id=account)["id"])


def test_a_case_is_numbered_per_tenant_and_belongs_to_its_contact_s_account(contact, account):
    with dynamodb_requests() as requests:
        first = new_case(contact_id=contact)
    # the custom fields, the contact's account, the number, the SLA policies (rapport.cases.settings), the case
    assert requests == ["GetItem", "GetItem", "UpdateItem", "GetItem", "TransactWriteItems"]
    second = new_case(contact_id=contact)
    elsewhere = create("createContact", OTHER_TENANT, last_name="Tyrell")["id"]
    theirs = new_case(OTHER_TENANT, contact_id=elsewhere)
    assert (first["number"], second["number"], theirs["number"]) == ("CS-1", "CS-2", "CS-1")
    assert first["account_id"] == account
    assert (first["status"], first["type"], first["priority"], first["message_count"]) == (
        "new",
        "question",
        "normal",
        0,
    )
    assert first.get("owner_id") is None
    assert call("getCase", SUPPORT, record_id=first["id"]).body == first
    assert call("getCase", OTHER_TENANT, record_id=first["id"]).status == 404


def test_an_account_given_is_kept_and_a_contact_without_one_leaves_it_empty(contact):
    other_account = create("createAccount", ADMIN, name="Wallace")["id"]
    with dynamodb_requests() as requests:
        kept = new_case(contact_id=contact, account_id=other_account)
    assert requests == ["GetItem", "UpdateItem", "GetItem", "TransactWriteItems"]  # the custom fields first
    assert kept["account_id"] == other_account
    loner = create("createContact", ADMIN, last_name="Batty")["id"]
    assert new_case(contact_id=loner)["account_id"] is None


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({}, "contact_id"),
        ({"contact_id": UNKNOWN}, "contact_id"),
        ({"contact_id": "CONTACT", "account_id": UNKNOWN}, "account_id"),
        ({"contact_id": "CONTACT", "deal_id": UNKNOWN}, "deal_id"),
        ({"contact_id": "CONTACT", "number": "CS-9"}, "number"),
        ({"contact_id": "CONTACT", "resolved_at": "2026-11-30T10:00:00Z"}, "resolved_at"),
        ({"contact_id": "CONTACT", "status": "resolved"}, "resolution"),
        ({"contact_id": "CONTACT", "type": "rant"}, "type"),
        ({"contact_id": "CONTACT", "queue": "no spaces"}, "queue"),
    ],
)
def test_bad_input_names_its_field_and_writes_nothing(contact, body, field):
    body = {key: contact if value == "CONTACT" else value for key, value in body.items()}
    reply = call("createCase", SUPPORT, body={"subject": "Broken", **body}, headers=NO_KEY)
    assert reply.status in (400, 422), reply.body
    assert reply.headers["content-type"] == "application/problem+json"
    assert [error["field"] for error in reply.body["errors"]] == [field]
    assert call("listCases", SUPPORT, query={"contact_id": contact}).body["items"] == []


def test_a_trashed_contact_takes_no_new_case(contact):
    assert call("deleteContact", ADMIN, record_id=contact, headers={"If-Match": None}).status == 204
    reply = call("createCase", SUPPORT, body={"subject": "Broken", "contact_id": contact}, headers=NO_KEY)
    assert reply.status == 422 and reply.body["errors"][0]["field"] == "contact_id"


def test_a_case_is_found_by_its_number_in_one_query(contact):
    wanted = new_case(contact_id=contact, subject="Wanted")
    new_case(contact_id=contact, subject="Other")
    assert listed(number=wanted["number"]) == ["Wanted"]
    assert listed(number="CS-99") == []
    assert listed(OTHER_TENANT, number=wanted["number"]) == []
    bad = call("listCases", SUPPORT, query={"number": "cs-1"})
    assert bad.status == 400 and bad.body["errors"][0]["field"] == "number"


def test_each_list_is_one_query_newest_first(contact, account):
    other_contact = create("createContact", ADMIN, last_name="Stratton")["id"]
    new_case(contact_id=contact, subject="a", queue="returns", status="open", owner_id=SUPPORT.user)
    new_case(contact_id=contact, subject="b", queue="returns", owner_id=OTHER_AGENT.user)
    new_case(contact_id=other_contact, subject="c", queue="returns", status="open", owner_id=SUPPORT.user)
    new_case(contact_id=other_contact, subject="d", queue="billing", status="open", account_id=account)
    assert listed(queue="returns", status="open") == ["c", "a"]
    assert listed(queue="returns", status="new") == ["b"]
    assert listed(owner_id="me") == ["c", "a"]
    assert listed(owner_id="me", status="open") == ["c", "a"]
    assert listed(owner_id="me", status="new") == []
    assert listed(owner_id=OTHER_AGENT.user) == ["b"]
    assert listed(contact_id=contact) == ["b", "a"]
    assert listed(account_id=account) == ["d", "b", "a"]
    assert listed(OTHER_TENANT, account_id=account) == []
    assert listed() == ["d", "c", "b", "a"]
    assert listed(OTHER_TENANT) == []


def test_without_a_filter_the_list_is_the_tenant_s_live_cases_newest_first_paged(contact):
    for n in range(3):
        new_case(contact_id=contact, subject=f"case {n}")
    trashed = new_case(contact_id=contact, subject="trashed")
    assert call("deleteCase", SUPPORT, record_id=trashed["id"], headers={"If-Match": None}).status == 204
    first = call("listCases", SUPPORT, query={"limit": "2"})
    assert first.status == 200, first.body
    assert [case["subject"] for case in first.body["items"]] == ["case 2", "case 1"]
    rest = call("listCases", SUPPORT, query={"limit": "2", "cursor": first.body["next_cursor"]})
    assert [case["subject"] for case in rest.body["items"]] == ["case 0"] and rest.body["next_cursor"] is None
    elsewhere = call("listCases", SUPPORT, query={"contact_id": contact, "cursor": first.body["next_cursor"]})
    assert elsewhere.status == 400


@pytest.mark.parametrize("query", [{"status": "open"}, {"queue": "returns"}, {"contact_id": UNKNOWN, "queue": "x"}])
def test_a_filter_combination_the_list_does_not_serve_is_a_400_that_lists_them(query):
    reply = call("listCases", SUPPORT, query=query)
    assert reply.status == 400, reply.body
    assert "queue + status" in reply.body["detail"]


def test_pages_of_a_list_follow_its_cursor(contact):
    for n in range(3):
        new_case(contact_id=contact, subject=f"case {n}")
    first = call("listCases", SUPPORT, query={"contact_id": contact, "limit": "2"})
    assert [case["subject"] for case in first.body["items"]] == ["case 2", "case 1"]
    rest = call("listCases", SUPPORT, query={"contact_id": contact, "limit": "2", "cursor": first.body["next_cursor"]})
    assert [case["subject"] for case in rest.body["items"]] == ["case 0"]
    elsewhere = call("listCases", SUPPORT, query={"account_id": UNKNOWN, "cursor": first.body["next_cursor"]})
    assert elsewhere.status == 400


def test_resolving_needs_a_resolution_stamps_it_and_reopening_clears_the_stamps(contact):
    case = new_case(contact_id=contact, status="open")
    refused = patch(case, status="resolved")
    assert refused.status == 422 and [e["field"] for e in refused.body["errors"]] == ["resolution"]
    resolved = patch(case, status="resolved", resolution="Sent again by express").body
    assert resolved["resolved_at"] is not None and resolved.get("closed_at") is None
    closed = patch(resolved, status="closed").body
    assert closed["resolved_at"] == resolved["resolved_at"] and closed["closed_at"] is not None
    reopened = patch(closed, status="open").body
    assert reopened.get("resolved_at") is None and reopened.get("closed_at") is None
    assert reopened["resolution"] == "Sent again by express"
    back_to_new = patch(reopened, status="new")
    assert back_to_new.status == 422 and back_to_new.body["errors"][0]["field"] == "status"
    cleared = patch(reopened, status="closed", resolution=None)
    assert cleared.status == 422 and cleared.body["errors"][0]["field"] == "resolution"


def test_closing_a_case_never_resolved_stamps_both(contact):
    case = new_case(contact_id=contact, status="closed", resolution="Duplicate of CS-1")
    assert case["closed_at"] is not None and case["resolved_at"] == case["closed_at"]


@pytest.mark.parametrize("field", ["number", "first_response_at", "message_count", "closed_at"])
def test_what_rapport_sets_cannot_be_patched(contact, field):
    case = new_case(contact_id=contact)
    reply = patch(case, **{field: "CS-7" if field == "number" else "2026-11-30T10:00:00Z"})
    assert reply.status == 422 and [e["field"] for e in reply.body["errors"]] == [field]
    assert call("getCase", SUPPORT, record_id=case["id"]).body["version"] == case["version"]


def test_a_new_contact_brings_its_account_unless_the_account_changes_too(contact, account):
    wallace = create("createAccount", ADMIN, name="Wallace")["id"]
    moved_to = create("createContact", ADMIN, last_name="Luv", account_id=wallace)["id"]
    case = new_case(contact_id=contact)
    moved = patch(case, contact_id=moved_to).body
    assert moved["account_id"] == wallace
    assert summaries_in(CONTACT, contact, case_store.SUMMARY_PREFIX) == {}
    assert list(summaries_in(CONTACT, moved_to, case_store.SUMMARY_PREFIX)) == [f"C#CASE#{case['id']}"]
    both = patch(moved, contact_id=contact, account_id=wallace).body
    assert (both["contact_id"], both["account_id"]) == (contact, wallace)
    assert listed(account_id=account) == [] and listed(account_id=wallace) == [case["subject"]]
    loner = create("createContact", ADMIN, last_name="Batty")["id"]
    alone = patch(both, contact_id=loner).body
    assert alone["account_id"] is None
    assert listed(account_id=wallace) == []
    gone = patch(alone, contact_id=UNKNOWN)
    assert gone.status == 422 and gone.body["errors"][0]["field"] == "contact_id"


def test_only_a_public_staff_reply_is_emailed_and_stamps_the_first_response(contact):
    bus = Bus()
    case = new_case(contact_id=contact, subject="Where is my part?")
    post_message(case["id"], "Checking with the warehouse", "internal")
    assert replies(bus) == [None]
    noted = call("getCase", SUPPORT, record_id=case["id"]).body
    assert noted.get("first_response_at") is None and noted["message_count"] == 1
    message = post_message(case["id"], "It left today.\nTracking: 1Z999", "public")
    with dynamodb_requests() as requests:
        [request] = replies(bus)
    assert requests.count("Query") == 1 and "GetItem" not in requests  # the message's body, nothing more
    assert request is not None and request.dedupe_key == f"case-message:{message.id}"
    assert request.thread_id == case["id"], "an answer to the email it sends comes back to the case"
    assert request.recipient.type == "contact" and request.recipient.id == contact
    assert (request.template, request.channel, request.tenant_id) == ("case_reply", "email", SUPPORT.tenant)
    assert request.context["case"]["number"] == case["number"]
    assert request.context["message"]["body"] == "It left today.\nTracking: 1Z999"
    replied = call("getCase", SUPPORT, record_id=case["id"]).body
    assert replied["first_response_at"] is not None and replied["message_count"] == 2
    post_message(case["id"], "Any news?", "public")
    assert call("getCase", SUPPORT, record_id=case["id"]).body["first_response_at"] == replied["first_response_at"]


def test_the_conversation_is_one_query_oldest_first_internal_notes_included(contact):
    case = new_case(contact_id=contact)
    for n, visibility in enumerate(["internal", "public", "public"]):
        post_message(case["id"], f"message {n}", visibility)
    with dynamodb_requests() as requests:
        reply = call("listCaseMessages", SUPPORT, record_id=case["id"])
    assert requests == ["Query"]
    assert [(m["body"], m["visibility"]) for m in reply.body["items"]] == [
        ("message 0", "internal"),
        ("message 1", "public"),
        ("message 2", "public"),
    ]
    assert {m["case_id"] for m in reply.body["items"]} == {case["id"]}
    first = call("listCaseMessages", SUPPORT, record_id=case["id"], query={"limit": "2"})
    assert [m["body"] for m in first.body["items"]] == ["message 0", "message 1"]
    cursor = first.body["next_cursor"]
    rest = call("listCaseMessages", SUPPORT, record_id=case["id"], query={"limit": "2", "cursor": cursor})
    assert [m["body"] for m in rest.body["items"]] == ["message 2"]
    assert call("listCaseMessages", SUPPORT, record_id=UNKNOWN).status == 404
    assert call("listCaseMessages", OTHER_TENANT, record_id=case["id"]).status == 404
    assert new_case(contact_id=contact) and call("listCaseMessages", SUPPORT, record_id=case["id"]).status == 200


def test_a_case_without_messages_has_an_empty_conversation(contact):
    case = new_case(contact_id=contact)
    reply = call("listCaseMessages", SUPPORT, record_id=case["id"])
    assert reply.status == 200 and reply.body["items"] == []


def test_a_message_needs_a_body_and_a_visibility_and_a_live_case(contact):
    case = new_case(contact_id=contact)
    for body, field in (
        ({"body": "Hi"}, "visibility"),
        ({"visibility": "public"}, "body"),
        ({"body": "x", "visibility": "loud"}, "visibility"),
    ):
        reply = call("addCaseMessage", SUPPORT, record_id=case["id"], body=body, headers=NO_KEY)
        assert reply.status == 422, reply.body
        assert [error["field"] for error in reply.body["errors"]] == [field]
    assert call("addCaseMessage", SUPPORT, record_id=UNKNOWN, headers=NO_KEY).status == 404
    assert call("deleteCase", SUPPORT, record_id=case["id"], headers={"If-Match": None}).status == 204
    trashed = call(
        "addCaseMessage", SUPPORT, record_id=case["id"], body={"body": "x", "visibility": "internal"}, headers=NO_KEY
    )
    assert trashed.status == 409
    assert call("listCaseMessages", SUPPORT, record_id=case["id"]).body["items"] == []


@pytest.fixture
def bus_queue(monkeypatch: pytest.MonkeyPatch) -> Any:
    """The stage's bus under moto, its notification requests routed to a queue to read them back."""
    monkeypatch.setenv("EVENT_BUS_NAME", "rapport-test-bus")
    config.reload()
    events, sqs = boto3.client("events"), boto3.client("sqs")
    events.create_event_bus(Name="rapport-test-bus")
    queue = sqs.create_queue(QueueName="requests")["QueueUrl"]
    arn = sqs.get_queue_attributes(QueueUrl=queue, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    pattern = {"detail-type": ["notification.requested"]}
    events.put_rule(Name="requests", EventBusName="rapport-test-bus", EventPattern=json.dumps(pattern))
    events.put_targets(Rule="requests", EventBusName="rapport-test-bus", Targets=[{"Id": "q", "Arn": arn}])

    def received() -> list[dict[str, Any]]:
        messages = sqs.receive_message(QueueUrl=queue, MaxNumberOfMessages=10).get("Messages", [])
        return [json.loads(message["Body"])["detail"] for message in messages]

    return received


def test_a_public_reply_is_emailed_from_its_event_by_the_case_events_worker_once_per_message(contact, bus_queue):
    bus = Bus()
    case = new_case(contact_id=contact, subject="Where is my part?")
    key: dict[str, str | None] = {"Idempotency-Key": "reply-1"}
    note = call(
        "addCaseMessage", SUPPORT, record_id=case["id"], body={"body": "n", "visibility": "internal"}, headers=NO_KEY
    )
    assert note.status == 201
    reply = call(
        "addCaseMessage",
        SUPPORT,
        record_id=case["id"],
        body={"body": "On its way", "visibility": "public"},
        headers=key,
    )
    assert reply.status == 201, reply.body
    assert (reply.body["body"], reply.body["created_by"]) == ("On its way", SUPPORT.user)
    again = call(
        "addCaseMessage",
        SUPPORT,
        record_id=case["id"],
        body={"body": "On its way", "visibility": "public"},
        headers=key,
    )
    assert again.body == reply.body
    assert bus_queue() == []  # the API puts nothing on the bus: the worker does, from the table's events
    added = [event for event in bus.publish_new() if event["detail-type"] == "case.message_added"]
    assert len(added) == 2
    answers = [case_events(event, CONTEXT) for event in [*added, added[-1]]]  # the last one delivered twice
    assert answers == [{"requested": None}, {"requested": "case_reply"}, {"requested": "case_reply"}]
    requests = bus_queue()
    assert {request["dedupe_key"] for request in requests} == {f"case-message:{reply.body['id']}"}
    assert requests[0]["context"]["message"]["body"] == "On its way"
    assert call("getCase", SUPPORT, record_id=case["id"]).body["message_count"] == 2


def test_a_public_reply_is_stored_and_answered_201_whatever_the_bus_does(contact, monkeypatch):
    monkeypatch.setenv("EVENT_BUS_NAME", "no-such-bus")
    config.reload()
    case = new_case(contact_id=contact)
    reply = call(
        "addCaseMessage", SUPPORT, record_id=case["id"], body={"body": "Sorry!", "visibility": "public"}, headers=NO_KEY
    )
    assert reply.status == 201, reply.body
    assert [m["body"] for m in call("listCaseMessages", SUPPORT, record_id=case["id"]).body["items"]] == ["Sorry!"]


def test_case_events_come_from_the_table(contact):
    bus = Bus()
    case = new_case(contact_id=contact)
    post_message(case["id"], "Noted", "internal")
    published = [event for event in bus.publish_new() if event["detail"]["entity"] == "case"]
    assert [event["detail-type"] for event in published] == ["case.created", "case.updated", "case.message_added"]
    added = published[-1]["detail"]
    assert added["changes"]["message_count"] == {"before": 0, "after": 1}
    assert added["record"]["last_message"]["visibility"] == "internal"
    current = call("getCase", SUPPORT, record_id=case["id"]).body
    assert patch(current, priority="high").status == 200
    assert [event["detail-type"] for event in bus.publish_new()] == ["case.updated"]


def test_open_cases_show_in_the_contact_s_360_until_resolved(contact):
    cases_made = [new_case(contact_id=contact, subject=f"case {n}") for n in range(4)]
    picture = call("getContact360", SUPPORT, record_id=contact).body
    assert picture["open_cases"]["count"] == 4
    assert [brief["subject"] for brief in picture["open_cases"]["latest"]] == ["case 3", "case 2", "case 1"]
    assert picture["open_cases"]["latest"][0]["number"] == cases_made[3]["number"]
    patch(cases_made[3], status="resolved", resolution="Done")
    call("deleteCase", SUPPORT, record_id=cases_made[2]["id"], headers={"If-Match": None})
    picture = call("getContact360", SUPPORT, record_id=contact).body
    assert picture["open_cases"]["count"] == 2
    assert [brief["subject"] for brief in picture["open_cases"]["latest"]] == ["case 1", "case 0"]
    restored = call("restoreCase", ADMIN, record_id=cases_made[2]["id"], headers={"If-Match": None})
    assert restored.status == 200
    assert call("getContact360", SUPPORT, record_id=contact).body["open_cases"]["count"] == 3


def test_a_case_s_opening_and_status_changes_are_in_its_contact_s_and_account_s_timelines(contact, account):
    case = new_case(contact_id=contact, subject="Broken hinge")
    post_message(case["id"], "Noted", "internal")
    patch(call("getCase", SUPPORT, record_id=case["id"]).body, status="resolved", resolution="Replaced")
    for operation, record_id in (("listContactTimeline", contact), ("listAccountTimeline", account)):
        entries = [e for e in call(operation, SUPPORT, record_id=record_id).body["items"] if e["kind"] == "case"]
        assert [(e["from_status"], e["status"]) for e in entries] == [("new", "resolved"), (None, "new")], operation
        assert {(e["case_id"], e["number"], e["subject"]) for e in entries} == {
            (case["id"], case["number"], "Broken hinge")
        }


def test_erasing_a_case_removes_its_messages_summary_and_timeline_entries(contact, account):
    case = new_case(contact_id=contact)
    post_message(case["id"], "Noted", "internal")
    assert (
        call(
            "deleteCase", SUPPORT, record_id=case["id"], query={"permanent": "true"}, headers={"If-Match": None}
        ).status
        == 403
    )
    assert (
        call("deleteCase", ADMIN, record_id=case["id"], query={"permanent": "true"}, headers={"If-Match": None}).status
        == 204
    )
    assert call("getCase", SUPPORT, record_id=case["id"]).status == 404
    assert call("listCaseMessages", SUPPORT, record_id=case["id"]).status == 404
    assert summaries_in(CONTACT, contact, case_store.SUMMARY_PREFIX) == {}
    for operation, record_id in (("listContactTimeline", contact), ("listAccountTimeline", account)):
        assert [e for e in call(operation, SUPPORT, record_id=record_id).body["items"] if e["kind"] == "case"] == []
    assert listed(contact_id=contact) == []


def test_a_rep_changes_and_answers_only_their_own_cases_and_nobody_s(contact):
    """Sales reaches its own cases and unowned ones (README, Who may do what); support reaches all."""
    rep = Staff(user="rep-1", groups=("sales",))
    theirs = new_case(OTHER_AGENT, contact_id=contact, owner_id=OTHER_AGENT.user)
    nobodys = new_case(OTHER_AGENT, contact_id=contact)
    note = {"body": "x", "visibility": "internal"}
    refused = call("addCaseMessage", rep, record_id=theirs["id"], body=note, headers=NO_KEY)
    assert refused.status == 403, refused.body
    assert patch(theirs, rep, priority="high").status == 403
    assert call("addCaseMessage", rep, record_id=nobodys["id"], body=note, headers=NO_KEY).status == 201
    assert call("addCaseMessage", SUPPORT, record_id=theirs["id"], body=note, headers=NO_KEY).status == 201
    assert call("getCase", SUPPORT, record_id=theirs["id"]).body["message_count"] == 1


def test_a_trashed_case_is_restored_before_it_moves(contact):
    case = new_case(contact_id=contact)
    assert call("deleteCase", SUPPORT, record_id=case["id"], headers={"If-Match": None}).status == 204
    trashed = call("getCase", SUPPORT, record_id=case["id"]).body
    assert patch(trashed, contact_id=UNKNOWN).status == 409
