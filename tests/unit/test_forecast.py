from decimal import Decimal
from typing import Any

import pytest

from rapport.auth import Caller, caller_from_claims
from rapport.deals.forecast import Counts, scoped_owner, tally
from rapport.errors import Forbidden


def deal(status: str, amount: str, probability: int, owner: str = "ann", currency: str = "EUR") -> dict[str, Any]:
    return {"status": status, "amount": amount, "probability": probability, "owner_id": owner, "currency": currency}


def test_weighted_commit_best_case_and_closed_won():
    result = tally(
        [
            deal("open", "1000.00", 10),
            deal("open", "2000.00", 70),  # commit starts at 70 %
            deal("open", "3000.00", 69),
            deal("won", "500.00", 100),
            deal("lost", "9999.00", 0),  # lost deals count nowhere
        ],
        "EUR",
        {},
    )
    figures = result.totals.figures()
    assert figures == {
        "weighted": Decimal("100") + Decimal("1400") + Decimal("2070"),
        "commit": Decimal("2000.00"),
        "best_case": Decimal("6000.00"),
        "closed_won": Decimal("500.00"),
        "open_deals": 3,
        "won_deals": 1,
    }


def test_figures_per_owner_add_up_to_the_totals():
    result = tally(
        [deal("open", "10.00", 50, "ann"), deal("open", "30.00", 50, "bob"), deal("won", "5.00", 100)], "EUR", {}
    )
    assert result.owners["ann"].figures()["weighted"] == Decimal("5.00")
    assert result.owners["ann"].figures()["closed_won"] == Decimal("5.00")
    assert result.owners["bob"].figures()["best_case"] == Decimal("30.00")
    assert result.totals.best_case == result.owners["ann"].best_case + result.owners["bob"].best_case


def test_other_currencies_convert_at_the_rate_and_unknown_ones_are_left_out():
    result = tally(
        [deal("open", "100.00", 50, currency="USD"), deal("open", "100.00", 50, currency="GBP")], "EUR", {"USD": "0.9"}
    )
    assert result.totals.figures()["best_case"] == Decimal("90.00")
    assert result.totals.figures()["weighted"] == Decimal("45.00")
    assert result.unconverted == {"GBP": 1}


def test_sums_are_exact_and_rounded_once():
    # 3 x (0.01 x 50 %) = 0.015: rounding each deal first would give 0.00 + 0.00 + 0.00
    result = tally([deal("open", "0.01", 50)] * 3, "EUR", {})
    assert result.totals.figures()["weighted"] == Decimal("0.02")


def test_win_rate_and_average_days_to_close():
    counts = Counts(deals_won=2, deals_lost=1, revenue_won=Decimal("10.005"), won_days=9, activities=4)
    assert counts.performance() == {
        "deals_won": 2,
        "deals_lost": 1,
        "revenue_won": Decimal("10.00"),
        "win_rate": 66.7,
        "average_days_to_close": 4.5,
        "activities": 4,
    }
    assert Counts(activities=3).performance()["win_rate"] is None
    assert Counts(deals_lost=1).performance()["average_days_to_close"] is None


def claims(groups: str) -> Caller:
    return caller_from_claims({"sub": "ann", "custom:tenant_id": "t", "cognito:groups": groups})


def test_managers_see_any_owner_sales_only_their_own_and_others_nothing():
    assert scoped_owner(claims("manager"), "forecast", None) is None
    assert scoped_owner(claims("admin"), "reports", "bob") == "bob"
    assert scoped_owner(claims("sales"), "forecast", None) == "ann"
    assert scoped_owner(claims("sales"), "forecast", "ann") == "ann"
    with pytest.raises(Forbidden):
        scoped_owner(claims("sales"), "forecast", "bob")
    with pytest.raises(Forbidden):
        scoped_owner(claims("support"), "reports", None)
