import pytest

from tests.integration.sales import ADMIN, MANAGER, OTHER_TENANT, SALES, deal, move, pipeline, set_rates
from tools.lambda_api import call
from tools.metering import dynamodb_requests


def test_the_rate_table_starts_as_usd_with_no_rates_and_only_admins_set_it():
    with dynamodb_requests() as requests:
        reply = call("getCurrencyRates")
    assert requests == ["GetItem"]
    assert reply.body == {"currency": "USD", "rates": {}, "version": 0, "updated_at": None, "updated_by": None}
    assert reply.etag == '"0"'
    assert set_rates("EUR", {"USD": "0.92"}, MANAGER).status == 403
    body = {"currency": "EUR", "rates": {"USD": "0.92", "GBP": "1.1725"}}
    with dynamodb_requests() as requests:
        put = call("putCurrencyRates", ADMIN, body=body, headers={"If-Match": '"0"'})
    assert requests == ["GetItem", "Query", "TransactWriteItems"]  # won deals under a new currency? the save, kept
    assert put.status == 200, put.body
    assert put.body["rates"] == {"GBP": "1.1725", "USD": "0.92"} and put.etag == '"1"'
    assert call("getCurrencyRates", SALES.as_("support")).body == put.body
    assert call("getCurrencyRates", OTHER_TENANT).body["currency"] == "USD"
    assert call("getCurrencyRates", None).status == 401


def test_rate_table_changes_honour_if_match():
    set_rates("EUR", {})
    body = {"currency": "EUR", "rates": {"USD": "0.9"}}
    assert call("putCurrencyRates", ADMIN, body=body, headers={"If-Match": None}).status == 428
    assert call("putCurrencyRates", ADMIN, body=body, headers={"If-Match": '"0"'}).status == 412
    assert call("putCurrencyRates", ADMIN, body=body, headers={"If-Match": '"1"'}).status == 200
    assert call("putCurrencyRates", ADMIN, body=body, headers={"If-Match": "one"}).status == 400
    assert call("getCurrencyRates").body["rates"] == {"USD": "0.9"}


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"currency": "EURO", "rates": {}}, "currency"),
        ({"currency": "EUR", "rates": {"usd": "1"}}, "rates.usd.[key]"),
        ({"currency": "EUR", "rates": {"USD": "0"}}, "rates.USD"),
        ({"currency": "EUR", "rates": {"USD": "-1"}}, "rates.USD"),
        ({"currency": "EUR", "rates": {"EUR": "1"}}, "rates"),
        ({"rates": {}}, "currency"),
    ],
)
def test_invalid_rate_tables_are_422(body, field):
    reply = call("putCurrencyRates", ADMIN, body=body)
    assert reply.status == 422, reply.body
    assert field in {error["field"] for error in reply.body["errors"]}


def test_the_tenant_currency_is_fixed_once_a_deal_was_won_in_it():
    pipe = pipeline()
    move(deal(pipe["id"]), "Won")
    assert set_rates("USD", {"EUR": "1.08"}).status == 200  # new rates, same currency: fine
    reply = set_rates("EUR", {"USD": "0.92"})
    assert reply.status == 409 and reply.body["errors"][0]["field"] == "currency"
