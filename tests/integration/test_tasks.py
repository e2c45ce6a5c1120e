import json
from collections import Counter
from functools import partial
from typing import Any

import pytest

from rapport.auth import caller_from_claims
from rapport.contacts.manifest import CONTACT
from rapport.deals.manifest import DEAL
from rapport.leads.manifest import LEAD
from rapport.tasks import store as task_store
from rapport.tasks.service import tasks
from tests.integration.race import outcome, race
from tests.integration.stored import stored_record, summaries_in
from tools.lambda_api import EVENTS, Staff, call, create
from tools.metering import dynamodb_requests

SALES = Staff()
OTHER_REP = Staff(user="user-2")
OTHER_TENANT = Staff(tenant="tenant-b", user="user-9", groups=("admin",))
CALLER = caller_from_claims({"sub": SALES.user, "custom:tenant_id": SALES.tenant, "cognito:groups": "sales"})
UNKNOWN = "01JD5Y7M7ZV1W4T5C9H2K3N4P5"
NO_KEY: dict[str, str | None] = {"Idempotency-Key": None}


def new_task(staff: Staff = SALES, **fields):
    reply = call("createTask", staff, body={"title": "Follow up", **fields}, headers=NO_KEY)
    assert reply.status == 201, reply.body
    return reply.body


def listed(staff: Staff = SALES, **query) -> list[str]:
    with dynamodb_requests() as requests:
        reply = call("listTasks", staff, query=query)
    assert reply.status == 200, reply.body
    assert requests == ["Query"]
    return [task["title"] for task in reply.body["items"]]


def open_task_summaries(contact_id: str) -> dict[str, Any]:
    return summaries_in(CONTACT, contact_id, task_store.SUMMARY_PREFIX)


@pytest.fixture
def contact():
    return create("createContact", last_name="Lovelace")["id"]


def test_a_task_is_the_callers_open_normal_task_by_default(contact):
    with dynamodb_requests() as requests:
        reply = call("createTask", headers=NO_KEY, body={"title": "Send the proposal", "contact_id": contact})
    assert reply.status == 201, reply.body
    assert requests == ["GetItem", "TransactWriteItems"]  # the custom fields; the task and its summary
    task = reply.body
    assert (task["assignee_id"], task["status"], task["priority"]) == (SALES.user, "open", "normal")
    assert reply.headers["location"] == f"/tasks/{task['id']}" and reply.etag == '"1"'
    assert call("getTask", record_id=task["id"]).body == task
    [(sk, summary)] = open_task_summaries(contact).items()
    assert sk == task_store.summary_sk(None, task["id"])
    assert summary["title"] == "Send the proposal"
    with dynamodb_requests() as requests:
        unlinked = call("createTask", headers=NO_KEY, body={"title": "Tidy the pipeline"})
    assert unlinked.status == 201 and requests == ["GetItem", "PutItem"]


def test_the_sample_task_is_created_linked_to_a_live_contact(contact):
    reply = call("createTask", body={**_sample_body(), "contact_id": contact}, headers=NO_KEY)
    assert reply.status == 201, reply.body
    assert reply.body["reminder_at"] == "2026-11-27T09:00:00Z"


def _sample_body() -> dict[str, Any]:
    return dict(json.loads(json.loads((EVENTS / "tasks" / "createTask.json").read_text())["body"]))


def test_my_open_tasks_by_due_time_undated_last_one_query_each():
    new_task(title="later", due_at="2026-11-30T09:00:00Z")
    new_task(title="undated")
    new_task(title="sooner", due_at="2026-11-24T10:00:00+01:00")
    new_task(title="started", due_at="2026-11-25T09:00:00Z", status="in_progress")
    new_task(title="theirs", due_at="2026-11-23T09:00:00Z", assignee_id=OTHER_REP.user)
    new_task(OTHER_REP, title="given to me", due_at="2026-11-26T09:00:00Z", assignee_id=SALES.user)
    assert listed() == ["sooner", "given to me", "later", "undated"]
    assert listed(assignee_id="me", status="open") == listed()
    assert listed(due_before="2026-11-30T09:00:00Z") == ["sooner", "given to me"]
    assert listed(due_after="2026-11-26T09:00:00Z") == ["given to me", "later", "undated"]
    assert listed(due_after="2026-11-25T00:00:00Z", due_before="2026-12-01T00:00:00Z") == ["given to me", "later"]
    assert listed(status="in_progress") == ["started"]
    assert listed(assignee_id=OTHER_REP.user) == ["theirs"]
    assert listed(OTHER_REP) == ["theirs"]


def test_the_task_list_pages_with_cursors_bound_to_its_filters():
    for day in range(5):
        new_task(title=f"day {day}", due_at=f"2026-11-2{day}T09:00:00Z")
    seen, cursor = [], None
    while True:
        page = call("listTasks", query={"limit": "2", **({"cursor": cursor} if cursor else {})}).body
        seen += [task["title"] for task in page["items"]]
        cursor = page["next_cursor"]
        if cursor is None:
            break
    assert seen == [f"day {day}" for day in range(5)]
    first = call("listTasks", query={"limit": "2"}).body["next_cursor"]
    assert call("listTasks", query={"limit": "2", "cursor": first, "status": "done"}).status == 400
    assert call("listTasks", OTHER_REP, query={"limit": "2", "cursor": first}).status == 400


def test_finishing_a_task_moves_it_between_lists_and_drops_its_summary(contact):
    task = new_task(title="Call back", due_at="2026-11-24T09:00:00Z", contact_id=contact)
    with dynamodb_requests() as requests:
        done = call("updateTask", record_id=task["id"], body={"status": "done"}, headers={"If-Match": '"1"'})
    assert done.status == 200 and done.etag == '"2"'
    assert requests == ["GetItem", "TransactWriteItems"]
    assert listed() == [] and listed(status="done") == ["Call back"]
    assert open_task_summaries(contact) == {}
    reopened = call("updateTask", record_id=task["id"], body={"status": "in_progress"}, headers={"If-Match": '"2"'})
    assert reopened.status == 200
    assert list(open_task_summaries(contact)) == [task_store.summary_sk("2026-11-24T09:00:00Z", task["id"])]


def test_a_new_due_time_or_contact_moves_the_summary(contact):
    task = new_task(due_at="2026-11-24T09:00:00Z", contact_id=contact)
    moved = call("updateTask", record_id=task["id"], body={"due_at": "2026-11-28T09:00:00Z"})
    assert moved.status == 200, moved.body
    [(sk, summary)] = open_task_summaries(contact).items()
    assert sk == task_store.summary_sk("2026-11-28T09:00:00Z", task["id"]) and summary["due_at"] == moved.body["due_at"]
    other = create("createContact", last_name="Other")["id"]
    call("updateTask", record_id=task["id"], body={"contact_id": other}, headers={"If-Match": '"2"'})
    assert open_task_summaries(contact) == {} and len(open_task_summaries(other)) == 1
    call("updateTask", record_id=task["id"], body={"contact_id": None}, headers={"If-Match": '"3"'})
    assert open_task_summaries(other) == {}


def test_a_trashed_task_leaves_lists_and_summaries_until_restored(contact):
    task = new_task(title="Trash me", contact_id=contact)
    assert call("deleteTask", record_id=task["id"], headers={"If-Match": '"1"'}).status == 204
    assert listed() == [] and open_task_summaries(contact) == {}
    restored = call("restoreTask", SALES.as_("manager"), record_id=task["id"], headers={"If-Match": None})
    assert restored.status == 200
    assert listed() == ["Trash me"] and len(open_task_summaries(contact)) == 1


@pytest.mark.parametrize(
    ("body", "fields"),
    [
        ({"due_at": "2026-11-24T09:00:00Z", "reminder_at": "2026-11-24T09:00:01Z"}, {"reminder_at"}),
        ({"title": "", "status": "waiting", "priority": "asap"}, {"title", "status", "priority"}),
        ({"due_at": "2026-11-24 09:00", "assignee_id": "has space"}, {"due_at", "assignee_id"}),
        ({"contact_id": UNKNOWN}, {"contact_id"}),
        ({"deal_id": UNKNOWN}, {"deal_id"}),
    ],
)
def test_invalid_tasks_are_422_naming_the_fields(body, fields):
    reply = call("createTask", body={"title": "x", **body}, headers=NO_KEY)
    assert reply.status == 422, reply.body
    assert {error["field"] for error in reply.body["errors"]} == fields


def test_a_reminder_may_not_move_past_the_due_time():
    task = new_task(due_at="2026-11-24T09:00:00Z", reminder_at="2026-11-24T08:00:00Z")
    reply = call("updateTask", record_id=task["id"], body={"due_at": "2026-11-24T07:00:00Z"})
    assert reply.status == 422 and reply.body["errors"][0]["field"] == "reminder_at"


@pytest.mark.parametrize("field", ["title", "status", "priority", "assignee_id"])
def test_required_fields_may_be_changed_but_not_cleared(field):
    task = new_task()
    reply = call("updateTask", record_id=task["id"], body={field: None})
    assert reply.status == 422
    assert reply.body["errors"][0]["field"] == field


def test_tasks_link_deals_and_leads_of_the_tenant():
    deal, lead = stored_record(DEAL, name="Deal"), stored_record(LEAD, name="Lead")
    assert new_task(deal_id=deal, lead_id=lead)["deal_id"] == deal
    theirs = stored_record(DEAL, OTHER_TENANT, name="Theirs")
    reply = call("createTask", body={"title": "x", "deal_id": theirs}, headers=NO_KEY)
    assert reply.status == 422 and reply.body["errors"][0]["field"] == "deal_id"


@pytest.mark.parametrize(
    ("query", "fields"),
    [
        ({"contact_id": UNKNOWN}, ["contact_id"]),
        ({"priority": "high", "q": "call"}, ["priority", "q"]),
    ],
)
def test_unsupported_filters_are_400_naming_the_ones_offered(query, fields):
    reply = call("listTasks", query=query)
    assert reply.status == 400
    assert [error["field"] for error in reply.body["errors"]] == fields
    assert all(error["in"] == "query" for error in reply.body["errors"])
    assert "assignee_id, status, due_before, due_after" in reply.body["detail"]


@pytest.mark.parametrize(
    "query",
    [
        {"status": "waiting"},
        {"due_before": "tomorrow"},
        {"due_before": "2026-11-24T09:00:00"},
        {"due_after": "2026-11-25T00:00:00Z", "due_before": "2026-11-24T00:00:00Z"},
        {"assignee_id": "a#b"},
        {"limit": "0"},
    ],
)
def test_bad_filters_are_400(query):
    reply = call("listTasks", query=query)
    assert reply.status == 400, reply.body
    assert reply.body["errors"][0]["in"] == "query"


def test_patch_needs_if_match_and_refuses_a_stale_version():
    task = new_task()
    assert call("updateTask", record_id=task["id"], headers={"If-Match": None}).status == 428
    assert call("updateTask", record_id=task["id"], headers={"If-Match": '"1"'}).status == 200
    stale = call("updateTask", record_id=task["id"], headers={"If-Match": '"1"'})
    assert stale.status == 412 and stale.body["type"] == "urn:rapport:problem:stale-version"


def test_two_writers_on_one_version_one_wins_one_gets_412(contact):
    task = new_task(contact_id=contact, due_at="2026-11-24T09:00:00Z")
    patches = [
        partial(tasks.update, CALLER, task["id"], {"due_at": due}, 1)
        for due in ("2026-11-25T09:00:00Z", "2026-11-26T09:00:00Z")
    ]
    results = race(patches)
    assert Counter(map(outcome, results)) == {"Task": 1, "PreconditionFailed": 1}
    [winner] = [result for result in results if not isinstance(result, Exception)]
    assert list(open_task_summaries(contact)) == [
        task_store.summary_sk(winner.model_dump(mode="json")["due_at"], task["id"])
    ]


def test_a_retried_create_replays_and_creates_once():
    body = {"title": "Once"}
    first = call("createTask", body=body, headers={"Idempotency-Key": "task-1"})
    again = call("createTask", body=body, headers={"Idempotency-Key": "task-1"})
    assert first.status == again.status == 201 and again.body == first.body
    assert listed() == ["Once"]


def test_who_may_do_what_and_other_tenants_get_404():
    task = new_task()
    assert call("listTasks", None).status == 401
    assert call("createTask", None).status == 401
    marketing = SALES.as_("marketing")
    assert call("updateTask", marketing, record_id=task["id"], body={"priority": "high"}).status == 200
    assert call("deleteTask", marketing, record_id=task["id"], headers={"If-Match": None}).status == 403
    assert call("restoreTask", record_id=task["id"], headers={"If-Match": None}).status == 403
    for operation in ("getTask", "updateTask", "deleteTask", "restoreTask"):
        for staff, record_id in ((OTHER_TENANT, task["id"]), (SALES.as_("admin"), UNKNOWN)):
            assert call(operation, staff, record_id=record_id, headers={"If-Match": '"2"'}).status == 404, operation
    assert call("listTasks", OTHER_TENANT, query={"assignee_id": SALES.user}).body["items"] == []


def test_a_trashed_task_is_restored_before_it_is_edited():
    task = new_task()
    call("deleteTask", record_id=task["id"], headers={"If-Match": None})
    reply = call("updateTask", record_id=task["id"], body={"title": "x"}, headers={"If-Match": '"2"'})
    assert reply.status == 409
    manager = SALES.as_("manager")
    call("restoreTask", manager, record_id=task["id"], headers={"If-Match": None})
    assert call("restoreTask", manager, record_id=task["id"], headers={"If-Match": None}).status == 409
