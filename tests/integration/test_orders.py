from typing import Any

import pytest

from rapport.accounts.manifest import ACCOUNT
from rapport.contacts.manifest import CONTACT
from rapport.dal import access, repository
from rapport.orders.timeline import OrderEntry
from rapport.timeline import read_entry
from tests.integration.sales import set_rates
from tools.lambda_api import Staff, call, create
from tools.metering import dynamodb_requests

MANAGER = Staff().as_("manager")
SALES = Staff()
OTHER_TENANT = Staff(tenant="tenant-b", user="user-9", groups=("admin",))
NO_KEY: dict[str, str | None] = {"Idempotency-Key": None}
UNKNOWN = "01JD5Y7M7ZV1W4T5C9H2K3N4P5"


@pytest.fixture
def customer() -> dict[str, str]:
    """A contact at an account, and the catalogue: a drill at 129.00 USD and a saw at 50.00 EUR."""
    assert set_rates("USD", {"EUR": "1.08"}).status == 200
    create("createProduct", MANAGER, sku="DRILL", name="Drill", unit_price="129.00")
    create("createProduct", MANAGER, sku="SAW", name="Saw", unit_price="50.00", currency="EUR")
    account = create("createAccount", name="Tyrell")["id"]
    contact = create("createContact", last_name="Tyrell", account_id=account)["id"]
    return {"contact": contact, "account": account}


def order_body(customer: dict[str, str], number: str = "SO-1", **fields: Any) -> dict[str, Any]:
    return {"number": number, "contact_id": customer["contact"], "lines": [{"sku": "DRILL", "quantity": 2}], **fields}


def placed(body: dict[str, Any]) -> dict[str, Any]:
    reply = call("createOrder", body=body, headers=NO_KEY)
    assert reply.status == 201, reply.body
    return dict(reply.body)


def problem_fields(reply: Any) -> list[str]:
    return [error["field"] for error in reply.body["errors"]]


def customer_orders(kind: str, customer_id: str) -> list[str]:
    operation = "listContactOrders" if kind == "contact" else "listAccountOrders"
    with dynamodb_requests() as requests:
        reply = call(operation, record_id=customer_id)
    assert reply.status == 200, reply.body
    numbers = [order["number"] for order in reply.body["items"]]
    assert requests == ["Query"] if numbers else ["Query", "GetItem"]  # no orders: is there such a customer?
    return numbers


def order_entries(kind: Any, record_id: str) -> list[OrderEntry]:
    found = repository.partition_summaries(access.entries(SALES.tenant, kind, record_id))
    return [entry for entry in map(read_entry, found) if isinstance(entry, OrderEntry)]


def test_an_order_is_priced_from_the_catalogue_and_is_its_contact_s_account_s(customer):
    body = order_body(
        customer,
        lines=[
            {"sku": "DRILL", "quantity": 2, "discount": "8.00"},
            {"sku": "DRILL", "quantity": 1, "unit_price": "100"},
        ],
    )
    order = placed(body)
    assert order["account_id"] == customer["account"] and order["status"] == "placed"
    assert [line["unit_price"] for line in order["lines"]] == ["129.00", "100.00"]
    assert order["total"] == "350.00" and order["tenant_total"] == {"amount": "350.00", "currency": "USD"}
    assert order["currency"] == "USD" and order["ordered_at"]
    assert call("getOrder", record_id=order["id"]).body == order
    assert call("getOrder", OTHER_TENANT, record_id=order["id"]).status == 404
    for kind, record_id in ((CONTACT, customer["contact"]), (ACCOUNT, customer["account"])):
        [entry] = order_entries(kind, record_id)
        assert (entry.number, entry.status, entry.total, entry.from_status) == ("SO-1", "placed", "350.00", None)


def test_an_order_of_an_account_alone_and_a_contact_without_an_account(customer):
    alone = create("createContact", last_name="Alone")["id"]
    assert placed(order_body(customer, contact_id=alone)).get("account_id") is None
    business = placed({"number": "SO-2", "account_id": customer["account"], "lines": [{"sku": "DRILL", "quantity": 1}]})
    assert business.get("contact_id") is None
    assert customer_orders("account", customer["account"]) == ["SO-2"]
    assert customer_orders("contact", alone) == ["SO-1"]


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"lines": [{"sku": "DRILL", "quantity": 1}, {"sku": "NOPE", "quantity": 1}]}, "lines[1].sku"),
        ({"lines": [{"sku": "DRILL", "quantity": 2, "discount": "258.01"}]}, "lines[0].discount"),
        ({"lines": [{"sku": "SAW", "quantity": 1}]}, "lines[0].unit_price"),
        ({"lines": [{"sku": "DRILL", "quantity": 0}]}, "lines[0].quantity"),
        ({"lines": []}, "lines"),
        ({"lines": [{"sku": "DRILL", "quantity": 1_000_000, "unit_price": "9999999.99"}]}, "lines[0].quantity"),
        ({"contact_id": None}, "account_id"),
        ({"contact_id": UNKNOWN}, "contact_id"),
        ({"account_id": UNKNOWN}, "account_id"),
        ({"deal_id": UNKNOWN}, "deal_id"),
        ({"currency": "GBP"}, "currency"),
        ({"total": "1.00"}, "total"),
        ({"tenant_total": {"amount": "1.00", "currency": "USD"}}, "tenant_total"),
        ({"status": "shipped"}, "status"),
        ({"ordered_at": "2999-01-01T00:00:00Z"}, "ordered_at"),
        ({"number": "has space"}, "number"),
    ],
)
def test_a_bad_order_is_a_422_naming_the_field_and_writes_nothing(customer, change, field):
    body = {key: value for key, value in {**order_body(customer), **change}.items() if value is not None}
    reply = call("createOrder", body=body, headers=NO_KEY)
    assert reply.status == 422, reply.body
    assert field in problem_fields(reply)
    assert customer_orders("contact", customer["contact"]) == []


def test_a_discount_up_to_the_line_s_amount_is_taken(customer):
    order = placed(order_body(customer, lines=[{"sku": "DRILL", "quantity": 2, "discount": "258.00"}]))
    assert order["total"] == "0.00"


def test_numbers_and_external_ids_are_unique_per_tenant(customer):
    first = placed(order_body(customer, external_id="shop-1"))
    again = call("createOrder", body=order_body(customer, number="SO-1"), headers=NO_KEY)
    assert again.status == 409 and problem_fields(again) == ["number"] and again.body["existing"]["id"] == first["id"]
    resent = call("createOrder", body=order_body(customer, number="SO-2", external_id="shop-1"), headers=NO_KEY)
    assert resent.status == 409 and problem_fields(resent) == ["external_id"]
    assert placed(order_body(customer, number="SO-2", external_id="shop-2"))["number"] == "SO-2"
    elsewhere = call("createOrder", OTHER_TENANT, body={"number": "SO-1", "account_id": UNKNOWN, "lines": []})
    assert elsewhere.status == 422  # another tenant's numbers are its own; this one has no such account
    with dynamodb_requests() as requests:
        found = call("listOrders", query={"number": "SO-2"})
    assert requests == ["Query"] and [order["number"] for order in found.body["items"]] == ["SO-2"]


def test_a_foreign_currency_order_converts_at_the_tenant_s_rate(customer):
    order = placed(order_body(customer, currency="EUR", lines=[{"sku": "SAW", "quantity": 2}]))
    assert order["total"] == "100.00" and order["tenant_total"] == {"amount": "108.00", "currency": "USD"}


def test_status_moves_forward_only_and_each_move_is_in_the_timelines(customer):
    order = placed(order_body(customer))

    def moved(status: str, version: int) -> Any:
        return call("updateOrder", record_id=order["id"], body={"status": status}, headers={"If-Match": f'"{version}"'})

    assert moved("paid", 1).status == 200
    back = moved("placed", 2)
    assert back.status == 422 and problem_fields(back) == ["status"]
    assert moved("returned", 2).status == 200
    final = moved("fulfilled", 3)
    assert final.status == 422 and "final" in final.body["errors"][0]["message"]
    statuses = [(entry.status, entry.from_status) for entry in order_entries(CONTACT, customer["contact"])]
    assert statuses == [("returned", "paid"), ("paid", "placed"), ("placed", None)]


def test_changed_lines_are_priced_again_and_the_stale_version_is_a_412(customer):
    order = placed(order_body(customer))
    lines = {"lines": [{"sku": "DRILL", "quantity": 1, "discount": "29.00"}]}
    changed = call("updateOrder", record_id=order["id"], body=lines, headers={"If-Match": '"1"'})
    assert changed.status == 200 and changed.body["total"] == "100.00", changed.body
    stale = call("updateOrder", record_id=order["id"], body=lines, headers={"If-Match": '"1"'})
    assert stale.status == 412
    bad = call(
        "updateOrder",
        record_id=order["id"],
        body={"lines": [{"sku": "GONE", "quantity": 1}]},
        headers={"If-Match": '"2"'},
    )
    assert bad.status == 422 and problem_fields(bad) == ["lines[0].sku"]


def test_a_customer_s_orders_newest_first_by_when_ordered_and_a_trashed_one_leaves(customer):
    placed(order_body(customer, number="OLD", ordered_at="2026-01-05T10:00:00Z"))
    newest = placed(order_body(customer, number="NEW", ordered_at="2026-06-01T10:00:00+02:00"))
    placed(order_body(customer, number="MID", ordered_at="2026-03-01T10:00:00Z"))
    assert customer_orders("contact", customer["contact"]) == ["NEW", "MID", "OLD"]
    assert customer_orders("account", customer["account"]) == ["NEW", "MID", "OLD"]
    assert call("deleteOrder", SALES, record_id=newest["id"]).status == 403
    assert call("deleteOrder", MANAGER, record_id=newest["id"]).status == 204
    assert customer_orders("contact", customer["contact"]) == ["MID", "OLD"]
    assert call("listContactOrders", record_id=UNKNOWN).status == 404
    assert call("listAccountOrders", OTHER_TENANT, record_id=customer["account"]).status == 404


def test_a_batch_creates_new_orders_updates_known_ones_and_fails_each_bad_one_alone(customer):
    batch = [
        order_body(customer, "B-1", external_id="x-1", status="paid"),
        order_body(customer, "B-2", external_id="x-2", lines=[{"sku": "NOPE", "quantity": 1}]),
        order_body(customer, "B-3"),
        order_body(customer, "B-1", external_id="x-1", status="fulfilled"),
        {"number": "B-4", "lines": "many"},
        order_body(customer, "B-3"),
    ]
    reply = call("receiveOrders", body={"orders": batch})
    assert reply.status == 200, reply.body
    items = reply.body["items"]
    assert [item["status"] for item in items] == [201, 422, 201, 200, 422, 409]
    assert items[1]["problem"]["errors"][0]["field"] == "lines[0].sku"
    assert {error["field"] for error in items[4]["problem"]["errors"]} == {"lines", "account_id"}
    assert items[3]["order"]["id"] == items[0]["order"]["id"] and items[3]["order"]["status"] == "fulfilled"
    assert items[5]["problem"]["errors"][0]["field"] == "number"
    assert customer_orders("contact", customer["contact"]) == ["B-3", "B-1"]


def test_a_resent_batch_updates_never_duplicates(customer):
    other = create("createContact", last_name="Other")["id"]
    batch = [order_body(customer, f"R-{n}", external_id=f"r-{n}", deal_id=None) for n in range(3)]
    first = call("receiveOrders", body={"orders": batch}).body["items"]
    assert [item["status"] for item in first] == [201, 201, 201]
    batch[0] = order_body(customer, "R-0", external_id="r-0", status="paid", contact_id=other)
    with dynamodb_requests() as requests:
        second = call("receiveOrders", body={"orders": batch}).body["items"]
    assert [item["status"] for item in second] == [200, 200, 200]
    assert [item["order"]["id"] for item in second] == [item["order"]["id"] for item in first]
    moved = second[0]["order"]
    assert (moved["contact_id"], moved.get("account_id"), moved["status"]) == (other, None, "paid")
    assert customer_orders("contact", customer["contact"]) == ["R-2", "R-1"]
    assert requests[:3] == ["BatchGetItem", "BatchGetItem", "BatchGetItem"]  # external ids, SKUs, products
    assert "Scan" not in requests


def test_a_batch_holds_at_most_100_orders(customer):
    too_many = call("receiveOrders", body={"orders": [order_body(customer, f"N-{n}") for n in range(101)]})
    assert too_many.status == 422 and problem_fields(too_many) == ["orders"]
    assert call("receiveOrders", body={"orders": []}).status == 422


def test_an_order_moved_to_another_contact_takes_its_account_unless_the_change_names_one(customer):
    order = placed(order_body(customer))
    elsewhere = create("createAccount", name="Elsewhere")["id"]
    moved_in = create("createContact", last_name="Moved", account_id=elsewhere)["id"]
    alone = create("createContact", last_name="Alone")["id"]

    def moved(version: int, **change: Any) -> dict[str, Any]:
        reply = call("updateOrder", record_id=order["id"], body=change, headers={"If-Match": f'"{version}"'})
        assert reply.status == 200, reply.body
        return dict(reply.body)

    assert moved(1, contact_id=moved_in)["account_id"] == elsewhere
    assert moved(2, contact_id=alone).get("account_id") is None
    assert moved(3, contact_id=moved_in, account_id=customer["account"])["account_id"] == customer["account"]
    assert customer_orders("account", customer["account"]) == ["SO-1"]
    assert customer_orders("account", elsewhere) == []
