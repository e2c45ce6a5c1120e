from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

from rapport.orders.value import LATEST, a_year_before, months_back, tally

NOW = datetime(2026, 11, 30, 12, 0, tzinfo=UTC)


def order(number: str, status: str, at: str, amount: str, currency: str = "USD") -> dict[str, Any]:
    return {
        "id": number,
        "number": number,
        "status": status,
        "ordered_at": at,
        "total": amount,
        "currency": currency,
        "tenant_total": {"amount": amount, "currency": currency},
    }


def test_only_paid_and_fulfilled_orders_are_revenue_and_the_window_is_a_year_back_from_the_clock():
    newest_first = [
        order("5", "placed", "2026-11-29T00:00:00Z", "999.00"),
        order("4", "cancelled", "2026-11-28T00:00:00Z", "999.00"),
        order("3", "returned", "2026-10-01T00:00:00Z", "999.00"),
        order("2", "fulfilled", "2026-06-01T00:00:00Z", "100.00"),
        order("1", "paid", "2025-11-30T12:00:00Z", "50.00"),  # exactly a year back: outside
    ]
    figures = tally(newest_first, NOW)
    assert figures.value.revenue_12m == 100 and figures.value.orders_12m == 1
    assert figures.value.revenue_lifetime == 150 and str(figures.value.avg_order_value) == "75.00"
    assert figures.value.last_order_at == datetime(2026, 6, 1, tzinfo=UTC)
    assert [brief.number for brief in figures.latest] == ["5", "4", "3", "2", "1"][:LATEST]


def test_no_revenue_is_zero_and_orders_in_a_former_tenant_currency_are_not_restated():
    assert tally([order("1", "placed", "2026-11-29T00:00:00Z", "10.00")], NOW).value.revenue_lifetime == 0
    mixed = [
        order("2", "paid", "2026-11-01T00:00:00Z", "10.00", "EUR"),
        order("1", "paid", "2026-01-01T00:00:00Z", "7"),
    ]
    figures = tally(mixed, NOW).value
    assert (figures.revenue_lifetime, figures.currency) == (Decimal("10.00"), "EUR")


def test_a_year_before_a_leap_day_is_the_28th_of_february():
    assert a_year_before(datetime(2028, 2, 29, tzinfo=UTC)) == datetime(2027, 2, 28, tzinfo=UTC)


def test_revenue_is_kept_by_calendar_month_over_the_last_24_and_the_buying_rhythm_is_the_median_gap():
    newest_first = [
        order("6", "paid", "2026-11-02T00:00:00Z", "30.00"),
        order("5", "fulfilled", "2026-11-01T00:00:00Z", "20.00"),
        order("4", "cancelled", "2026-10-20T00:00:00Z", "999.00"),
        order("3", "paid", "2026-10-01T00:00:00Z", "10.00"),
        order("2", "paid", "2024-12-01T00:00:00Z", "5.00"),  # the 24th month back, November 2026 included
        order("1", "paid", "2024-11-30T00:00:00Z", "7.00"),  # the 25th: lifetime only
    ]
    figures = tally(newest_first, NOW).value
    assert figures.monthly_revenue == {
        "2024-12": Decimal("5.00"),
        "2026-10": Decimal("10.00"),
        "2026-11": Decimal("50.00"),
    }
    assert figures.first_order_at == datetime(2024, 11, 30, tzinfo=UTC)
    assert figures.median_gap_days == Decimal("16.0")  # gaps of 1, 31, 669 and 1 days


def test_a_single_order_has_no_rhythm_and_months_back_cross_the_year():
    figures = tally([order("1", "paid", "2026-11-29T00:00:00Z", "10.00")], NOW).value
    assert figures.median_gap_days is None and figures.first_order_at == figures.last_order_at
    assert months_back(datetime(2026, 2, 3, tzinfo=UTC), 3) == ["2025-12", "2026-01", "2026-02"]
