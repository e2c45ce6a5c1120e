from decimal import Decimal

from rapport.orders.ranking import Place, Revenue, Tier, rank


def revenue(customer_id: str, last_12m: str, lifetime: str = "0") -> Revenue:
    return Revenue(customer_id, Decimal(last_12m), Decimal(lifetime))


def test_ranks_follow_the_12_months_then_lifetime_revenue_then_the_id():
    places = rank([revenue("b", "10"), revenue("a", "10"), revenue("c", "10", "99"), revenue("d", "50")])
    assert {customer: place.rank for customer, place in places.items()} == {"d": 1, "c": 2, "a": 3, "b": 4}


def test_tiers_split_by_the_share_of_revenue_the_customers_ranked_before_hold():
    # 100 in all: 60 (0 before: A), 19 (60: A), 10 (79: A), 5 (89: B), 4 (94: B), 2 (98: C), 0 (C)
    amounts = {"a": "60", "b": "19", "c": "10", "d": "5", "e": "4", "f": "2", "g": "0"}
    places = rank(revenue(customer, amount) for customer, amount in amounts.items())
    assert {customer: place.tier for customer, place in places.items()} == {
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
