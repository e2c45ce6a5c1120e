from typing import Any

import pytest

from rapport.orders.recommendations.service import (
    LISTED,
    MAX_PAIRED,
    Bought,
    Candidate,
    Move,
    bought_from,
    moves,
    ranked,
    top_of,
)


def order(status: str, at: str, *skus: str) -> dict[str, Any]:
    return {"status": status, "ordered_at": f"2026-01-{at}T10:00:00Z", "lines": [{"sku": sku} for sku in skus]}


def test_only_paid_and_fulfilled_orders_buy_and_each_sku_counts_once():
    orders = [
        order("placed", "09", "PLACED"),
        order("cancelled", "08", "CANCELLED"),
        order("returned", "07", "RETURNED"),
        order("fulfilled", "06", "B", "A"),
        order("paid", "05", "A", "C", "A"),
    ]
    assert bought_from(orders) == Bought(("A", "B", "C"), ("A", "B", "C"))
    assert bought_from([]) == Bought((), ())


def test_the_paired_skus_are_the_first_bought_then_by_sku():
    late = [f"Z{number:02d}" for number in range(MAX_PAIRED)]
    orders = [order("paid", "20", *late), order("paid", "02", "M"), order("paid", "01", "N")]
    found = bought_from(orders)
    assert len(found.skus) == MAX_PAIRED + 2
    assert found.paired == tuple(sorted(["M", "N", *late[: MAX_PAIRED - 2]]))  # same day: by SKU


def test_moves_take_skus_out_first_then_in_each_with_what_stays_paired():
    assert moves(["A", "B", "C"], ["B", "D", "E"]) == [
        Move("A", ("B", "C"), -1, ("B", "C")),
        Move("C", ("B",), -1, ("B",)),
        Move("D", ("B",), 1, ("B", "D")),
        Move("E", ("B", "D"), 1, ("B", "D", "E")),
    ]
    assert moves(["A"], ["A"]) == []
    assert moves([], ["A"]) == [Move("A", (), 1, ("A",))]
    assert moves(["A", "B"], []) == [Move("A", ("B",), -1, ("B",)), Move("B", (), -1, ())]


def test_a_list_keeps_the_most_supported_pairs_ties_by_sku_none_without_support():
    pairs = [("C", 1), ("A", 3), ("B", 3), ("D", 0), ("E", -1)]
    assert top_of(pairs) == [("A", 3), ("B", 3), ("C", 1)]
    assert len(top_of((f"S{number:03d}", 1) for number in range(LISTED + 5))) == LISTED


def test_candidates_merge_by_the_most_support_leave_out_owned_and_rank_ties_by_sku():
    lists = {"A": [("B", 2), ("X", 5), ("Y", 1)], "B": [("A", 2), ("Y", 3), ("Z", 3)], "C": []}
    assert ranked(lists, owned={"A", "B", "C"}) == [
        Candidate("X", 5, ("A",)),
        Candidate("Y", 3, ("B", "A")),  # the owned product with the most support first
        Candidate("Z", 3, ("B",)),
    ]
    assert ranked({}, owned={"A"}) == []


@pytest.mark.parametrize("owned", [set(), {"X"}])
def test_owned_products_are_never_candidates(owned):
    found = ranked({"A": [("X", 4), ("W", 1)]}, owned=owned | {"A"})
    assert [candidate.sku for candidate in found] == [sku for sku in ("X", "W") if sku not in owned]
