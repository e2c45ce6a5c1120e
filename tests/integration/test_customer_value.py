from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

import pytest

from rapport.contacts.manifest import CONTACT
from rapport.dal.repository import Parent
from rapport.orders.service import orders
from rapport.orders.value import REFRESHED_BY, month_of
from tests.integration.followups import CONTEXT, Bus
from tests.integration.sales import set_rates
from tools.lambda_api import Staff, call, create
from tools.metering import dynamodb_requests

MANAGER = Staff().as_("manager")
TENANT = Staff().tenant


@pytest.fixture
def bus() -> Bus:
    return Bus()


@pytest.fixture
def customer() -> dict[str, str]:
    assert set_rates("USD", {"EUR": "1.10"}).status == 200
    create("createProduct", MANAGER, sku="KIT", name="Kit", unit_price="100.00")
    account = create("createAccount", name="Weyland")["id"]
    contact = create("createContact", last_name="Weyland", account_id=account)["id"]
    return {"contact": contact, "account": account}


def days_ago(days: int) -> str:
    return (datetime.now(UTC) - timedelta(days=days)).strftime("%Y-%m-%dT%H:%M:%SZ")


def order(customer: dict[str, str], number: str, status: str, days: int, quantity: int = 1, **more: Any) -> str:
    body = {
        "number": number,
        "contact_id": customer["contact"],
        "status": status,
        "ordered_at": days_ago(days),
        "lines": [{"sku": "KIT", "quantity": quantity}],
        **more,
    }
    reply = call("createOrder", body=body, headers={"Idempotency-Key": None})
    assert reply.status == 201, reply.body
    return str(reply.body["id"])


def delivered(bus: Bus) -> list[dict[str, Any]]:
    """The new order events, delivered to the customer value worker as its rule routes them."""
    from customer_value.handler import lambda_handler

    events = [event for event in bus.publish_new() if event["detail-type"] in REFRESHED_BY]
    return [lambda_handler(event, CONTEXT) for event in events]


def value(kind: str, customer_id: str) -> dict[str, Any]:
    with dynamodb_requests() as requests:
        reply = call("getContactValue" if kind == "contact" else "getAccountValue", record_id=customer_id)
    assert reply.status == 200, reply.body
    assert requests == ["BatchGetItem"]
    return dict(reply.body)


def test_revenue_counts_paid_and_fulfilled_orders_and_a_return_lowers_it(customer, bus):
    assert value("contact", customer["contact"])["value"]["revenue_lifetime"] == "0.00"
    first_at = days_ago(400)
    order(customer, "A", "paid", 400, quantity=1, ordered_at=first_at)
    fulfilled = order(customer, "B", "fulfilled", 30, quantity=2)
    order(customer, "C", "placed", 2, quantity=5)
    order(customer, "D", "cancelled", 1, quantity=7)
    last_at = days_ago(10)
    euros = [{"sku": "KIT", "quantity": 1, "unit_price": "100.00"}]
    order(customer, "E", "paid", 10, currency="EUR", lines=euros, ordered_at=last_at)
    assert len(delivered(bus)) == 5
    monthly: dict[str, Decimal] = {}
    for days, amount in ((400, "100.00"), (30, "200.00"), (10, "110.00")):
        month = month_of(datetime.fromisoformat(days_ago(days)))
        monthly[month] = monthly.get(month, Decimal(0)) + Decimal(amount)
    for kind in ("contact", "account"):
        figures = value(kind, customer[kind])
        assert figures["value"] == {
            "revenue_12m": "310.00",
            "revenue_lifetime": "410.00",
            "orders_12m": 2,
            "avg_order_value": "136.67",
            "last_order_at": last_at,
            "currency": "USD",
            "first_order_at": first_at,
            "median_gap_days": "195.0",  # 20 and 370 days apart
            "monthly_revenue": {month: f"{amount:.2f}" for month, amount in sorted(monthly.items())},
        }
        assert [brief["number"] for brief in figures["latest"]] == ["D", "C", "E", "B", "A"]
    returned = call("updateOrder", record_id=fulfilled, body={"status": "returned"}, headers={"If-Match": '"1"'})
    assert returned.status == 200
    assert delivered(bus) == [{"refreshed": 2, "rebought": 0}]  # KIT is still bought (A, E)
    assert value("contact", customer["contact"])["value"]["revenue_lifetime"] == "210.00"
    overview = call("getContact360", record_id=customer["contact"]).body
    assert overview["orders"]["value"]["revenue_12m"] == "110.00"
    assert overview["orders"]["latest"][0]["number"] == "D"


def test_a_trashed_order_leaves_the_value_and_a_moved_one_moves_it(customer, bus):
    other = create("createContact", last_name="Other")["id"]
    kept = order(customer, "K", "paid", 5)
    moved = order(customer, "M", "paid", 3, quantity=3)
    delivered(bus)
    assert value("contact", customer["contact"])["value"]["revenue_lifetime"] == "400.00"
    change = {"contact_id": other, "account_id": None}
    assert call("updateOrder", record_id=moved, body=change, headers={"If-Match": '"1"'}).status == 200
    assert call("deleteOrder", MANAGER, record_id=kept).status == 204
    delivered(bus)
    assert value("contact", customer["contact"])["value"]["revenue_lifetime"] == "0.00"
    assert value("account", customer["account"])["value"]["revenue_lifetime"] == "0.00"
    assert value("contact", other)["value"]["revenue_lifetime"] == "300.00"


def test_redelivery_computes_the_same_and_a_late_event_does_not_overwrite_newer_figures(customer, bus):
    order(customer, "R", "paid", 5)
    events = [event for event in bus.publish_new() if event["detail-type"].startswith("order.")]
    from customer_value.handler import lambda_handler

    assert lambda_handler(events[0], CONTEXT) == {"refreshed": 2, "rebought": 1}
    assert lambda_handler(events[0], CONTEXT) == {"refreshed": 2, "rebought": 0}  # the same figures; bought already
    assert value("contact", customer["contact"])["value"]["revenue_lifetime"] == "100.00"
    contact = Parent(CONTACT, customer["contact"])
    later = datetime.now(UTC) + timedelta(minutes=1)
    assert orders.refresh_value(TENANT, [contact], now=later, as_of="2099-01-01T00:00:00Z") == 1
    assert orders.refresh_value(TENANT, [contact], now=later, as_of=events[0]["detail"]["occurred_at"]) == 0


def test_the_twelve_months_are_counted_back_from_the_clock_given(customer):
    order(customer, "OLD", "paid", 200)
    order(customer, "NEW", "fulfilled", 100)
    contact = Parent(CONTACT, customer["contact"])
    with dynamodb_requests() as requests:
        orders.refresh_value(TENANT, [contact], now=datetime.now(UTC) + timedelta(days=150), as_of=days_ago(0))
    assert requests == ["Query", "PutItem"]
    figures = value("contact", customer["contact"])["value"]
    assert (figures["revenue_12m"], figures["orders_12m"], figures["revenue_lifetime"]) == ("200.00", 2, "200.00")
    orders.refresh_value(TENANT, [contact], now=datetime.now(UTC) + timedelta(days=200), as_of=days_ago(0))
    figures = value("contact", customer["contact"])["value"]
    assert (figures["revenue_12m"], figures["orders_12m"]) == ("100.00", 1)


def test_the_value_of_a_customer_the_tenant_does_not_have_is_a_404(customer):
    other_tenant = Staff(tenant="tenant-b", user="user-9", groups=("admin",))
    assert call("getContactValue", other_tenant, record_id=customer["contact"]).status == 404
    assert call("getAccountValue", record_id="01JD5Y7M7ZV1W4T5C9H2K3N4P5").status == 404


@pytest.mark.parametrize(
    ("content", "field"),
    [
        ({"churn_drop_percent": 0}, "churn_drop_percent"),
        ({"churn_drop_percent": 101}, "churn_drop_percent"),
        ({"churn_drop_percent": "40"}, "churn_drop_percent"),
        ({"churn_min_baseline": "-1.00"}, "churn_min_baseline"),
        ({"churn_min_baseline": "1.001"}, "churn_min_baseline"),
        ({"lost_after_days": 0}, "lost_after_days"),
        ({"churn_days": 3}, "churn_days"),
    ],
)
def test_analytics_settings_out_of_bounds_are_a_422_naming_the_field(content: dict[str, Any], field: str):
    reply = call("putAnalyticsSettings", MANAGER, body=content, headers={"If-Match": '"0"'})
    assert reply.status == 422, reply.body
    assert [error["field"] for error in reply.body["errors"]] == [field]
    assert call("getAnalyticsSettings").body["churn_drop_percent"] == 40


def test_only_managers_and_admins_set_the_analytics_settings():
    refused = call("putAnalyticsSettings", Staff().as_("sales"), body={}, headers={"If-Match": '"0"'})
    assert refused.status == 403
