"""The products' scenario for `make bench` (tools.bench_scenarios): a manager's catalogue."""

from __future__ import annotations

from tools.bench_scenarios import Operation
from tools.lambda_api import Staff, call, create

MANAGER = Staff().as_("manager")


def operations(account_id: str) -> list[Operation]:
    product = create("createProduct", MANAGER, sku="BENCH-1", name="Bench drill", category="Tools", unit_price="10")
    return [
        (
            "POST /products",
            lambda: create("createProduct", MANAGER, sku="BENCH-2", name="Saw", category="Tools", unit_price="5"),
        ),
        ("GET /products/{id}", lambda: call("getProduct", record_id=product["id"])),
        (
            "PATCH /products/{id}",
            lambda: call(
                "updateProduct", MANAGER, record_id=product["id"], headers={"If-Match": '"1"'}, body={"active": False}
            ),
        ),
        ("GET /products?sku=", lambda: call("listProducts", query={"sku": "BENCH-1"})),
        ("GET /products?category=", lambda: call("listProducts", query={"category": "tools"})),
        ("GET /products", lambda: call("listProducts", query={})),
    ]
