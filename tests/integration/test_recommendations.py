from typing import Any

import pytest

from rapport.orders.recommendations import store
from rapport.orders.recommendations.service import MAX_PAIRED, recommendations
from rapport.orders.value import REFRESHED_BY
from tests.integration.followups import CONTEXT, Bus
from tools.lambda_api import Staff, call, create
from tools.metering import dynamodb_requests

MANAGER = Staff().as_("manager")
ADMIN = Staff().as_("admin")
TENANT = Staff().tenant
SKUS = ("AXE", "BOW", "CAP", "DOG", "EGG")


@pytest.fixture
def bus() -> Bus:
    return Bus()


@pytest.fixture
def catalogue() -> dict[str, str]:
    """The products by SKU: their ids."""
    return {
        sku: create("createProduct", MANAGER, sku=sku, name=f"Product {sku}", category="kit", unit_price="10.00")["id"]
        for sku in SKUS
    }


@pytest.fixture
def people(catalogue) -> dict[str, str]:
    return {name: create("createContact", last_name=name)["id"] for name in ("ann", "bob", "cat", "dan")}


def order(contact: str, number: str, status: str, *skus: str, day: int = 1) -> str:
    body = {
        "number": number,
        "contact_id": contact,
        "status": status,
        "ordered_at": f"2026-01-{day:02d}T10:00:00Z",
        "lines": [{"sku": sku, "quantity": 1} for sku in skus],
    }
    reply = call("createOrder", body=body, headers={"Idempotency-Key": None})
    assert reply.status == 201, reply.body
    return str(reply.body["id"])


def change_status(order_id: str, status: str) -> None:
    current = call("getOrder", record_id=order_id)
    reply = call("updateOrder", record_id=order_id, body={"status": status}, headers={"If-Match": current.etag})
    assert reply.status == 200, reply.body


def delivered(bus: Bus) -> list[dict[str, Any]]:
    """The new order events, delivered to the customer value worker as its rule routes them."""
    from customer_value.handler import lambda_handler

    events = [event for event in bus.publish_new() if event["detail-type"] in REFRESHED_BY]
    return [lambda_handler(event, CONTEXT) for event in events]


def recommended(contact: str, **query: str) -> list[tuple[str, int, list[str]]]:
    reply = call("getContactRecommendations", record_id=contact, query=query or None)
    assert reply.status == 200, reply.body
    return [(item["sku"], item["support"], item["because"]) for item in reply.body["items"]]


def supports(sku: str) -> dict[str, int]:
    """A product's pair counts as stored (those of 0 left out)."""
    return dict(store.pair_counts(TENANT, sku)[1])


def bought(contact: str) -> tuple[str, ...]:
    return store.contact_and_bought(TENANT, contact)[2].skus


@pytest.fixture
def shoppers(people: dict[str, str], bus: Bus) -> dict[str, str]:
    """ann AXE+BOW, bob AXE+CAP, cat AXE+BOW+DOG, dan AXE+CAP: all paid or fulfilled."""
    order(people["ann"], "A1", "paid", "AXE", "BOW")
    order(people["bob"], "B1", "fulfilled", "AXE", "CAP")
    order(people["cat"], "C1", "paid", "AXE", "BOW", "DOG")
    order(people["dan"], "D1", "paid", "AXE", "CAP")
    assert [result["rebought"] for result in delivered(bus)] == [1, 1, 1, 1]
    return people


def test_customers_who_bought_what_it_bought_also_bought_ranked_by_support(shoppers):
    assert supports("AXE") == {"BOW": 2, "CAP": 2, "DOG": 1}
    assert supports("DOG") == {"AXE": 1, "BOW": 1}
    with dynamodb_requests() as requests:
        reply = call("getContactRecommendations", record_id=shoppers["ann"])
    assert requests == ["BatchGetItem"] * 4  # the contact and its set, the lists, the SKUs' guards, the products
    assert reply.body["items"] == [
        {
            "sku": "CAP",
            "name": "Product CAP",
            "category": "kit",
            "unit_price": "10.00",
            "currency": "USD",
            "support": 2,
            "because": ["AXE"],
        },
        {
            "sku": "DOG",
            "name": "Product DOG",
            "category": "kit",
            "unit_price": "10.00",
            "currency": "USD",
            "support": 1,
            "because": ["AXE", "BOW"],
        },
    ]
    assert recommended(shoppers["bob"]) == [("BOW", 2, ["AXE"]), ("DOG", 1, ["AXE"])]
    assert recommended(shoppers["cat"]) == [("CAP", 2, ["AXE"])]
    assert recommended(shoppers["ann"], limit="1") == [("CAP", 2, ["AXE"])]


def test_a_placed_order_buys_nothing_until_paid_and_a_return_takes_it_back(people, bus):
    placed = order(people["ann"], "A1", "placed", "AXE", "BOW")
    order(people["bob"], "B1", "paid", "AXE", "CAP")
    delivered(bus)
    assert bought(people["ann"]) == ()
    with dynamodb_requests() as requests:
        assert recommended(people["ann"]) == []
    assert requests == ["BatchGetItem"]  # nothing bought: nothing more to read
    assert supports("AXE") == {"CAP": 1}
    change_status(placed, "paid")
    assert delivered(bus) == [{"refreshed": 1, "rebought": 1}]
    assert bought(people["ann"]) == ("AXE", "BOW")
    assert recommended(people["ann"]) == [("CAP", 1, ["AXE"])]
    assert recommended(people["bob"]) == [("BOW", 1, ["AXE"])]
    change_status(placed, "returned")
    delivered(bus)
    assert bought(people["ann"]) == ()
    assert supports("AXE") == {"CAP": 1} and supports("BOW") == {}
    assert recommended(people["ann"]) == recommended(people["bob"]) == []


def test_a_cancelled_order_buys_nothing(people, bus):
    order(people["bob"], "B1", "paid", "AXE", "CAP")
    cancelled = order(people["ann"], "A1", "placed", "AXE", "BOW")
    change_status(cancelled, "cancelled")
    delivered(bus)
    assert bought(people["ann"]) == ()
    assert recommended(people["bob"]) == []


def test_a_product_bought_twice_stays_bought_when_one_order_is_returned(people, bus):
    order(people["bob"], "B1", "paid", "AXE", "CAP")
    first = order(people["ann"], "A1", "paid", "AXE", day=1)
    order(people["ann"], "A2", "fulfilled", "AXE", "EGG", day=2)
    delivered(bus)
    assert bought(people["ann"]) == ("AXE", "EGG")
    assert supports("AXE") == {"CAP": 1, "EGG": 1}
    change_status(first, "returned")
    assert delivered(bus) == [{"refreshed": 1, "rebought": 0}]
    assert bought(people["ann"]) == ("AXE", "EGG")
    assert supports("AXE") == {"CAP": 1, "EGG": 1}  # one customer each, however many orders
    assert recommended(people["ann"]) == [("CAP", 1, ["AXE"])]


def test_a_redelivered_event_counts_nothing_twice(people, bus):
    order(people["ann"], "A1", "paid", "AXE", "BOW")
    from customer_value.handler import lambda_handler

    events = [event for event in bus.publish_new() if event["detail-type"] in REFRESHED_BY]
    assert lambda_handler(events[0], CONTEXT)["rebought"] == 1
    assert lambda_handler(events[0], CONTEXT)["rebought"] == 0
    assert supports("AXE") == {"BOW": 1} and supports("BOW") == {"AXE": 1}


def test_inactive_and_trashed_products_are_not_recommended(shoppers, catalogue):
    current = call("getProduct", MANAGER, record_id=catalogue["CAP"])
    patch = {"active": False}
    assert call("updateProduct", MANAGER, record_id=catalogue["CAP"], body=patch, headers={"If-Match": current.etag})
    assert recommended(shoppers["ann"]) == [("DOG", 1, ["AXE", "BOW"])]
    assert call("deleteProduct", MANAGER, record_id=catalogue["DOG"]).status == 204
    assert recommended(shoppers["ann"]) == []


def test_a_moved_or_trashed_order_moves_what_was_bought(shoppers, bus):
    moved = call("listOrders", query={"number": "D1"}).body["items"][0]["id"]
    change = {"contact_id": shoppers["ann"], "account_id": None}
    assert call("updateOrder", record_id=moved, body=change, headers={"If-Match": '"1"'}).status == 200
    delivered(bus)
    assert bought(shoppers["dan"]) == ()
    assert bought(shoppers["ann"]) == ("AXE", "BOW", "CAP")
    assert supports("CAP") == {"AXE": 2, "BOW": 1}
    assert call("deleteOrder", MANAGER, record_id=moved, headers={"If-Match": None}).status == 204
    delivered(bus)
    assert bought(shoppers["ann"]) == ("AXE", "BOW")
    assert supports("CAP") == {"AXE": 1}


def test_erasing_a_contact_takes_its_purchases_out_of_everyone_s_recommendations(shoppers, bus):
    assert recommended(shoppers["ann"]) == [("CAP", 2, ["AXE"]), ("DOG", 1, ["AXE", "BOW"])]
    assert call("deleteContact", ADMIN, record_id=shoppers["cat"], query={"permanent": "true"}).status == 204
    assert [result["forgotten"] for result in delivered(bus) if "forgotten" in result] == [True]
    assert bought(shoppers["cat"]) == ()
    assert supports("DOG") == {}
    assert supports("AXE") == {"BOW": 1, "CAP": 2}
    assert recommended(shoppers["ann"]) == [("CAP", 2, ["AXE"])]
    delivered(bus)  # the erased contact's orders are still its: its events bring nothing back
    assert bought(shoppers["cat"]) == ()
    assert supports("DOG") == {}


def test_a_trashed_or_unknown_contact_is_a_404(shoppers):
    assert call("deleteContact", MANAGER, record_id=shoppers["ann"]).status == 204
    for contact in (shoppers["ann"], "01JUNKNOWN0000000000000000"):
        reply = call("getContactRecommendations", record_id=contact)
        assert reply.status == 404 and reply.headers["content-type"] == "application/problem+json", reply.body
    elsewhere = call("getContactRecommendations", Staff(tenant="tenant-b"), record_id=shoppers["bob"])
    assert elsewhere.status == 404


@pytest.mark.parametrize("limit", ["0", "51", "ten"])
def test_a_bad_limit_is_a_400_naming_it_like_every_query_parameter(shoppers, limit):
    reply = call("getContactRecommendations", record_id=shoppers["ann"], query={"limit": limit})
    assert reply.status == 400, reply.body
    assert [error["field"] for error in reply.body["errors"]] == ["limit"]


def test_pairs_are_counted_for_the_first_products_bought_and_each_move_is_one_transaction(people, bus):
    many = [
        create("createProduct", MANAGER, sku=f"P{number:02d}", name=f"P{number}", unit_price="1.00")["sku"]
        for number in range(MAX_PAIRED + 2)
    ]
    order(people["ann"], "A1", "paid", *many[:MAX_PAIRED], day=1)
    order(people["ann"], "A2", "paid", *many[MAX_PAIRED:], day=2)
    order(people["bob"], "B1", "paid", many[0], many[-1])
    with dynamodb_requests() as requests:
        delivered(bus)
    assert requests.count("TransactWriteItems") == MAX_PAIRED + 2  # one per SKU moved into a paired set
    assert "Scan" not in requests
    assert bought(people["ann"]) == tuple(many)
    assert supports(many[0]) == {**{sku: 1 for sku in many[1:MAX_PAIRED]}, many[-1]: 1}
    assert supports(many[-1]) == {many[0]: 1}  # ann's last products are bought but not paired
    assert recommended(people["bob"], limit="50")[:2] == [(many[1], 1, [many[0]]), (many[2], 1, [many[0]])]
    assert len(recommended(people["bob"], limit="50")) == MAX_PAIRED - 1
    assert recommendations.refresh(TENANT, [people["ann"]]) == 0
