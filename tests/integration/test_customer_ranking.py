"""The daily ranking over the orders API and the value worker: ranks, tiers, churn on the customers' standings,
`customer.churn_changed` from the stream only when the status moves, and GET /reports/customers."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from rapport.accounts.manifest import ACCOUNT
from rapport.contacts.manifest import CONTACT
from rapport.orders.churn import AnalyticsSettings
from rapport.orders.reports import rank_tenant
from rapport.orders.store import customer_and_value
from rapport.orders.value import REFRESHED_BY
from tests.integration.followups import CONTEXT, Bus, deliver, scheduled
from tests.integration.sales import set_rates
from tools.lambda_api import Staff, call, create
from tools.metering import dynamodb_requests

MANAGER = Staff().as_("manager")
ADMIN = Staff().as_("admin")
TENANT = Staff().tenant
NOW = datetime.now(UTC).replace(microsecond=0)


def month_start(months_back: int) -> datetime:
    """The first day (10:00 UTC) of the calendar month `months_back` before the current one."""
    index = NOW.year * 12 + NOW.month - 1 - months_back
    return datetime(index // 12, index % 12 + 1, 1, 10, tzinfo=UTC)


@pytest.fixture
def bus() -> Bus:
    assert set_rates("USD", {}).status == 200
    create("createProduct", MANAGER, sku="KIT", name="Kit", unit_price="100.00")
    return Bus()


def customer(name: str) -> dict[str, str]:
    account = create("createAccount", name=name)["id"]
    contact = create("createContact", last_name=name, account_id=account)["id"]
    return {"contact": contact, "account": account}


def buys(who: dict[str, str], kits_by_month: dict[int, int], status: str = "paid") -> None:
    """One order a month (`months back` → kits at 100.00), then its events delivered to the value worker."""
    for months, kits in kits_by_month.items():
        body = {
            "number": f"{who['contact']}-{months}-{kits}",
            "contact_id": who["contact"],
            "status": status,
            "ordered_at": min(month_start(months), NOW).strftime("%Y-%m-%dT%H:%M:%SZ"),
            "lines": [{"sku": "KIT", "quantity": kits}],
        }
        reply = call("createOrder", body=body, headers={"Idempotency-Key": None})
        assert reply.status == 201, reply.body


def delivered(bus: Bus) -> list[dict[str, Any]]:
    """The new events: the order ones through the value worker and the follow-ups worker (the tenant registry)."""
    from customer_value.handler import lambda_handler

    events = bus.publish_new()
    deliver(events)
    for event in events:
        if event["detail-type"] in REFRESHED_BY:
            lambda_handler(event, CONTEXT)
    return events


def churn_events(bus: Bus) -> list[tuple[str, str]]:
    return [
        (event["detail"]["entity_id"], event["detail"]["record"]["churn"]["status"])
        for event in delivered(bus)
        if event["detail-type"] == "customer.churn_changed"
    ]


def report(**parameters: Any) -> Any:
    with dynamodb_requests() as requests:
        reply = call("listCustomerReport", query=parameters)
    assert reply.status == 200, reply.body
    assert requests == ["Query"]
    return reply.body


def seeds_and_peers(bus: Bus) -> dict[str, dict[str, str]]:
    """The seeds' deserting customer (12 months at 1,000 then 4 at 500), a steady one (3,000 a month) and a new
    one (3 months at 5,000), each from 12 months back. Over the 12 calendar months ranked (this one's included):
    33,000, 15,000 and 10,000 of 58,000, so the deserting one is ranked with 48,000 before it, more than 80 %: B."""
    people = {name: customer(name) for name in ("Deserting", "Steady", "Newcomer")}
    buys(people["Deserting"], {months: 10 for months in range(15, 3, -1)} | {months: 5 for months in range(3, -1, -1)})
    buys(people["Steady"], {months: 30 for months in range(16, 0, -1)})
    buys(people["Newcomer"], {months: 50 for months in (3, 2, 1)})
    delivered(bus)
    return people


def test_the_seeds_deserting_customer_is_caught_ranked_and_reported_with_its_figures(bus: Bus):
    people = seeds_and_peers(bus)
    ranked = rank_tenant(TENANT, NOW)
    assert (ranked.customers, ranked.written) == (6, 6)  # 3 contacts, 3 accounts
    for level in ("contact", "account"):
        by_value = report(level=level)["items"]
        assert [item["id"] for item in by_value] == [
            people[name][level] for name in ("Steady", "Newcomer", "Deserting")
        ]
        assert [(item["rank"], item["tier"]) for item in by_value] == [(1, "A"), (2, "A"), (3, "B")]
        by_risk = report(level=level, sort="churn_risk")["items"]
        assert [item["churn"]["status"] for item in by_risk] == ["deserting", "active", "active"]
        deserting = by_risk[0]
        assert deserting["id"] == people["Deserting"][level]
        assert (deserting["churn"]["baseline"], deserting["churn"]["recent"]) == ("1000.00", "500.00")
        [reason] = deserting["churn"]["reasons"]
        assert "1000.00" in reason["detail"] and "500.00" in reason["detail"]
    assert report(level="contact", tier="B", sort="churn_risk")["items"][0]["id"] == people["Deserting"]["contact"]
    assert [item["rank"] for item in report(tier="A")["items"]] == [1, 2]
    assert report(tier="C")["items"] == []
    # RFM among the three: frequency by buying months of the 12 (12, 11, 3), monetary by their revenue
    rfm = {item["id"]: item["rfm"] for item in report(level="contact")["items"]}
    scores = {name: (rfm[people[name]["contact"]]["f"], rfm[people[name]["contact"]]["m"]) for name in people}
    assert scores == {"Deserting": (5, 1), "Steady": (3, 5), "Newcomer": (1, 3)}


def test_churn_changed_is_published_on_a_change_of_status_only(bus: Bus):
    people = seeds_and_peers(bus)
    rank_tenant(TENANT, NOW)
    first = churn_events(bus)
    assert sorted(first) == sorted(
        [
            (people[name][level], "deserting" if name == "Deserting" else "active")
            for name in people
            for level in people[name]
        ]
    )
    assert rank_tenant(TENANT, NOW).written == 0  # nothing moved: nothing written, no event
    assert churn_events(bus) == []
    buys(people["Deserting"], {0: 60})  # it came back: 6,000 this month (the ranking looks at complete months)
    delivered(bus)
    next_month = month_start(-1) + timedelta(days=1)
    rank_tenant(TENANT, next_month)
    assert sorted(status for who, status in churn_events(bus) if who in people["Deserting"].values()) == [
        "active",
        "active",
    ]


def test_the_value_answer_and_the_360_carry_the_standing_and_a_tenant_s_threshold_applies(bus: Bus):
    people = seeds_and_peers(bus)
    lenient = AnalyticsSettings(churn_drop_percent=60)
    rank_tenant(TENANT, NOW, read_settings=lambda tenant_id: lenient)
    answer = call("getContactValue", record_id=people["Deserting"]["contact"]).body
    assert answer["standing"]["churn"]["status"] == "active" and answer["standing"]["tier"] == "B"
    assert answer["value"]["monthly_revenue"][month_start(1).strftime("%Y-%m")] == "500.00"
    overview = call("getContact360", record_id=people["Deserting"]["contact"]).body
    assert overview["standing"]["rank"] == 3
    unranked = customer("Unranked")
    assert call("getAccountValue", record_id=unranked["account"]).body["standing"] is None
    buys(people["Deserting"], {0: 1})  # the value worker writes its own item: the standing stays until the next run
    delivered(bus)
    after_order = call("getContactValue", record_id=people["Deserting"]["contact"]).body
    assert after_order["standing"] == answer["standing"]
    assert after_order["value"]["orders_12m"] == answer["value"]["orders_12m"] + 1


def test_the_daily_schedule_ranks_every_tenant_with_orders(bus: Bus):
    from customer_ranking.handler import lambda_handler

    people = seeds_and_peers(bus)
    answer = lambda_handler(scheduled(NOW.strftime("%Y-%m-%dT%H:%M:%SZ")), CONTEXT)
    assert answer == {"customers": 6, "written": 6}
    assert report(level="account")["items"][0]["id"] == people["Steady"]["account"]


def test_cancelled_orders_are_no_revenue_and_a_customer_without_any_ranks_last_in_tier_c(bus: Bus):
    people = {"Buyer": customer("Buyer"), "Canceller": customer("Canceller")}
    buys(people["Buyer"], {2: 1})
    buys(people["Canceller"], {2: 50}, status="cancelled")
    delivered(bus)
    rank_tenant(TENANT, NOW)
    items = report(level="contact")["items"]
    assert [(item["id"], item["tier"], item["ranked_revenue"]) for item in items] == [
        (people["Buyer"]["contact"], "A", "100.00"),
        (people["Canceller"]["contact"], "C", "0.00"),
    ]


@pytest.mark.parametrize(
    ("query", "field"),
    [
        ({"level": "lead"}, "level"),
        ({"sort": "potential"}, "sort"),
        ({"tier": "D"}, "tier"),
        ({"limit": "0"}, "limit"),
        ({"segment": "x"}, "segment"),
    ],
)
def test_a_report_asked_wrong_is_a_400_naming_the_parameter(query: dict[str, str], field: str):
    reply = call("listCustomerReport", query=query)
    assert reply.status == 400, reply.body
    assert [error["field"] for error in reply.body["errors"]] == [field]


def test_pages_of_the_report_follow_each_other_with_a_cursor_bound_to_the_query(bus: Bus):
    seeds_and_peers(bus)
    rank_tenant(TENANT, NOW)
    first = report(level="contact", limit="2")
    second = report(level="contact", limit="2", cursor=first["next_cursor"])
    assert [item["rank"] for item in first["items"] + second["items"]] == [1, 2, 3] and second["next_cursor"] is None
    moved = call("listCustomerReport", query={"level": "account", "limit": "2", "cursor": first["next_cursor"]})
    assert moved.status == 400, moved.body


def test_an_erased_customer_leaves_the_ranking_and_the_report(bus: Bus):
    people = seeds_and_peers(bus)
    rank_tenant(TENANT, NOW)
    delivered(bus)
    erased = people["Deserting"]
    for operation, level in (("deleteContact", "contact"), ("deleteAccount", "account")):
        erase = {"permanent": "true"}
        reply = call(operation, ADMIN, record_id=erased[level], query=erase, headers={"If-Match": None})
        assert reply.status == 204, reply.body
        assert f"{level}.erased" in [event["detail-type"] for event in delivered(bus)]
        assert erased[level] not in {item["id"] for item in report(level=level)["items"]}
        assert erased[level] not in {item["id"] for item in report(level=level, sort="potential_gap")["items"]}
        kept = customer_and_value(TENANT, CONTACT if level == "contact" else ACCOUNT, erased[level])
        assert kept == (False, None, None, None)
    assert rank_tenant(TENANT, NOW).customers == 4  # the other two contacts and accounts
    remaining = {item["id"] for level in ("contact", "account") for item in report(level=level)["items"]}
    assert remaining == {people[name][level] for name in ("Steady", "Newcomer") for level in ("contact", "account")}
