"""Recommendations over HTTP: a catalogue, orders of three customers, and what the customer value worker on the local
runtime makes of them for each: what the others bought with what it bought, by support, without its own products."""

from __future__ import annotations

import time
from typing import Any

from tests.e2e.conftest import Client, Staff, problem


def _recommended(client: Client, contact_id: str, expected: list[str], **params: Any) -> list[dict[str, Any]]:
    """The contact's recommendations once they are `expected` (SKUs): the worker runs a moment after the orders."""
    for _ in range(40):
        reply = client.get(f"/contacts/{contact_id}/recommendations", params=params)
        assert reply.status_code == 200, reply.text
        items: list[dict[str, Any]] = reply.json()["items"]
        if [item["sku"] for item in items] == expected:
            return items
        time.sleep(0.5)
    raise AssertionError(f"the recommendations of {contact_id} never became {expected}: {items}")


def test_three_customers_orders_make_each_one_s_recommendations(staff: Staff) -> None:
    manager, sales = staff("manager"), staff("sales")
    for sku, name in (("TENT", "Tent"), ("BAG", "Sleeping bag"), ("STOVE", "Stove"), ("LAMP", "Lamp")):
        manager.create("products", sku=sku, name=name, category="Camping", unit_price="50.00")
    ann, bob, cat = (manager.create("contacts", last_name=name)["id"] for name in ("Ann", "Bob", "Cat"))
    baskets = {ann: ["TENT", "BAG"], bob: ["TENT", "BAG", "STOVE"], cat: ["TENT", "STOVE", "LAMP"]}
    orders = {
        "orders": [
            {
                "number": f"SHOP-{number}",
                "contact_id": contact,
                "status": "paid",
                "lines": [{"sku": sku, "quantity": 1} for sku in skus],
            }
            for number, (contact, skus) in enumerate(baskets.items())
        ]
    }
    assert [item["status"] for item in manager.post("/orders/batch", json=orders).json()["items"]] == [201] * 3

    first = _recommended(sales, ann, ["STOVE", "LAMP"])
    assert first[0] == {
        "sku": "STOVE",
        "name": "Stove",
        "category": "Camping",
        "unit_price": "50.00",
        "currency": "USD",
        "support": 2,  # bob and cat bought a tent and a stove; bob a bag and a stove
        "because": ["TENT", "BAG"],
    }
    assert (first[1]["support"], first[1]["because"]) == (1, ["TENT"])
    assert [item["sku"] for item in _recommended(sales, bob, ["LAMP"])] == ["LAMP"]
    assert _recommended(sales, cat, ["BAG"], limit=1)[0]["because"] == ["TENT", "STOVE"]

    placed = manager.create("contacts", last_name="Dan")["id"]
    assert sales.get(f"/contacts/{placed}/recommendations").json() == {"items": []}
    assert (
        problem(sales.get(f"/contacts/{placed}/recommendations", params={"limit": 51}), 400)["errors"][0]["field"]
        == "limit"
    )
    problem(sales.get("/contacts/01JD5Y7M7ZV1W4T5C9H2K3N4P5/recommendations"), 404)

    admin = staff("admin")
    assert admin.delete(f"/contacts/{cat}", params={"permanent": "true"}).status_code == 204
    for _ in range(40):  # cat's purchases leave with cat, on its erase's event
        if _recommended(sales, ann, ["STOVE"])[0]["support"] == 1:
            break
        time.sleep(0.5)
    assert _recommended(sales, ann, ["STOVE"])[0]["support"] == 1
