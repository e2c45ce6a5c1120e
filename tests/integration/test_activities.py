from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from functools import partial

import pytest

from local.lambda_api import Staff, call, create
from local.metering import dynamodb_requests
from rapport.activities.models import Activity, ActivityCreate
from rapport.activities.service import activities
from rapport.auth import caller_from_claims
from rapport.dal import keys
from rapport.dal.keys import Kind
from tests.integration.race import race
from tests.integration.stored import stored_record, stored_summary

SALES = Staff()
OTHER_TENANT = Staff(tenant="tenant-b", user="user-9", groups=("admin",))
UNKNOWN = "01JD5Y7M7ZV1W4T5C9H2K3N4P5"
NO_KEY: dict[str, str | None] = {"Idempotency-Key": None}


def log(staff: Staff = SALES, **fields):
    reply = call("createActivity", staff, body={"type": "call", **fields}, headers=NO_KEY)
    assert reply.status == 201, reply.body
    return reply.body


def timeline(kind: str, record_id: str, staff: Staff | None = SALES, **query):
    return call(f"list{kind}Timeline", staff, record_id=record_id, query=query or None)


@pytest.fixture
def linked():
    account = create("createAccount", name="Acme")
    contact = create("createContact", last_name="Lovelace", account_id=account["id"])
    return {
        "contact_id": contact["id"],
        "account_id": account["id"],
        "lead_id": stored_record(Kind.LEAD, name="Acme lead"),
        "deal_id": stored_record(Kind.DEAL, name="Acme 40 seats"),
    }


def test_an_activity_linking_four_records_is_one_transaction_and_shows_in_each_timeline(linked):
    body = {
        "type": "call",
        "direction": "outbound",
        "occurred_at": "2026-11-20T15:30:00+01:00",
        "subject": "Discovery call",
        "body": "x" * 1000,
        "duration_s": 1260,
        "outcome": "connected",
        **linked,
    }
    with dynamodb_requests() as requests:
        reply = call("createActivity", body=body, headers=NO_KEY)
    assert reply.status == 201, reply.body
    assert requests == ["TransactWriteItems"]
    activity = reply.body
    assert reply.headers["location"] == f"/activities/{activity['id']}"
    assert reply.etag == '"1"'
    assert activity["occurred_at"] == "2026-11-20T14:30:00Z"
    assert activity["created_by"] == SALES.user
    for kind, field in (("Contact", "contact_id"), ("Account", "account_id"), ("Lead", "lead_id"), ("Deal", "deal_id")):
        with dynamodb_requests() as requests:
            page = timeline(kind, linked[field])
        assert page.status == 200, page.body
        assert requests == ["Query"], kind
        [entry] = page.body["items"]
        assert entry["id"] == activity["id"]
        assert (entry["subject"], entry["outcome"], entry["duration_s"]) == ("Discovery call", "connected", 1260)
        assert entry["excerpt"] == "x" * 280
        assert {entry[field] for field in linked} == set(linked.values())
    read = call("getActivity", record_id=activity["id"])
    assert read.status == 200 and read.body["body"] == "x" * 1000 and read.etag == '"1"'


def test_timelines_run_newest_first_by_when_it_happened_and_page_with_cursors(linked):
    contact = linked["contact_id"]
    start = datetime(2026, 11, 1, 9, tzinfo=UTC)
    order = [3, 0, 4, 1, 2]  # logged out of order
    for day in order:
        log(subject=f"day {day}", occurred_at=(start + timedelta(days=day)).isoformat(), contact_id=contact)
    log(type="note", subject="other contact's", account_id=linked["account_id"])
    seen, cursor = [], None
    while True:
        query = {"limit": "2", **({"cursor": cursor} if cursor else {})}
        with dynamodb_requests() as requests:
            page = call("listContactTimeline", record_id=contact, query=query).body
        assert requests == ["Query"]
        seen += [entry["subject"] for entry in page["items"]]
        cursor = page["next_cursor"]
        if cursor is None:
            break
    assert seen == [f"day {day}" for day in (4, 3, 2, 1, 0)]


def test_the_first_page_reads_past_the_contacts_summaries(linked):
    contact = linked["contact_id"]
    for number in range(5):
        log(subject=f"call {number}", occurred_at=f"2026-11-0{number + 1}T09:00:00Z", contact_id=contact)
    # More summaries sit between the contact and its interactions than the first page's slack covers.
    for number in range(30):
        due = f"2026-12-{number + 1:02}T09:00:00Z"
        sk = keys.task_summary_sk(due, f"T{number:02}")
        stored_summary(Kind.CONTACT, contact, sk, Kind.TASK, f"T{number:02}", title="open task", due_at=due)
    seen, cursor, pages = [], None, 0
    while True:
        with dynamodb_requests() as requests:
            page = timeline("Contact", contact, limit="3", **({"cursor": cursor} if cursor else {})).body
        assert requests == ["Query"]
        pages += 1
        seen += [entry["subject"] for entry in page["items"]]
        cursor = page["next_cursor"]
        if cursor is None:
            break
    assert seen == [f"call {number}" for number in (4, 3, 2, 1, 0)]
    assert pages >= 3


def test_a_timeline_cursor_belongs_to_its_record(linked):
    for _ in range(3):
        log(contact_id=linked["contact_id"], account_id=linked["account_id"])
    cursor = timeline("Contact", linked["contact_id"], limit="1").body["next_cursor"]
    assert cursor
    reply = timeline("Account", linked["account_id"], limit="1", cursor=cursor)
    assert reply.status == 400 and reply.body["errors"][0]["field"] == "cursor"
    assert timeline("Contact", linked["contact_id"], OTHER_TENANT, cursor=cursor).status == 400


@pytest.mark.parametrize("field", ["contact_id", "account_id", "lead_id", "deal_id"])
def test_a_link_must_name_a_live_record_of_the_tenant(linked, field):
    factories: dict[str, Callable[[], str]] = {
        "contact_id": lambda: create("createContact", OTHER_TENANT, last_name="Theirs")["id"],
        "account_id": lambda: create("createAccount", OTHER_TENANT, name="Theirs")["id"],
        "lead_id": lambda: stored_record(Kind.LEAD, OTHER_TENANT, name="Theirs"),
        "deal_id": lambda: stored_record(Kind.DEAL, OTHER_TENANT, name="Theirs"),
    }
    theirs = factories[field]()
    for wrong in (UNKNOWN, theirs):
        reply = call("createActivity", body={"type": "note", **linked, field: wrong}, headers=NO_KEY)
        assert reply.status == 422, reply.body
        assert [error["field"] for error in reply.body["errors"]] == [field]
        assert reply.body["errors"][0]["code"] == "unknown_reference"
    for kind, linked_field in (("Contact", "contact_id"), ("Account", "account_id")):
        assert timeline(kind, linked[linked_field]).body["items"] == [], "nothing half-written"


def test_a_trashed_contact_takes_no_new_activities(linked):
    call("deleteContact", record_id=linked["contact_id"], headers={"If-Match": None})
    reply = call("createActivity", body={"type": "note", "contact_id": linked["contact_id"]}, headers=NO_KEY)
    assert reply.status == 422 and reply.body["errors"][0]["field"] == "contact_id"


def test_an_activity_needs_a_link():
    reply = call("createActivity", body={"type": "note", "subject": "floating"}, headers=NO_KEY)
    assert reply.status == 422
    assert {error["field"] for error in reply.body["errors"]} == {"contact_id", "account_id", "lead_id", "deal_id"}


def test_occurred_at_defaults_to_now(linked):
    before = datetime.now(UTC).replace(microsecond=0)
    activity = log(contact_id=linked["contact_id"])
    assert before <= datetime.fromisoformat(activity["occurred_at"]) <= datetime.now(UTC)


@pytest.mark.parametrize(
    ("body", "fields"),
    [
        ({"type": "fax"}, {"type"}),
        ({"type": "call", "direction": "sideways", "duration_s": -1}, {"direction", "duration_s"}),
        ({"type": "call", "occurred_at": "2026-11-20T14:30:00"}, {"occurred_at"}),
        ({"type": "call", "occurred_at": "2999-01-01T00:00:00Z"}, {"occurred_at"}),
        ({"type": "call", "occurred_at": "1969-12-31T23:59:59Z"}, {"occurred_at"}),
        ({"type": "call", "subject": "", "colour": "red"}, {"subject", "colour"}),
    ],
)
def test_invalid_activities_are_422_naming_the_fields(linked, body, fields):
    reply = call("createActivity", body={**body, "contact_id": linked["contact_id"]}, headers=NO_KEY)
    assert reply.status == 422
    assert {error["field"] for error in reply.body["errors"]} == fields


def test_a_retried_log_replays_and_logs_once(linked):
    body = {"type": "email", "subject": "Proposal sent", "contact_id": linked["contact_id"]}
    first = call("createActivity", body=body, headers={"Idempotency-Key": "log-1"})
    again = call("createActivity", body=body, headers={"Idempotency-Key": "log-1"})
    assert first.status == again.status == 201
    assert again.body == first.body and again.headers["idempotency-replayed"] == "true"
    assert len(timeline("Contact", linked["contact_id"]).body["items"]) == 1


def test_who_may_log_and_read(linked):
    assert call("createActivity", None, body={"type": "note", **linked}).status == 401
    assert timeline("Contact", linked["contact_id"], None).status == 401
    marketing = SALES.as_("marketing")
    reply = call("createActivity", marketing, body={"type": "note", **linked}, headers=NO_KEY)
    assert reply.status == 403
    log(contact_id=linked["contact_id"])
    assert len(timeline("Contact", linked["contact_id"], marketing).body["items"]) == 1


def test_unknown_and_other_tenants_records_are_404(linked):
    activity = log(**linked)
    for kind, field in (("Contact", "contact_id"), ("Account", "account_id"), ("Lead", "lead_id"), ("Deal", "deal_id")):
        for staff, record_id in ((OTHER_TENANT, linked[field]), (SALES, UNKNOWN)):
            reply = timeline(kind, record_id, staff)
            assert reply.status == 404, (kind, reply.body)
            assert reply.headers["content-type"] == "application/problem+json"
    assert call("getActivity", OTHER_TENANT, record_id=activity["id"]).status == 404
    assert call("getActivity", record_id=UNKNOWN).status == 404


def test_a_token_without_a_role_reads_nothing(linked):
    nobody = SALES.as_()
    activity = log(contact_id=linked["contact_id"])
    assert call("getActivity", None, record_id=activity["id"]).status == 401
    assert call("getActivity", nobody, record_id=activity["id"]).status == 403
    assert timeline("Contact", linked["contact_id"], nobody).status == 403
    assert call("getContact360", nobody, record_id=linked["contact_id"]).status == 403
    assert call("listTasks", nobody).status == 403
    assert call("listAppointments", nobody).status == 403


def test_concurrent_logs_on_one_contact_all_land_in_its_timeline(linked):
    caller = caller_from_claims({"sub": SALES.user, "custom:tenant_id": SALES.tenant, "cognito:groups": "sales"})
    logs = [
        partial(
            activities.create, caller, ActivityCreate.model_validate({"type": "sms", "subject": f"sms {n}", **linked})
        )
        for n in range(6)
    ]
    results = race(logs)
    assert all(isinstance(result, Activity) for result in results), results
    for kind, field in (("Contact", "contact_id"), ("Deal", "deal_id")):
        assert len(timeline(kind, linked[field]).body["items"]) == 6
