import pytest

from tests.integration.sales import ADMIN, MANAGER, OTHER_TENANT, SALES, deal, log_activity, move, pipeline, set_rates
from tools.lambda_api import Staff, call
from tools.metering import dynamodb_requests

ANN = Staff(SALES.tenant, "ann", ("sales",))
BOB = Staff(SALES.tenant, "bob", ("sales",))


@pytest.fixture
def book():
    """Q4 2026 in EUR: Ann and Bob's deals across two pipelines, in EUR and USD."""
    assert set_rates("EUR", {"USD": "0.90", "GBP": "1.15"}).status == 200
    main, other = pipeline(), pipeline(name="Partners")
    deal(main["id"], ANN, amount="1000.00", stage="Demo", close_date="2026-10-15")  # 30 %
    deal(main["id"], ANN, amount="2000.00", currency="USD", stage="Negotiation", close_date="2026-12-31")  # 80 %
    move(deal(main["id"], ANN, amount="500.00", close_date="2026-11-02"), "Won", ANN, close_date="2026-11-02")
    move(
        deal(main["id"], BOB, amount="700.00", close_date="2026-11-03"),
        "Lost",
        BOB,
        lost_reason="Budget",
        close_date="2026-11-03",
    )
    deal(other["id"], BOB, amount="400.00", stage="Proposal", close_date="2026-11-20")  # 60 %
    deal(main["id"], BOB, amount="9999.00", close_date="2027-01-01")  # next quarter
    deal(main["id"], BOB, amount="9999.00", close_date="2026-09-30")  # last quarter
    trashed = deal(main["id"], BOB, amount="9999.00", close_date="2026-11-10")
    call("deleteDeal", BOB, record_id=trashed["id"], headers={"If-Match": None})
    set_rates("EUR", {"USD": "0.90"})  # drop GBP before a GBP deal shows up
    return main, other


def test_the_forecast_of_a_quarter_in_the_tenant_currency_is_one_query(book):
    with dynamodb_requests() as requests:
        reply = call("getForecast", MANAGER, query={"period": "2026-Q4"})
    assert requests == ["GetItem", "Query"]  # the rate table, then the quarter's close dates
    assert reply.status == 200, reply.body
    body = reply.body
    assert (body["currency"], body["start"], body["end"]) == ("EUR", "2026-10-01", "2026-12-31")
    # open: 1000 EUR @30 %, 2000 USD = 1800 EUR @80 %, 400 EUR @60 %; won: 500 EUR; lost and trashed count nowhere
    assert body["totals"] == {
        "weighted": "1980.00",  # 300 + 1440 + 240
        "commit": "1800.00",
        "best_case": "3200.00",
        "closed_won": "500.00",
        "open_deals": 3,
        "won_deals": 1,
    }
    assert body["owners"] == [
        {
            "owner_id": "ann",
            "weighted": "1740.00",
            "commit": "1800.00",
            "best_case": "2800.00",
            "closed_won": "500.00",
            "open_deals": 2,
            "won_deals": 1,
        },
        {
            "owner_id": "bob",
            "weighted": "240.00",
            "commit": "0.00",
            "best_case": "400.00",
            "closed_won": "0.00",
            "open_deals": 1,
            "won_deals": 0,
        },
    ]
    assert body["unconverted"] == []


def test_forecast_by_month_owner_and_pipeline(book):
    _, other = book
    december = call("getForecast", MANAGER, query={"period": "2026-12"}).body
    assert december["totals"]["best_case"] == "1800.00"
    bobs = call("getForecast", MANAGER, query={"period": "2026-Q4", "owner_id": "bob"}).body
    assert [owner["owner_id"] for owner in bobs["owners"]] == ["bob"] and bobs["totals"]["best_case"] == "400.00"
    partners = call("getForecast", MANAGER, query={"period": "2026-Q4", "pipeline_id": other["id"]}).body
    assert partners["totals"]["weighted"] == "240.00" and partners["pipeline_id"] == other["id"]


def test_a_deal_in_a_currency_without_a_rate_is_left_out_and_counted(book):
    main, _ = book
    set_rates("EUR", {"USD": "0.90", "GBP": "1.15"})
    deal(main["id"], BOB, amount="100.00", currency="GBP", close_date="2026-11-11")
    set_rates("EUR", {"USD": "0.90"})
    body = call("getForecast", MANAGER, query={"period": "2026-Q4"}).body
    assert body["unconverted"] == [{"currency": "GBP", "deals": 1}]
    assert body["totals"]["best_case"] == "3200.00"


def test_sales_see_their_own_forecast_other_roles_none(book):
    own = call("getForecast", BOB, query={"period": "2026-Q4"})
    assert own.status == 200 and own.body["owner_id"] == "bob"
    assert [owner["owner_id"] for owner in own.body["owners"]] == ["bob"]
    assert call("getForecast", BOB, query={"period": "2026-Q4", "owner_id": "ann"}).status == 403
    assert call("getForecast", SALES.as_("support"), query={"period": "2026-Q4"}).status == 403
    assert call("getForecast", None, query={"period": "2026-Q4"}).status == 401
    assert call("getForecast", OTHER_TENANT, query={"period": "2026-Q4"}).body["totals"]["open_deals"] == 0


@pytest.mark.parametrize("query", [{}, {"period": "2026-Q5"}, {"period": "2026-13"}, {"period": "Q4-2026"}])
def test_a_bad_period_is_400(query):
    for operation in ("getForecast", "getSalesPerformance"):
        reply = call(operation, MANAGER, query=query)
        assert reply.status == 400, (operation, reply.body)
        assert reply.body["errors"][0]["field"] == "period"


def test_sales_performance_per_owner_from_the_months_stats_in_one_query(book):
    main, _ = book
    move(
        deal(main["id"], BOB, amount="300.00", currency="USD", close_date="2026-10-05"),
        "Won",
        BOB,
        close_date="2026-10-05",
    )
    for at in ("2026-10-01T09:00:00Z", "2026-11-30T23:59:59Z", "2026-12-01T00:00:00Z"):
        log_activity("ann", at)
    log_activity("ann", "2027-01-01T00:00:00Z")  # next quarter
    log_activity("carol", "2026-11-15T12:00:00Z")
    with dynamodb_requests() as requests:
        reply = call("getSalesPerformance", MANAGER, query={"period": "2026-Q4"})
    assert requests == ["Query"]
    assert reply.status == 200, reply.body
    body = reply.body
    assert body["currency"] == "EUR"
    assert body["owners"] == [
        {
            "owner_id": "ann",
            "deals_won": 1,
            "deals_lost": 0,
            "revenue_won": "500.00",
            "win_rate": 100.0,
            "average_days_to_close": 0.0,
            "activities": 3,
        },
        {
            "owner_id": "bob",
            "deals_won": 1,
            "deals_lost": 1,
            "revenue_won": "270.00",
            "win_rate": 50.0,
            "average_days_to_close": 0.0,
            "activities": 0,
        },
        {
            "owner_id": "carol",
            "deals_won": 0,
            "deals_lost": 0,
            "revenue_won": "0.00",
            "win_rate": None,
            "average_days_to_close": None,
            "activities": 1,
        },
    ]
    assert body["totals"]["revenue_won"] == "770.00" and body["totals"]["win_rate"] == pytest.approx(66.7)
    november = call("getSalesPerformance", MANAGER, query={"period": "2026-11"}).body
    assert [(o["owner_id"], o["deals_won"], o["deals_lost"], o["activities"]) for o in november["owners"]] == [
        ("ann", 1, 0, 1),
        ("bob", 0, 1, 0),
        ("carol", 0, 0, 1),
    ]


def test_reopening_or_trashing_a_closed_deal_takes_it_out_of_the_stats(book):
    main, _ = book
    won = move(deal(main["id"], BOB, amount="100.00", close_date="2026-11-05"), "Won", BOB, close_date="2026-11-05")
    before = call("getSalesPerformance", MANAGER, query={"period": "2026-11", "owner_id": "bob"}).body["totals"]
    assert (before["deals_won"], before["revenue_won"]) == (1, "100.00")
    call("deleteDeal", BOB, record_id=won["id"], headers={"If-Match": None})
    trashed = call("getSalesPerformance", MANAGER, query={"period": "2026-11", "owner_id": "bob"}).body["totals"]
    assert (trashed["deals_won"], trashed["revenue_won"], trashed["deals_lost"]) == (0, "0.00", 1)
    restored = call("restoreDeal", ADMIN, record_id=won["id"], headers={"If-Match": None}).body
    move(restored, "Negotiation", BOB)
    reopened = call("getSalesPerformance", MANAGER, query={"period": "2026-11", "owner_id": "bob"}).body["totals"]
    assert (reopened["deals_won"], reopened["revenue_won"]) == (0, "0.00")


def test_sales_see_their_own_performance(book):
    own = call("getSalesPerformance", ANN, query={"period": "2026-Q4"}).body
    assert [owner["owner_id"] for owner in own["owners"]] == ["ann"]
    assert call("getSalesPerformance", ANN, query={"period": "2026-Q4", "owner_id": "bob"}).status == 403
    assert call("getSalesPerformance", SALES.as_("marketing"), query={"period": "2026-Q4"}).status == 403
