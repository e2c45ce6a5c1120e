from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from functools import partial
from typing import Any

import pytest

from rapport.activities.manifest import ACTIVITY
from rapport.activities.models import Activity, ActivityCreate
from rapport.activities.service import activities
from rapport.auth import caller_from_claims
from rapport.contacts.manifest import CONTACT
from rapport.contexts import Kind
from rapport.dal import keys, repository
from rapport.dal.access import PartitionQuery
from rapport.dal.keys import IndexKeys
from rapport.dal.repository import Record, UnitOfWork
from rapport.deals import store as sales
from rapport.deals.manifest import DEAL
from rapport.errors import Busy
from rapport.leads.manifest import LEAD
from rapport.leads.scoring import ENGAGEMENT_ATTEMPTS
from rapport.leads.service import leads
from rapport.tasks import store as task_store
from rapport.tasks.manifest import TASK
from tests.integration.race import race
from tests.integration.sales import deal, pipeline
from tests.integration.stored import stored_record, stored_summary
from tools.lambda_api import Staff, call, create
from tools.metering import dynamodb_requests

SALES = Staff()
MANAGER = SALES.as_("manager")
OTHER_TENANT = Staff(tenant="tenant-b", user="user-9", groups=("admin",))
UNKNOWN = "01JD5Y7M7ZV1W4T5C9H2K3N4P5"
AT, PERIOD = "2026-11-20T14:30:00Z", "2026-Q4"
NO_KEY: dict[str, str | None] = {"Idempotency-Key": None}


def log(staff: Staff = SALES, **fields):
    reply = call("createActivity", staff, body={"type": "call", **fields}, headers=NO_KEY)
    assert reply.status == 201, reply.body
    return reply.body


def stored_partition(kind: Kind, record_id: str) -> list[str]:
    """The sort keys of the items beside the record in its partition (interactions and the like)."""
    page = repository.read_partition(PartitionQuery(keys.record_pk(SALES.tenant, kind, record_id)), limit=100)
    return [summary.sk for summary in page.summaries]


def timeline(kind: str, record_id: str, staff: Staff | None = SALES, **query):
    return call(f"list{kind}Timeline", staff, record_id=record_id, query=query or None)


def logged(kind: str, record_id: str, staff: Staff = SALES, **query) -> list[dict[str, Any]]:
    """The activities in a record's timeline (a deal's and its account's also show its stage moves)."""
    reply = timeline(kind, record_id, staff, **query)
    assert reply.status == 200, reply.body
    return [entry for entry in reply.body["items"] if entry["kind"] == "activity"]


@pytest.fixture
def linked():
    account = create("createAccount", name="Acme")
    contact = create("createContact", last_name="Lovelace", account_id=account["id"])
    return {
        "contact_id": contact["id"],
        "account_id": account["id"],
        "lead_id": create("createLead", last_name="Babbage", company="Acme")["id"],
        "deal_id": deal(pipeline()["id"], name="Acme 40 seats")["id"],
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
    # the contact and the deal (whose accounts' timelines show it too), the deal's search entries, the lead and the
    # scoring rules, then all
    assert requests == ["BatchGetItem", "GetItem", "GetItem", "GetItem", "TransactWriteItems"]
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
        [entry] = [entry for entry in page.body["items"] if entry["kind"] == "activity"]
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
        sk = task_store.summary_sk(due, f"T{number:02}")
        stored_summary(CONTACT, contact, sk, TASK, f"T{number:02}", title="open task", due_at=due)
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
        "lead_id": lambda: stored_record(LEAD, OTHER_TENANT, name="Theirs"),
        "deal_id": lambda: stored_record(DEAL, OTHER_TENANT, name="Theirs"),
    }
    theirs = factories[field]()
    for wrong in (UNKNOWN, theirs):
        reply = call("createActivity", body={"type": "note", **linked, field: wrong}, headers=NO_KEY)
        assert reply.status == 422, reply.body
        assert [error["field"] for error in reply.body["errors"]] == [field]
        assert reply.body["errors"][0]["code"] == "unknown_reference"
    for kind, linked_field in (("Contact", "contact_id"), ("Account", "account_id")):
        assert logged(kind, linked[linked_field]) == [], "nothing half-written"


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
    assert len(logged("Contact", linked["contact_id"])) == 1


def test_who_may_log_and_read(linked):
    assert call("createActivity", None, body={"type": "note", **linked}).status == 401
    assert timeline("Contact", linked["contact_id"], None).status == 401
    marketing = SALES.as_("marketing")
    reply = call("createActivity", marketing, body={"type": "note", **linked}, headers=NO_KEY)
    assert reply.status == 403
    log(contact_id=linked["contact_id"])
    assert len(logged("Contact", linked["contact_id"], marketing)) == 1


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


def _logs(count: int, links: dict[str, str]) -> list[Callable[[], Activity]]:
    caller = caller_from_claims({"sub": SALES.user, "custom:tenant_id": SALES.tenant, "cognito:groups": "sales"})
    return [
        partial(activities.create, caller, ActivityCreate.model_validate({"type": "sms", "occurred_at": AT, **links}))
        for _ in range(count)
    ]


def test_concurrent_logs_on_one_contact_and_deal_all_land(linked):
    results = race(_logs(6, {field: linked[field] for field in ("contact_id", "account_id", "deal_id")}))
    assert all(isinstance(result, Activity) for result in results), results
    for kind, field in (("Contact", "contact_id"), ("Deal", "deal_id")):
        assert len(logged(kind, linked[field])) == 6
    assert call("getDeal", record_id=linked["deal_id"]).etag == '"7"'  # each log touched it
    assert _activities_counted(SALES.user) == 6


def test_concurrent_logs_on_one_lead_are_retried_or_refused_whole(linked):
    """Each log writes the lead over the version it read: a log that meets another reads it again and retries,
    ENGAGEMENT_ATTEMPTS times at most, so that many racers all land; more may be refused (409) with nothing written."""
    links = {"contact_id": linked["contact_id"], "lead_id": linked["lead_id"]}
    results = race(_logs(ENGAGEMENT_ATTEMPTS, links))
    assert all(isinstance(result, Activity) for result in results), results
    results = race(_logs(8, links))
    landed = [result for result in results if isinstance(result, Activity)]
    assert all(isinstance(result, Activity | Busy) for result in results), results
    total = ENGAGEMENT_ATTEMPTS + len(landed)
    lead = call("getLead", record_id=linked["lead_id"]).body
    assert lead["engagement"]["activities"] == total
    assert len(logged("Lead", linked["lead_id"], limit="50")) == total
    assert len(logged("Contact", linked["contact_id"], limit="50")) == total
    assert _activities_counted(SALES.user) == total


# --- what an activity means for the records it links ---


def _activities_counted(user_id: str, period: str = PERIOD) -> int:
    """The activities the sales performance report counts for `user_id` in `period` (0 when it lists no figures)."""
    reply = call("getSalesPerformance", MANAGER, query={"period": period})
    assert reply.status == 200, reply.body
    return sum(owner["activities"] for owner in reply.body["owners"] if owner["owner_id"] == user_id)


def _rotting_deal() -> dict[str, Any]:
    """An open deal of a pipeline with rotting days, last touched long ago."""
    rotting = deal(pipeline(name="Rots", rotting_days=7)["id"], name="Stalled")
    work = UnitOfWork()
    work.update_item(*sales.touch_deal_activity(SALES.tenant, rotting["id"], "2026-01-05T10:00:00.000Z", SALES.user))
    work.commit()
    read = call("getDeal", record_id=rotting["id"])
    assert read.body["rotting"] is True
    return {**read.body, "etag": read.etag}


def test_an_activity_on_a_deal_keeps_it_from_rotting_and_counts_for_its_author_in_one_transaction():
    stalled = _rotting_deal()
    with dynamodb_requests() as requests:
        reply = call(
            "createActivity", body={"type": "meeting", "occurred_at": AT, "deal_id": stalled["id"]}, headers=NO_KEY
        )
    assert reply.status == 201, reply.body
    assert requests == ["BatchGetItem", "GetItem", "TransactWriteItems"]  # the deal's account, its entries, then all
    read = call("getDeal", record_id=stalled["id"])
    assert read.body["rotting"] is False
    assert read.body["last_activity_at"] == reply.body["created_at"], "when it was logged: it only moves forward"
    assert read.etag == '"3"', "a change of the deal: a stale edit of it is a 412"
    assert _activities_counted(SALES.user) == 1
    # Counted in the month it happened, for whoever logged it.
    ann = Staff(user="ann")
    log(ann, occurred_at="2026-09-30T23:59:59Z", deal_id=stalled["id"])
    assert (_activities_counted("ann", "2026-Q3"), _activities_counted("ann")) == (1, 0)
    assert _activities_counted(SALES.user) == 1


def test_every_activity_counts_for_its_author_without_another_request(linked):
    with dynamodb_requests() as requests:
        log(occurred_at=AT, contact_id=linked["contact_id"], account_id=linked["account_id"])
    assert requests == ["BatchGetItem", "TransactWriteItems"]  # the contact's account, then all
    assert _activities_counted(SALES.user) == 1


@pytest.mark.parametrize(
    ("activity", "counter", "reason"),
    [
        ({"type": "call"}, "activities", "1 activity"),
        ({"type": "email", "direction": "outbound"}, "activities", "1 activity"),
        ({"type": "email", "direction": "inbound"}, "email_replies", "1 email reply"),
        ({"type": "web"}, "web_visits", "1 web visit"),
    ],
)
def test_an_activity_on_a_lead_counts_as_its_engagement_and_rescores_it(activity, counter, reason):
    lead = create("createLead", email="a@x.example")
    assert (lead["score"], lead["engagement"]) == (0, None)
    with dynamodb_requests() as requests:
        reply = call("createActivity", body={**activity, "occurred_at": AT, "lead_id": lead["id"]}, headers=NO_KEY)
    assert reply.status == 201, reply.body
    assert requests == ["GetItem", "GetItem", "TransactWriteItems"]  # the lead, the scoring rules; then all
    read = call("getLead", record_id=lead["id"])
    assert read.body["engagement"][counter] == 1
    assert read.body["score"] == {"activities": 5, "email_replies": 10, "web_visits": 2}[counter]
    assert [entry["detail"] for entry in read.body["score_reasons"]] == [reason]
    assert read.etag == '"2"'
    assert [entry["id"] for entry in logged("Lead", lead["id"])] == [reply.body["id"]]
    assert _activities_counted(SALES.user) == 1


def test_a_trashed_deal_or_lead_takes_no_activity_and_nothing_is_written(linked):
    call("deleteDeal", record_id=linked["deal_id"], headers={"If-Match": None})
    deal_before = call("getDeal", record_id=linked["deal_id"])
    deal_partition = stored_partition(DEAL, linked["deal_id"])  # its stage moves
    body = {"type": "call", "occurred_at": AT, **linked}
    with dynamodb_requests() as requests:
        reply = call("createActivity", body=body, headers=NO_KEY)
    assert reply.status == 422, reply.body
    assert reply.headers["content-type"] == "application/problem+json"
    assert [(error["field"], error["code"]) for error in reply.body["errors"]] == [("deal_id", "unknown_reference")]
    # the accounts, the deal's entries, the lead and its rules; refused by the deal's condition
    assert requests == ["BatchGetItem", "GetItem", "GetItem", "GetItem", "TransactWriteItems"]
    call("deleteLead", record_id=linked["lead_id"], headers={"If-Match": None})
    lead_before = call("getLead", record_id=linked["lead_id"])
    reply = call("createActivity", body={**body, "deal_id": None}, headers=NO_KEY)
    assert reply.status == 422, reply.body
    assert [(error["field"], error["code"]) for error in reply.body["errors"]] == [("lead_id", "unknown_reference")]
    # Nothing of either: no interaction anywhere, no count, the deal and the lead as they were.
    for kind, field in (("Contact", "contact_id"), ("Account", "account_id")):
        assert logged(kind, linked[field]) == []
    assert stored_partition(DEAL, linked["deal_id"]) == deal_partition
    assert stored_partition(LEAD, linked["lead_id"]) == []
    assert _activities_counted(SALES.user) == 0
    deal_after, lead_after = call("getDeal", record_id=linked["deal_id"]), call("getLead", record_id=linked["lead_id"])
    assert (deal_after.etag, deal_after.body) == (deal_before.etag, deal_before.body)
    assert (lead_after.etag, lead_after.body) == (lead_before.etag, lead_before.body)


def test_a_lead_changed_meanwhile_is_read_again_and_the_whole_write_sent_again(linked, monkeypatch):
    lead_id = linked["lead_id"]
    engage = leads.record_engagement
    changes = iter([True])

    def engage_then_someone_edits_the_lead(*args: Any, **kwargs: Any) -> Any:
        pending = engage(*args, **kwargs)
        if next(changes, False):
            edited = call(
                "updateLead", record_id=lead_id, body={"title": "CTO"}, headers={"If-Match": f'"{pending.version}"'}
            )
            assert edited.status == 200, edited.body
        return pending

    monkeypatch.setattr(leads, "record_engagement", engage_then_someone_edits_the_lead)
    with dynamodb_requests() as requests:
        activity = log(occurred_at=AT, lead_id=lead_id, contact_id=linked["contact_id"])
    read, edit = ["GetItem", "GetItem"], ["GetItem", "GetItem", "TransactWriteItems"]  # lead and rules; the edit
    assert requests == ["BatchGetItem", *read, *edit, "TransactWriteItems", *read, "TransactWriteItems"]
    lead = call("getLead", record_id=lead_id).body
    assert (lead["title"], lead["engagement"]["activities"], lead["version"]) == ("CTO", 1, 3)
    assert [entry["id"] for entry in logged("Contact", linked["contact_id"])] == [activity["id"]]
    assert _activities_counted(SALES.user) == 1


def test_a_lead_that_keeps_changing_is_a_409_busy_with_nothing_written(linked, monkeypatch):
    lead_id = linked["lead_id"]
    engage = leads.record_engagement

    def engage_then_someone_edits_the_lead(*args: Any, **kwargs: Any) -> Any:
        pending = engage(*args, **kwargs)
        notes = f"edit {pending.version}"  # an edit that changes nothing would leave the version as it is
        edited = call(
            "updateLead", record_id=lead_id, body={"notes": notes}, headers={"If-Match": f'"{pending.version}"'}
        )
        assert edited.status == 200, edited.body
        return pending

    monkeypatch.setattr(leads, "record_engagement", engage_then_someone_edits_the_lead)
    reply = call("createActivity", body={"type": "call", "occurred_at": AT, **linked}, headers=NO_KEY)
    assert reply.status == 409, reply.body
    assert reply.body["type"] == "urn:rapport:problem:busy" and "retry" in reply.body["detail"]
    assert call("getLead", record_id=lead_id).body["engagement"] is None
    assert call("getLead", record_id=lead_id).etag == f'"{1 + ENGAGEMENT_ATTEMPTS}"'
    assert logged("Contact", linked["contact_id"]) == []
    assert _activities_counted(SALES.user) == 0


# --- timelines that roll up, activities that can be corrected ---


def _ids(kind: str, record_id: str) -> list[str]:
    reply = timeline(kind, record_id)
    assert reply.status == 200, reply.body
    return [entry["id"] for entry in reply.body["items"]]


def _edit(activity: dict[str, Any], staff: Staff = SALES, **fields: Any) -> Any:
    return call(
        "updateActivity", staff, record_id=activity["id"], body=fields, headers={"If-Match": f'"{activity["version"]}"'}
    )


def test_an_accounts_timeline_rolls_up_its_contacts_and_deals_and_a_deal_shows_its_stage_moves():
    account = create("createAccount", name="Initech")["id"]
    contact = create("createContact", last_name="Lumbergh", account_id=account)["id"]
    opened = deal(pipeline()["id"], name="TPS reports", account_id=account, contact_ids=[contact])
    on_contact = log(contact_id=contact, occurred_at="2026-11-02T09:00:00Z")
    on_deal = log(type="meeting", deal_id=opened["id"], occurred_at="2026-11-03T09:00:00Z")
    version = call("getDeal", record_id=opened["id"]).etag  # the activity touched it
    with dynamodb_requests() as requests:
        moved = call("updateDeal", record_id=opened["id"], body={"stage": "Demo"}, headers={"If-Match": version})
    assert moved.status == 200, moved.body
    assert requests == ["GetItem", "BatchGetItem", "TransactWriteItems"], "the move and its entries in one write"
    deal_timeline = timeline("Deal", opened["id"]).body["items"]
    moves = [(entry["from_stage"], entry["to_stage"]) for entry in deal_timeline if entry["kind"] == "stage_change"]
    assert moves == [("Qualified", "Demo"), (None, "Qualified")]
    assert {entry["id"] for entry in deal_timeline if entry["kind"] == "activity"} == {on_deal["id"]}
    account_timeline = timeline("Account", account).body["items"]
    assert [entry["kind"] for entry in account_timeline] == ["stage_change", "stage_change", "activity", "activity"]
    assert [entry["id"] for entry in account_timeline[2:]] == [on_deal["id"], on_contact["id"]]
    assert _ids("Contact", contact) == [on_contact["id"]]


def test_a_contact_that_moves_to_another_account_keeps_its_past_with_the_old_one():
    old, new = (create("createAccount", name=name)["id"] for name in ("Old Co", "New Co"))
    contact = create("createContact", last_name="Milton", account_id=old)
    before = log(contact_id=contact["id"], occurred_at="2026-11-02T09:00:00Z")
    moved = call("updateContact", record_id=contact["id"], body={"account_id": new}, headers={"If-Match": '"1"'})
    assert moved.status == 200, moved.body
    after = log(contact_id=contact["id"], occurred_at="2026-11-03T09:00:00Z")
    assert (_ids("Account", old), _ids("Account", new)) == ([before["id"]], [after["id"]])
    assert _ids("Contact", contact["id"]) == [after["id"], before["id"]]
    corrected = _edit(before, subject="Stapler")
    assert corrected.status == 200, corrected.body
    assert (_ids("Account", old), _ids("Account", new)) == ([before["id"]], [after["id"]]), "edits stay where it is"
    assert timeline("Account", old).body["items"][0]["subject"] == "Stapler"


def _listed(query: dict[str, str], staff: Staff = SALES) -> list[str]:
    seen, cursor = [], None
    while True:
        with dynamodb_requests() as requests:
            reply = call(
                "listActivities", staff, query={**query, "limit": "2", **({"cursor": cursor} if cursor else {})}
            )
        assert reply.status == 200, reply.body
        assert requests == ["Query"]
        seen += [activity["subject"] for activity in reply.body["items"]]
        cursor = reply.body["next_cursor"]
        if cursor is None:
            return seen


def test_activities_are_listed_by_owner_type_and_period_newest_first(linked):
    contact = {"contact_id": linked["contact_id"]}
    ann = Staff(user="ann")
    log(subject="mine, call, Oct", occurred_at="2026-10-05T09:00:00Z", **contact)
    log(type="email", subject="mine, email, Nov", occurred_at="2026-11-05T09:00:00Z", **contact)
    log(subject="mine, call, Nov", occurred_at="2026-11-06T09:00:00Z", **contact)
    log(ann, subject="ann's call, Nov", occurred_at="2026-11-07T09:00:00Z", **contact)
    log(subject="for ann, note", type="note", owner_id="ann", occurred_at="2026-11-08T09:00:00Z", **contact)
    assert _listed({}) == ["for ann, note", "ann's call, Nov", "mine, call, Nov", "mine, email, Nov", "mine, call, Oct"]
    assert _listed({"owner_id": "me"}) == ["mine, call, Nov", "mine, email, Nov", "mine, call, Oct"]
    assert _listed({"owner_id": "ann"}) == ["for ann, note", "ann's call, Nov"]
    assert _listed({"type": "call"}) == ["ann's call, Nov", "mine, call, Nov", "mine, call, Oct"]
    assert _listed({"owner_id": SALES.user, "type": "call"}) == ["mine, call, Nov", "mine, call, Oct"]
    november = {"from": "2026-11-01T00:00:00Z", "to": "2026-11-07T09:00:00Z"}
    assert _listed(november) == ["mine, call, Nov", "mine, email, Nov"], "from inclusive, to exclusive"
    assert _listed({**november, "owner_id": "me", "type": "email"}) == ["mine, email, Nov"]
    assert _listed({"from": "2026-11-06T10:00:00+01:00"}) == ["for ann, note", "ann's call, Nov", "mine, call, Nov"]
    assert _listed({"deleted": "true"}) == []


@pytest.mark.parametrize(
    ("query", "field"),
    [
        ({"contact_id": "x"}, "contact_id"),
        ({"type": "fax"}, "type"),
        ({"from": "yesterday"}, "from"),
        ({"from": "2026-11-02T00:00:00Z", "to": "2026-11-01T00:00:00Z"}, "to"),
        ({"to": "2026-11-01T00:00:00"}, "to"),
        ({"deleted": "true", "owner_id": "me"}, "deleted"),
    ],
)
def test_bad_or_unsupported_activity_filters_are_400_naming_them(query, field):
    reply = call("listActivities", query=query)
    assert reply.status == 400, reply.body
    assert [(error["field"], error["in"]) for error in reply.body["errors"]] == [(field, "query")]


def test_correcting_an_activity_moves_its_entries_its_count_and_its_place_in_time():
    accounts_ = [create("createAccount", name=name)["id"] for name in ("First", "Second")]
    first, second = (
        create("createContact", last_name=name, account_id=account)["id"]
        for name, account in zip(("One", "Two"), accounts_, strict=True)
    )
    earlier = log(contact_id=second, occurred_at="2026-11-10T09:00:00Z", subject="earlier")
    typo = log(contact_id=first, occurred_at="2026-12-01T09:00:00Z", subject="Cal with Bob")
    assert (_activities_counted(SALES.user, "2026-Q4"), _activities_counted(SALES.user, "2026-11")) == (2, 1)
    with dynamodb_requests() as requests:
        fixed = _edit(typo, subject="Call with Bob", contact_id=second, occurred_at="2026-11-20T09:00:00Z")
    assert fixed.status == 200, fixed.body
    assert requests == ["GetItem", "BatchGetItem", "TransactWriteItems"]
    assert (fixed.body["id"], fixed.body["contact_id"], fixed.etag) == (typo["id"], second, '"2"')
    assert fixed.body["occurred_at"] == "2026-11-20T09:00:00Z"
    assert _ids("Contact", first) == [] and _ids("Account", accounts_[0]) == []
    assert _ids("Contact", second) == [typo["id"], earlier["id"]] == _ids("Account", accounts_[1])
    assert timeline("Contact", second).body["items"][0]["subject"] == "Call with Bob"
    assert (_activities_counted(SALES.user, "2026-11"), _activities_counted(SALES.user, "2026-12")) == (2, 0)
    assert call("getActivity", record_id=typo["id"]).body["subject"] == "Call with Bob"
    moved_back = _edit(fixed.body, occurred_at="2026-11-01T09:00:00Z")
    assert moved_back.status == 200, moved_back.body
    assert _ids("Contact", second) == [earlier["id"], typo["id"]], "its key follows when it happened"
    assert _listed({"to": "2026-11-05T00:00:00Z"}) == ["Call with Bob"]


def test_a_correction_needs_if_match_and_keeps_a_link(linked):
    activity = log(contact_id=linked["contact_id"])
    assert (
        call("updateActivity", record_id=activity["id"], body={"subject": "x"}, headers={"If-Match": None}).status
        == 428
    )
    stale = call("updateActivity", record_id=activity["id"], body={"subject": "x"}, headers={"If-Match": '"7"'})
    assert stale.status == 412
    unlinked = _edit(activity, contact_id=None)
    assert unlinked.status == 422 and {error["code"] for error in unlinked.body["errors"]} == {"link_required"}
    for fields, at_fault in (({"type": None}, "type"), ({"occurred_at": None}, "occurred_at"), ({"id": "x"}, "id")):
        reply = _edit(activity, **fields)
        assert reply.status == 422, reply.body
        assert [error["field"] for error in reply.body["errors"]] == [at_fault]
    elsewhere = _edit(activity, deal_id=UNKNOWN)
    assert elsewhere.status == 422 and elsewhere.body["errors"][0]["field"] == "deal_id"
    assert _ids("Contact", linked["contact_id"]) == [activity["id"]], "nothing changed"


def _engagement(lead_id: str) -> dict[str, Any]:
    lead = call("getLead", record_id=lead_id).body
    return {name: lead["engagement"][name] for name in ("activities", "web_visits", "email_replies")}


def test_retyping_or_relinking_moves_the_leads_engagement(linked):
    other = create("createLead", last_name="Other", company="Else")["id"]
    visit = log(type="web", lead_id=linked["lead_id"])
    assert _engagement(linked["lead_id"]) == {"activities": 0, "web_visits": 1, "email_replies": 0}
    reply = _edit(visit, type="email", direction="inbound")
    assert reply.status == 200, reply.body
    assert _engagement(linked["lead_id"]) == {"activities": 0, "web_visits": 0, "email_replies": 1}
    assert call("getLead", record_id=linked["lead_id"]).body["score"] == 10
    reply = _edit(reply.body, lead_id=other)
    assert reply.status == 200, reply.body
    assert _engagement(linked["lead_id"]) == {"activities": 0, "web_visits": 0, "email_replies": 0}
    assert _engagement(other) == {"activities": 0, "web_visits": 0, "email_replies": 1}
    assert (_ids("Lead", linked["lead_id"]), _ids("Lead", other)) == ([], [visit["id"]])


def test_trash_takes_an_activity_out_of_everything_restore_brings_it_back_and_erase_is_for_good(linked):
    activity = log(occurred_at=AT, **linked)
    deal_touched = call("getDeal", record_id=linked["deal_id"]).body["last_activity_at"]
    everywhere = (("Contact", "contact_id"), ("Account", "account_id"), ("Lead", "lead_id"), ("Deal", "deal_id"))
    assert call("deleteActivity", record_id=activity["id"], headers={"If-Match": '"1"'}).status == 204
    assert all(logged(kind, linked[field]) == [] for kind, field in everywhere)
    assert _activities_counted(SALES.user) == 0 and _engagement(linked["lead_id"])["activities"] == 0
    assert call("getDeal", record_id=linked["deal_id"]).body["last_activity_at"] == deal_touched, "not rewound"
    assert call("getActivity", record_id=activity["id"]).body["deleted_by"] == SALES.user
    assert [a["id"] for a in call("listActivities", query={"deleted": "true"}).body["items"]] == [activity["id"]]
    assert call("listActivities").body["items"] == []
    assert _edit({**activity, "version": 2}, subject="x").status == 409, "restore it before editing it"
    restored = call("restoreActivity", MANAGER, record_id=activity["id"], headers={"If-Match": None})
    assert restored.status == 200, restored.body
    assert all([entry["id"] for entry in logged(kind, linked[field])] == [activity["id"]] for kind, field in everywhere)
    assert _activities_counted(SALES.user) == 1 and _engagement(linked["lead_id"])["activities"] == 1
    assert call("deleteActivity", record_id=activity["id"], query={"permanent": "true"}).status == 403
    admin = SALES.as_("admin")
    erased = call(
        "deleteActivity", admin, record_id=activity["id"], query={"permanent": "true"}, headers={"If-Match": None}
    )
    assert erased.status == 204
    assert call("getActivity", record_id=activity["id"]).status == 404
    assert all(logged(kind, linked[field]) == [] for kind, field in everywhere)
    assert _activities_counted(SALES.user) == 0 and _engagement(linked["lead_id"])["activities"] == 0


def test_a_trashed_lead_or_deal_does_not_stop_trashing_its_activity(linked):
    activity = log(occurred_at=AT, **linked)
    for operation, field in (("deleteLead", "lead_id"), ("deleteDeal", "deal_id")):
        assert call(operation, record_id=linked[field], headers={"If-Match": None}).status == 204
    assert call("deleteActivity", record_id=activity["id"], headers={"If-Match": None}).status == 204
    assert _activities_counted(SALES.user) == 0
    refused = call("restoreActivity", MANAGER, record_id=activity["id"], headers={"If-Match": None})
    assert refused.status == 422 and refused.body["errors"][0]["field"] in ("lead_id", "deal_id")


def test_a_converted_leads_activity_is_corrected_in_the_contacts_timeline_too():
    lead = create("createLead", last_name="Babbage", company="Engines Ltd", email="charles@engines.example")
    visit = log(type="web", subject="Pricing", lead_id=lead["id"])
    converted = call("convertLead", record_id=lead["id"], body={}, headers=NO_KEY).body
    contact, account = converted["contact_id"], converted["account_id"]
    assert converted["interactions_carried"] == 1
    assert _ids("Contact", contact) == [visit["id"]] == _ids("Account", account)
    current = call("getActivity", record_id=visit["id"])
    fixed = _edit({**current.body, "version": int(current.etag.strip('"'))}, subject="Pricing page")
    assert fixed.status == 200, fixed.body
    assert timeline("Contact", contact).body["items"][0]["subject"] == "Pricing page"
    assert call("deleteActivity", record_id=visit["id"], headers={"If-Match": None}).status == 204
    assert _ids("Contact", contact) == [] == _ids("Account", account) == _ids("Lead", lead["id"])


def test_an_activity_logged_before_it_could_be_corrected_is_corrected_trashed_and_listed(linked):
    """As the first release stored it: no owner, no `timelines`, entries of kind ACT at `E#<inverted id>`."""
    occurred_at, now = "2026-11-20T14:30:00Z", "2026-11-20T15:00:00.000Z"
    activity_id = activities.new_record_id({"occurred_at": occurred_at})
    data = {"type": "call", "occurred_at": occurred_at, "subject": "Old", "contact_id": linked["contact_id"]}
    record = Record(ACTIVITY, activity_id, SALES.tenant, data, now, SALES.user, now, SALES.user)
    entry = {"type": "call", "occurred_at": occurred_at, "subject": "Old", "created_by": SALES.user, **data}
    work = UnitOfWork()
    work.put_record(record, IndexKeys())
    sort_key = keys.entry_sk(occurred_at, activity_id)
    partition = keys.record_pk(SALES.tenant, CONTACT, linked["contact_id"])
    work.put_item(repository.summary_item(SALES.tenant, partition, sort_key, ACTIVITY, activity_id, entry))
    work.commit()
    assert call("getActivity", record_id=activity_id).body["owner_id"] == SALES.user
    assert call("deleteActivity", record_id=activity_id, headers={"If-Match": '"1"'}).status == 204
    assert logged("Contact", linked["contact_id"]) == []
    assert call("restoreActivity", MANAGER, record_id=activity_id, headers={"If-Match": '"2"'}).status == 200
    corrected = call("updateActivity", record_id=activity_id, body={"subject": "New"}, headers={"If-Match": '"3"'})
    assert corrected.status == 200, corrected.body
    [shown] = logged("Contact", linked["contact_id"])
    assert (shown["id"], shown["subject"]) == (activity_id, "New")
    assert _ids("Account", linked["account_id"]) == [], "it stays where it was: its contact's timeline"
    assert [a["id"] for a in call("listActivities", query={"owner_id": "me"}).body["items"]] == [activity_id]


def test_erasing_a_deal_takes_its_stage_moves_out_of_its_accounts_timeline():
    account = create("createAccount", name="Hooli")["id"]
    opened = deal(pipeline()["id"], name="Nucleus", account_id=account)
    assert [entry["kind"] for entry in timeline("Account", account).body["items"]] == ["stage_change"]
    admin = SALES.as_("admin")
    erased = call("deleteDeal", admin, record_id=opened["id"], query={"permanent": "true"}, headers={"If-Match": None})
    assert erased.status == 204, erased.body
    assert timeline("Account", account).body["items"] == []
