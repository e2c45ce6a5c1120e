"""Ranking a tenant's customers (its contacts, or its accounts) by value, and their ABC tiers.

Rank 1 is the customer with the most revenue over the last 12 months (ties: the most revenue ever, then the
id). Tiers split the ranked customers by cumulative share of the 12 months' revenue: A while the customers
ranked before hold less than 80 % of it, B while they hold less than 95 %, C after, and C for a customer with no
revenue in the 12 months.

The daily ranking walks a level's customers twice in id order (rapport.orders.reports). A `Ladder` takes each
customer's two revenues on the first walk and holds them as one number (both in cents, packed), not the customer:
its memory is a few dozen bytes a customer. Its `Placing` then places each customer of the second walk from its
figures alone: those ranked above it are the larger numbers, and customers with equal figures take their places
in the walk's (id) order, so only a count per repeated figure is kept. Tiers are contiguous in rank order, so two
ranks bound them.
"""

from __future__ import annotations

from bisect import bisect_left, bisect_right
from collections import Counter
from decimal import Decimal
from enum import StrEnum
from typing import NamedTuple

from rapport.deals.money import in_cents

A_SHARE = Decimal("0.80")
B_SHARE = Decimal("0.95")
_LIFETIME_BITS = 64
_LIFETIME_BIAS = 1 << (_LIFETIME_BITS - 1)  # so a (never expected) negative lifetime revenue still packs in order


class Tier(StrEnum):
    A = "A"
    B = "B"
    C = "C"


class Place(NamedTuple):
    rank: int
    tier: Tier


def _packed(revenue_12m: Decimal, revenue_lifetime: Decimal) -> int:
    """Both revenues as one number that orders as (12 months, lifetime) do."""
    return (in_cents(revenue_12m) << _LIFETIME_BITS) + in_cents(revenue_lifetime) + _LIFETIME_BIAS


def _revenue_12m_cents(packed: int) -> int:
    return packed >> _LIFETIME_BITS


class Ladder:
    """The first walk: each customer's 12 months' and lifetime revenue, one packed number each."""

    def __init__(self) -> None:
        self._figures: list[int] = []

    def add(self, revenue_12m: Decimal, revenue_lifetime: Decimal) -> None:
        self._figures.append(_packed(revenue_12m, revenue_lifetime))

    def __len__(self) -> int:
        return len(self._figures)

    def placing(self) -> Placing:
        self._figures.sort()
        return Placing(self._figures)


class Placing:
    """The second walk: each customer's place among the ladder's, asked in id order."""

    def __init__(self, ascending: list[int]) -> None:
        self._ascending = ascending
        self._last_a, self._last_b = _tier_bounds(ascending)
        self._equal_seen: Counter[int] = Counter()

    def place(self, revenue_12m: Decimal, revenue_lifetime: Decimal) -> Place | None:
        """Its place; None when no customer of the first walk had these figures (its value came or changed after
        it), or when several had them and all are placed already. Figures only one customer had are not counted
        (that would be an entry a customer): a later customer with the same figures would share its place."""
        figure = _packed(revenue_12m, revenue_lifetime)
        below, up_to = bisect_left(self._ascending, figure), bisect_right(self._ascending, figure)
        equal = up_to - below
        if equal == 0:
            return None
        seen = 0
        if equal > 1:
            seen = self._equal_seen[figure]
            if seen == equal:
                return None
            self._equal_seen[figure] = seen + 1
        rank = len(self._ascending) - up_to + seen + 1
        return Place(rank, self._tier(rank, revenue_12m))

    def _tier(self, rank: int, revenue_12m: Decimal) -> Tier:
        if revenue_12m <= 0:
            return Tier.C
        if rank <= self._last_a:
            return Tier.A
        return Tier.B if rank <= self._last_b else Tier.C


def _tier_bounds(ascending: list[int]) -> tuple[int, int]:
    """The last rank of tier A and of tier B: the last whose customers ranked before hold less than each share."""
    total = sum(_revenue_12m_cents(figure) for figure in ascending)
    last_a = last_b = 0
    before = 0
    for rank, figure in enumerate(reversed(ascending), start=1):
        if before >= total * B_SHARE:
            break
        last_b = rank
        if before < total * A_SHARE:
            last_a = rank
        before += _revenue_12m_cents(figure)
    return last_a, last_b
