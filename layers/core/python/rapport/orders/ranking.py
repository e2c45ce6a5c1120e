"""Ranking a tenant's customers (its contacts, or its accounts) by value, and their ABC tiers.

Rank 1 is the customer with the most revenue over the last 12 months (ties: the most revenue ever, then the
id). Tiers split the ranked customers by cumulative share of the 12 months' revenue: A while the customers
ranked before hold less than 80 % of it, B while they hold less than 95 %, C after, and C for a customer with no
revenue in the 12 months.
"""

from __future__ import annotations

from collections.abc import Iterable
from decimal import Decimal
from enum import StrEnum
from typing import NamedTuple

A_SHARE = Decimal("0.80")
B_SHARE = Decimal("0.95")


class Tier(StrEnum):
    A = "A"
    B = "B"
    C = "C"


class Revenue(NamedTuple):
    customer_id: str
    revenue_12m: Decimal
    revenue_lifetime: Decimal


class Place(NamedTuple):
    rank: int
    tier: Tier


def rank(customers: Iterable[Revenue]) -> dict[str, Place]:
    """Each customer's rank and tier among `customers`."""
    ranked = sorted(customers, key=lambda c: (-c.revenue_12m, -c.revenue_lifetime, c.customer_id))
    total = sum((customer.revenue_12m for customer in ranked), Decimal(0))
    places: dict[str, Place] = {}
    before = Decimal(0)
    for position, customer in enumerate(ranked, start=1):
        places[customer.customer_id] = Place(position, _tier(before, total, customer.revenue_12m))
        before += customer.revenue_12m
    return places


def _tier(before: Decimal, total: Decimal, revenue: Decimal) -> Tier:
    if revenue <= 0:
        return Tier.C
    if before < total * A_SHARE:
        return Tier.A
    return Tier.B if before < total * B_SHARE else Tier.C
