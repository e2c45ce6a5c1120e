from typing import Any

from tests.integration.sales import set_rates
from tools.lambda_api import Staff, call
from tools.metering import dynamodb_requests

MANAGER = Staff().as_("manager")
SALES = Staff()
OTHER_TENANT = Staff(tenant="tenant-b", user="user-9", groups=("admin",))
NO_KEY: dict[str, str | None] = {"Idempotency-Key": None}


def new_product(staff: Staff = MANAGER, **fields: Any) -> dict[str, Any]:
    body = {"sku": "DRILL-18V", "name": "Cordless drill", "unit_price": "129.00", **fields}
    reply = call("createProduct", staff, body=body, headers=NO_KEY)
    assert reply.status == 201, reply.body
    return dict(reply.body)


def listed(**query: str) -> list[str]:
    with dynamodb_requests() as requests:
        reply = call("listProducts", query=query)
    assert reply.status == 200, reply.body
    assert requests == ["Query"]
    return [product["sku"] for product in reply.body["items"]]


def test_a_manager_adds_a_product_in_the_tenant_currency_that_everyone_reads():
    product = new_product(category="Power tools")
    assert (product["currency"], product["unit_price"], product["active"]) == ("USD", "129.00", True)
    assert call("getProduct", SALES.as_("support"), record_id=product["id"]).body == product
    assert call("createProduct", SALES, body={"sku": "X", "name": "X", "unit_price": "1"}).status == 403
    assert call("getProduct", OTHER_TENANT, record_id=product["id"]).status == 404


def test_a_sku_is_one_product_s_until_it_changes():
    first = new_product()
    duplicate = call("createProduct", MANAGER, body={"sku": "DRILL-18V", "name": "Copy", "unit_price": "1"})
    assert duplicate.status == 409, duplicate.body
    assert duplicate.body["errors"][0]["field"] == "sku" and duplicate.body["existing"]["id"] == first["id"]
    assert new_product(sku="drill-18v")["sku"] == "drill-18v"  # compared exactly
    renamed = call(
        "updateProduct", MANAGER, record_id=first["id"], body={"sku": "DRILL-20V"}, headers={"If-Match": '"1"'}
    )
    assert renamed.status == 200, renamed.body
    assert new_product(name="The new one")["sku"] == "DRILL-18V"
    assert listed(sku="DRILL-20V") == ["DRILL-20V"]


def test_a_currency_needs_a_rate_and_an_invalid_price_is_named():
    refused = call("createProduct", MANAGER, body={"sku": "A", "name": "A", "unit_price": "1", "currency": "EUR"})
    assert refused.status == 422 and refused.body["errors"][0]["field"] == "currency"
    assert set_rates("USD", {"EUR": "1.08"}).status == 200
    assert new_product(sku="A", currency="EUR")["currency"] == "EUR"
    for price in ("-1", "1.234", "abc", 1e20):
        reply = call("createProduct", MANAGER, body={"sku": "B", "name": "B", "unit_price": price})
        assert reply.status == 422 and reply.body["errors"][0]["field"] == "unit_price", (price, reply.body)
    for sku in ("", "has space", "#1", "x" * 65):
        reply = call("createProduct", MANAGER, body={"sku": sku, "name": "B", "unit_price": "1"})
        assert reply.status == 422 and reply.body["errors"][0]["field"] == "sku", (sku, reply.body)


def test_a_product_changes_currency_only_to_one_with_a_rate_and_never_to_none():
    assert set_rates("USD", {"EUR": "1.08"}).status == 200
    product = new_product(currency="EUR")

    def patched(version: str, **body: Any) -> Any:
        return call("updateProduct", MANAGER, record_id=product["id"], body=body, headers={"If-Match": version})

    cleared = patched('"1"', currency=None)
    assert cleared.status == 422 and cleared.body["errors"][0]["field"] == "currency", cleared.body
    unpriced = patched('"1"', currency="GBP")
    assert unpriced.status == 422 and unpriced.body["errors"][0]["field"] == "currency", unpriced.body
    with dynamodb_requests() as requests:
        assert patched('"1"', currency="USD").body["currency"] == "USD"
    assert requests == ["GetItem", "GetItem", "PutItem"]  # the product, the rates, the write
    with dynamodb_requests() as requests:
        assert patched('"2"', name="Drill").status == 200
    assert requests == ["GetItem", "PutItem"]  # same currency: no rates read


def test_by_sku_and_by_category_case_and_accents_aside_each_one_query_and_the_trash_leaves_them():
    drill = new_product(category="Outils électriques")
    new_product(sku="SAW-1", name="Circular saw", category="outils electriques")
    new_product(sku="GLOVE", name="Gloves", category="Safety")
    assert listed(category="OUTILS ÉLECTRIQUES") == ["SAW-1", "DRILL-18V"]  # by name
    assert listed(sku="DRILL-18V") == ["DRILL-18V"]
    assert listed() == ["SAW-1", "DRILL-18V", "GLOVE"]
    assert call("deleteProduct", MANAGER, record_id=drill["id"]).status == 204
    assert listed(sku="DRILL-18V") == [] and listed(category="outils electriques") == ["SAW-1"]
    assert listed(deleted="true") == ["DRILL-18V"]
    both = call("listProducts", query={"sku": "SAW-1", "category": "Safety"})
    assert both.status == 400
