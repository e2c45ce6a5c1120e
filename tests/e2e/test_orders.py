"""Orders over HTTP: a catalogue, a back office's batch of orders (resent), the customer's value refreshed by its
worker on the local runtime, the 360 view and the timeline; and the errors a client can make."""

from __future__ import annotations

import time
from typing import Any

from tests.e2e.conftest import Client, Staff, problem


def _value(client: Client, contact_id: str, lifetime: str) -> dict[str, Any]:
    """The contact's value once the worker has counted `lifetime` (it runs a moment after the order's write)."""
    for _ in range(40):
        figures: dict[str, Any] = client.get(f"/contacts/{contact_id}/value").json()
        if figures["value"]["revenue_lifetime"] == lifetime:
            return figures
        time.sleep(0.5)
    raise AssertionError(f"the value of {contact_id} never reached {lifetime}: {figures}")


def _batch(contact_id: str, *, paid: str) -> dict[str, Any]:
    return {
        "orders": [
            {
                "number": "WEB-1",
                "external_id": "shop-1",
                "contact_id": contact_id,
                "status": paid,
                "lines": [{"sku": "LAMP-40", "quantity": 3, "discount": "10.00"}],
            },
            {
                "number": "WEB-2",
                "external_id": "shop-2",
                "contact_id": contact_id,
                "lines": [{"sku": "LAMP-40", "quantity": 1}],
            },
            {"number": "WEB-3", "contact_id": contact_id, "lines": [{"sku": "NOPE", "quantity": 1}]},
        ]
    }


def test_products_then_a_batch_of_orders_then_the_value_on_the_contact_and_its_360(staff: Staff) -> None:
    manager = staff("manager")
    lamp = manager.create("products", sku="LAMP-40", name="Desk lamp", category="Lighting", unit_price="40.00")
    assert manager.get("/products", params={"category": "lighting"}).json()["items"] == [lamp]
    account = manager.create("accounts", name="Tyrell")
    contact = manager.create("contacts", last_name="Tyrell", account_id=account["id"])

    first = manager.post("/orders/batch", json=_batch(contact["id"], paid="paid"))
    assert first.status_code == 200, first.text
    items = first.json()["items"]
    assert [item["status"] for item in items] == [201, 201, 422]
    assert items[2]["problem"]["errors"][0]["field"] == "lines[0].sku"
    assert items[0]["order"]["total"] == "110.00" and items[0]["order"]["account_id"] == account["id"]
    assert _value(manager, contact["id"], "110.00")["value"]["orders_12m"] == 1

    resent = manager.post("/orders/batch", json=_batch(contact["id"], paid="fulfilled")).json()["items"]
    assert [item["status"] for item in resent] == [200, 200, 422]
    assert [item["order"]["id"] for item in resent[:2]] == [item["order"]["id"] for item in items[:2]]
    listed = manager.get(f"/contacts/{contact['id']}/orders").json()["items"]
    assert sorted(order["number"] for order in listed) == ["WEB-1", "WEB-2"]
    assert len(manager.get(f"/accounts/{account['id']}/orders").json()["items"]) == 2

    returned = manager.patch(
        f"/orders/{items[0]['order']['id']}", json={"status": "returned"}, headers={"If-Match": '"2"'}
    )
    assert returned.status_code == 200, returned.text
    figures = _value(manager, contact["id"], "0.00")
    assert [(brief["number"], brief["status"]) for brief in figures["latest"]] == [
        ("WEB-2", "placed"),
        ("WEB-1", "returned"),
    ]
    overview = manager.get(f"/contacts/{contact['id']}/360").json()
    assert overview["orders"]["value"]["revenue_lifetime"] == "0.00"
    timeline = manager.get(f"/contacts/{contact['id']}/timeline").json()["items"]
    assert {(entry["number"], entry["status"]) for entry in timeline if entry["kind"] == "order"} >= {
        ("WEB-1", "paid"),
        ("WEB-1", "fulfilled"),
        ("WEB-1", "returned"),
        ("WEB-2", "placed"),
    }


def test_the_errors_a_client_makes_with_orders_and_products(staff: Staff) -> None:
    manager, sales = staff("manager"), staff("sales")
    problem(sales.post("/products", json={"sku": "X", "name": "X", "unit_price": "1"}), 403)
    manager.create("products", sku="X", name="X", unit_price="5")
    duplicate = problem(manager.post("/products", json={"sku": "X", "name": "Y", "unit_price": "1"}), 409)
    assert duplicate["errors"][0]["field"] == "sku"
    contact = sales.create("contacts", last_name="Buyer")
    over = {"number": "N-1", "contact_id": contact["id"], "lines": [{"sku": "X", "quantity": 1, "discount": "6"}]}
    assert problem(sales.post("/orders", json=over), 422)["errors"][0]["field"] == "lines[0].discount"
    nobody = {"number": "N-1", "lines": [{"sku": "X", "quantity": 1}]}
    assert problem(sales.post("/orders", json=nobody), 422)["errors"][0]["field"] == "account_id"
    problem(sales.post("/orders/batch", json={"orders": [nobody] * 101}), 422)
    problem(sales.get("/contacts/01JD5Y7M7ZV1W4T5C9H2K3N4P6/orders"), 404)
