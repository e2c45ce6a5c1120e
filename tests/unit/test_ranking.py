"""Ranks and tiers as the daily ranking finds them: a ladder of the first walk's figures, then a placing of each
customer of the second walk, in id order (pure)."""

from decimal import Decimal

from hypothesis import given
from hypothesis import strategies as st

from rapport.orders.ranking import Ladder, Place, Tier

Figures = tuple[str, Decimal, Decimal]  # id, 12 months' revenue, lifetime revenue


def revenue(customer_id: str, last_12m: str, lifetime: str = "0") -> Figures:
    return customer_id, Decimal(last_12m), Decimal(lifetime)


def rank(customers: list[Figures]) -> dict[str, Place | None]:
    """Each customer's place, its figures walked twice in id order as the daily ranking walks them."""
    walked = sorted(customers)
    ladder = Ladder()
    for _, last_12m, lifetime in walked:
        ladder.add(last_12m, lifetime)
    placing = ladder.placing()
    return {customer_id: placing.place(last_12m, lifetime) for customer_id, last_12m, lifetime in walked}


def test_ranks_follow_the_12_months_then_lifetime_revenue_then_the_id():
    places = rank([revenue("b", "10"), revenue("a", "10"), revenue("c", "10", "99"), revenue("d", "50")])
    assert {customer: place and place.rank for customer, place in places.items()} == {"d": 1, "c": 2, "a": 3, "b": 4}


def test_tiers_split_by_the_share_of_revenue_the_customers_ranked_before_hold():
    # 100 in all: 60 (0 before: A), 19 (60: A), 10 (79: A), 5 (89: B), 4 (94: B), 2 (98: C), 0 (C)
    amounts = {"a": "60", "b": "19", "c": "10", "d": "5", "e": "4", "f": "2", "g": "0"}
    places = rank([revenue(customer, amount) for customer, amount in amounts.items()])
    assert {customer: place and place.tier for customer, place in places.items()} == {
        "a": Tier.A,
        "b": Tier.A,
        "c": Tier.A,
        "d": Tier.B,
        "e": Tier.B,
        "f": Tier.C,
        "g": Tier.C,
    }


def test_a_tenant_without_revenue_has_every_customer_in_tier_c_and_none_is_no_ranking():
    assert rank([revenue("a", "0", "5")]) == {"a": Place(1, Tier.C)}
    assert rank([]) == {}
    assert len(Ladder()) == 0


def test_a_customer_the_first_walk_did_not_see_is_not_placed():
    ladder = Ladder()
    ladder.add(Decimal("10"), Decimal("10"))
    ladder.add(Decimal("10"), Decimal("10"))
    placing = ladder.placing()
    assert placing.place(Decimal("99"), Decimal("99")) is None  # its value came after the first walk
    assert [placing.place(Decimal("10"), Decimal("10")) for _ in range(3)] == [
        Place(1, Tier.A),
        Place(2, Tier.A),
        None,  # a third with the same figures came after the first walk
    ]


def ranked_naively(customers: list[Figures]) -> dict[str, Place]:
    """The definition, holding every customer: sorted, then tiered by the revenue ranked before."""
    ordered = sorted(customers, key=lambda c: (-c[1], -c[2], c[0]))
    total = sum((last_12m for _, last_12m, _ in ordered), Decimal(0))
    places, before = {}, Decimal(0)
    for position, (customer_id, last_12m, _) in enumerate(ordered, start=1):
        if last_12m <= 0:
            tier = Tier.C
        elif before < total * Decimal("0.80"):
            tier = Tier.A
        else:
            tier = Tier.B if before < total * Decimal("0.95") else Tier.C
        places[customer_id] = Place(position, tier)
        before += last_12m
    return places


# Often equal, so that ties on both revenues are common.
money = st.sampled_from([Decimal(0), Decimal(10)]) | st.decimals(0, 10**7, places=2)
customers = st.lists(
    st.tuples(st.uuids().map(str), money, money),
    max_size=80,
    unique_by=lambda customer: customer[0],
)


@given(customers)
def test_the_ladder_places_every_customer_as_the_definition_does(customers: list[Figures]):
    assert rank(customers) == ranked_naively(customers)
