"""GET /reports/service under moto: the three index ranges the report reads follow every status change, trash and
restore, and the report counts what a user did this month, per queue and agent, in three Queries."""

from datetime import UTC, datetime
from typing import Any

import pytest

from tools.lambda_api import Staff, call, create
from tools.metering import dynamodb_requests

SUPPORT = Staff(user="agent-1", groups=("support",))
OTHER_AGENT = Staff(user="agent-2", groups=("support",))
ADMIN = Staff(user="boss", groups=("admin",))
OTHER_TENANT = Staff(tenant="tenant-b", user="user-9", groups=("admin",))
NO_KEY: dict[str, str | None] = {"Idempotency-Key": None}


@pytest.fixture
def contact() -> str:
    return str(create("createContact", ADMIN, last_name="Rosen")["id"])


def new_case(contact: str, staff: Staff = SUPPORT, **fields: Any) -> dict[str, Any]:
    body = {"subject": "The part has not arrived", "contact_id": contact, **fields}
    reply = call("createCase", staff, body=body, headers=NO_KEY)
    assert reply.status == 201, reply.body
    return dict(reply.body)


def patch(case: dict[str, Any], **changes: Any) -> dict[str, Any]:
    reply = call(
        "updateCase", SUPPORT, record_id=case["id"], body=changes, headers={"If-Match": f'"{case["version"]}"'}
    )
    assert reply.status == 200, reply.body
    return dict(reply.body)


def resolve(case: dict[str, Any]) -> dict[str, Any]:
    return patch(case, status="resolved", resolution="Sent again")


def report(staff: Staff = ADMIN, period: str | None = None) -> dict[str, Any]:
    month = period or datetime.now(UTC).strftime("%Y-%m")
    with dynamodb_requests() as requests:
        reply = call("getServiceReport", staff, query={"period": month})
    assert reply.status == 200, reply.body
    assert requests == ["Query", "Query", "Query"], "opened, resolved, backlog: one range each"
    return dict(reply.body)


def by_queue(answer: dict[str, Any]) -> dict[str | None, tuple[int, int, int]]:
    return {q["queue"]: (q["opened"], q["resolved"], q["backlog"]["total"]) for q in answer["queues"]}


def test_cases_opened_resolved_reopened_and_trashed_this_month_are_counted_where_they_are_now(contact):
    billing = new_case(contact, queue="billing", owner_id="agent-1")
    shipping = new_case(contact, queue="shipping", owner_id="agent-2")
    new_case(contact)  # no queue, nobody's
    resolve(billing)
    twice = resolve(patch(resolve(shipping), status="open"))  # resolved, reopened, resolved again
    assert twice["reopened_count"] == 1
    trashed = new_case(contact, queue="billing")
    assert call("deleteCase", ADMIN, record_id=trashed["id"], headers={"If-Match": '"1"'}).status == 204

    answer = report()
    totals = answer["totals"]
    assert (totals["opened"], totals["resolved"], totals["backlog"]["total"]) == (3, 2, 1)
    assert (totals["reopened"], totals["reopen_rate_percent"]) == (1, 50.0)
    assert by_queue(answer) == {"billing": (1, 1, 0), "shipping": (1, 1, 0), None: (1, 0, 1)}
    assert {a["owner_id"]: a["resolved"] for a in answer["agents"]} == {"agent-1": 1, "agent-2": 1, None: 0}
    assert totals["resolution"]["count"] == 2 and totals["first_response"]["count"] == 0
    assert totals["sla_timed"] == 0 and totals["sla_compliance_percent"] is None  # no policy timed them


def test_a_reopened_case_leaves_the_resolved_range_and_returns_to_the_backlog_and_a_restored_one_comes_back(contact):
    case = resolve(new_case(contact, queue="billing"))
    assert by_queue(report()) == {"billing": (1, 1, 0)}
    case = patch(case, status="open")
    assert by_queue(report()) == {"billing": (1, 0, 1)}
    assert call("deleteCase", ADMIN, record_id=case["id"], headers={"If-Match": f'"{case["version"]}"'}).status == 204
    assert report()["queues"] == []
    restored = call("restoreCase", ADMIN, record_id=case["id"], headers={"If-Match": '"4"'})
    assert restored.status == 200, restored.body
    assert by_queue(report()) == {"billing": (1, 0, 1)}


def test_another_tenants_cases_and_another_month_are_not_counted(contact):
    new_case(contact, queue="billing")
    elsewhere = str(create("createContact", OTHER_TENANT, last_name="Other")["id"])
    new_case(elsewhere, OTHER_TENANT, queue="billing")
    assert by_queue(report()) == {"billing": (1, 0, 1)}
    earlier = report(period="2020-01")
    assert (earlier["totals"]["opened"], earlier["totals"]["resolved"]) == (0, 0)
    assert earlier["totals"]["backlog"]["total"] == 1, "the backlog is now's, whatever the period"


@pytest.mark.parametrize("period", ["2026-13", "2026-Q5", "26-11-1", "1800-01"])
def test_a_period_that_names_no_month_or_quarter_is_a_400_on_period(period: str):
    reply = call("getServiceReport", ADMIN, query={"period": period})
    assert reply.status == 400, reply.body
    assert [error["field"] for error in reply.body["errors"]] == ["period"]


def test_every_staff_role_may_read_it():
    assert call("getServiceReport", SUPPORT, query={"period": "2026-11"}).status == 200
    assert call("getServiceReport", Staff(user="s", groups=("sales",)), query={"period": "2026-11"}).status == 200
