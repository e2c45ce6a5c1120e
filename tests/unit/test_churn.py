from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

import pytest

from rapport.orders.churn import AnalyticsSettings, Churn, ChurnStatus, assess
from rapport.orders.value import CustomerValue, tally

DEFAULTS = AnalyticsSettings()


def monthly_orders(first: tuple[int, int], amounts: list[str], day: int = 15) -> list[dict[str, Any]]:
    """One paid order a month from `first` (year, month), newest first."""
    year, month = first
    orders = []
    for index, amount in enumerate(amounts):
        at = datetime(year + (month - 1 + index) // 12, (month - 1 + index) % 12 + 1, day, tzinfo=UTC)
        orders.append(
            {
                "id": str(index),
                "number": str(index),
                "status": "paid",
                "ordered_at": at.isoformat(),
                "total": amount,
                "currency": "EUR",
                "tenant_total": {"amount": amount, "currency": "EUR"},
            }
        )
    return orders[::-1]


def value_at(orders: list[dict[str, Any]], now: datetime) -> CustomerValue:
    return tally([order for order in orders if datetime.fromisoformat(order["ordered_at"]) <= now], now).value


def status_at(orders: list[dict[str, Any]], now: datetime, settings: AnalyticsSettings = DEFAULTS) -> Churn:
    return assess(value_at(orders, now), settings, now, None)


SEEDS = monthly_orders((2025, 1), ["1000.00"] * 12 + ["500.00"] * 4)


def test_the_seeds_customer_12_months_at_1000_then_4_at_500_is_deserting_with_both_figures():
    now = datetime(2026, 4, 20, tzinfo=UTC)
    churn = status_at(SEEDS, now)
    assert churn.status == ChurnStatus.DESERTING and churn.since == now
    assert (churn.baseline, churn.recent) == (Decimal("1000.00"), Decimal("500.00"))
    [reason] = churn.reasons
    assert reason.code == "revenue_drop" and "1000.00" in reason.detail and "500.00" in reason.detail
    assert reason.figures["drop_percent"] == 50


def test_deserting_is_found_in_the_first_month_whose_three_complete_months_show_the_drop():
    orders = monthly_orders((2024, 1), ["1000.00"] * 24 + ["500.00"] * 5)
    found = {month: status_at(orders, datetime(2026, month, 20, tzinfo=UTC)).status for month in range(1, 6)}
    assert found == {
        1: ChurnStatus.ACTIVE,  # Oct-Dec at 1000
        2: ChurnStatus.ACTIVE,  # 833.33 a month: down 16.7 %
        3: ChurnStatus.ACTIVE,  # 666.67 a month: down 33.3 %
        4: ChurnStatus.DESERTING,
        5: ChurnStatus.DESERTING,
    }


def test_a_steady_customer_is_active():
    churn = status_at(monthly_orders((2024, 1), ["1000.00"] * 30), datetime(2026, 6, 20, tzinfo=UTC))
    assert churn.status == ChurnStatus.ACTIVE and churn.reasons == []
    assert (churn.baseline, churn.recent) == (Decimal("1000.00"), Decimal("1000.00"))


def summer_dip(years: int) -> list[str]:
    """Monthly amounts from January: 1000, but 300 in June, July and August of the last `years` years."""
    return [
        "300.00" if month in (5, 6, 7) and year >= 3 - years else "1000.00" for year in range(3) for month in range(12)
    ]


def test_a_seasonal_customer_buying_less_in_the_months_it_did_last_year_is_not_deserting():
    now = datetime(2026, 9, 20, tzinfo=UTC)
    seasonal = status_at(monthly_orders((2024, 1), summer_dip(years=2)), now)
    assert seasonal.status == ChurnStatus.ACTIVE and seasonal.recent == Decimal("300.00")
    first_dip = status_at(monthly_orders((2024, 1), summer_dip(years=1)), now)
    assert first_dip.status == ChurnStatus.DESERTING
    assert first_dip.reasons[0].figures["same_months_last_year"] == Decimal("1000.00")


def test_a_new_customer_with_three_months_of_history_has_no_baseline_and_is_not_flagged():
    churn = status_at(monthly_orders((2026, 7), ["1000.00", "200.00", "10.00"]), datetime(2026, 10, 2, tzinfo=UTC))
    assert churn.status == ChurnStatus.ACTIVE and (churn.baseline, churn.recent) == (None, None)


def test_a_customer_without_orders_is_active():
    empty = CustomerValue(revenue_12m=0, revenue_lifetime=0, orders_12m=0, avg_order_value=0)
    assert assess(empty, DEFAULTS, datetime(2026, 1, 1, tzinfo=UTC), None).status == ChurnStatus.ACTIVE


@pytest.mark.parametrize(
    ("baseline", "recent", "settings", "status"),
    [
        ("50.00", "10.00", DEFAULTS, ChurnStatus.ACTIVE),  # a baseline under the minimum
        ("50.00", "10.00", AnalyticsSettings(churn_min_baseline=Decimal("50.00")), ChurnStatus.DESERTING),
        ("1000.00", "610.00", DEFAULTS, ChurnStatus.ACTIVE),  # down 39 %
        ("1000.00", "600.00", DEFAULTS, ChurnStatus.DESERTING),  # down 40 %
        ("1000.00", "610.00", AnalyticsSettings(churn_drop_percent=30), ChurnStatus.DESERTING),
    ],
)
def test_the_tenant_sets_the_drop_and_the_least_baseline(
    baseline: str, recent: str, settings: AnalyticsSettings, status: ChurnStatus
):
    orders = monthly_orders((2025, 1), [baseline] * 12 + [recent] * 4)
    assert status_at(orders, datetime(2026, 4, 20, tzinfo=UTC), settings).status == status


def test_a_customer_later_than_twice_its_median_gap_is_at_risk_and_silent_for_the_tenant_s_days_is_lost():
    orders = monthly_orders((2025, 6), ["100.00"] * 6)  # the last on 15 November 2025, about 30 days apart
    assert status_at(orders, datetime(2026, 1, 10, tzinfo=UTC)).status == ChurnStatus.ACTIVE  # 56 days
    late = status_at(orders, datetime(2026, 1, 20, tzinfo=UTC))
    assert late.status == ChurnStatus.AT_RISK
    assert late.reasons[0].code == "late" and late.reasons[0].figures["days_since_last_order"] == Decimal("66.0")
    lost = status_at(orders, datetime(2026, 5, 15, tzinfo=UTC))
    assert lost.status == ChurnStatus.LOST and [reason.code for reason in lost.reasons] == ["silent", "late"]
    assert status_at(orders, datetime(2026, 1, 20, tzinfo=UTC), AnalyticsSettings(lost_after_days=60)).status == (
        ChurnStatus.LOST
    )


def test_two_orders_tell_no_rhythm():
    orders = monthly_orders((2025, 6), ["100.00"] * 2)
    assert status_at(orders, datetime(2025, 11, 1, tzinfo=UTC)).status == ChurnStatus.ACTIVE


def test_since_is_kept_while_the_status_holds_and_moves_when_it_changes():
    first = datetime(2026, 4, 20, tzinfo=UTC)
    before = status_at(SEEDS, first)
    later = first + timedelta(days=5)
    assert assess(value_at(SEEDS, later), DEFAULTS, later, before).since == first
    recovered = SEEDS + monthly_orders((2026, 5), ["5000.00"])
    after = datetime(2026, 6, 3, tzinfo=UTC)
    changed = assess(
        value_at(sorted(recovered, key=lambda o: o["ordered_at"], reverse=True), after), DEFAULTS, after, before
    )
    assert changed.status == ChurnStatus.ACTIVE and changed.since == after
