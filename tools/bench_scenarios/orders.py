"""The orders' scenario for `make bench` (tools.bench_scenarios): orders of a contact of the bench's account."""

from __future__ import annotations

from tools.bench_scenarios import Operation
from tools.lambda_api import Staff, call, create

MANAGER = Staff().as_("manager")


def operations(account_id: str) -> list[Operation]:
    create("createProduct", MANAGER, sku="BENCH-ORDER", name="Bench lathe", unit_price="250")
    contact = create("createContact", last_name="Orders", account_id=account_id)["id"]
    line = {"sku": "BENCH-ORDER", "quantity": 2}
    order = create("createOrder", number="BENCH-1", contact_id=contact, lines=[line])
    batch = [
        {"number": f"BENCH-B{n}", "external_id": f"bench-{n}", "contact_id": contact, "lines": [line]}
        for n in range(10)
    ]
    return [
        ("POST /orders", lambda: create("createOrder", number="BENCH-2", contact_id=contact, lines=[line])),
        ("GET /orders/{id}", lambda: call("getOrder", record_id=order["id"])),
        (
            "PATCH /orders/{id} (paid)",
            lambda: call("updateOrder", record_id=order["id"], headers={"If-Match": '"1"'}, body={"status": "paid"}),
        ),
        ("POST /orders/batch (10 new)", lambda: call("receiveOrders", body={"orders": batch})),
        ("POST /orders/batch (10 resent)", lambda: call("receiveOrders", body={"orders": batch})),
        ("GET /orders?number=", lambda: call("listOrders", query={"number": "BENCH-1"})),
        ("GET /contacts/{id}/orders", lambda: call("listContactOrders", record_id=contact)),
        ("GET /accounts/{id}/orders", lambda: call("listAccountOrders", record_id=account_id)),
        ("GET /contacts/{id}/value", lambda: call("getContactValue", record_id=contact)),
        ("GET /accounts/{id}/value", lambda: call("getAccountValue", record_id=account_id)),
        ("GET /reports/customers", lambda: call("listCustomerReport", query={})),
        (
            "GET /reports/customers?sort=churn_risk&tier=A",
            lambda: call("listCustomerReport", query={"sort": "churn_risk", "tier": "A"}),
        ),
        (
            "GET /reports/customers?sort=potential_gap",
            lambda: call("listCustomerReport", query={"sort": "potential_gap"}),
        ),
        (
            "GET /reports/customers?sort=potential_gap&tier=A&segment=champions",
            lambda: call("listCustomerReport", query={"sort": "potential_gap", "tier": "A", "segment": "champions"}),
        ),
        (
            "GET /reports/customers?level=contact&segment=at_risk",
            lambda: call("listCustomerReport", query={"level": "contact", "segment": "at_risk"}),
        ),
        ("GET /analytics-settings", lambda: call("getAnalyticsSettings")),
    ]
