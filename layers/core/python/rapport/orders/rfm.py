"""RFM: each customer's recency, frequency and monetary scores among the tenant's customers of its level, the cell
they make, and the segment its recency and frequency name.

- Recency: days from its latest paid or fulfilled order to the ranking (fewer is better; never bought is worst).
- Frequency: the calendar months, of the 12 to the ranking's, in which it bought (a month is one visit however
  many orders it holds: a back office that splits an order in three does not triple it).
- Monetary: what it bought in those 12 months (the figure it is ranked on, rapport.orders.ranking).

Each score is 1 to 5 (5 best) by the customer's mid-rank among all of them: the share of customers worse than it,
plus half of those equal, in fifths. Equal figures score alike, and a customer alone scores 3 on each.
The cell is the three scores, `"545"`. The segment is the usual grid of recency and frequency: champions buy
often and lately, "can't lose them" bought often but not lately, hibernating neither.

The daily ranking walks a level's customers twice (rapport.orders.reports): an `RfmScale` holds the three figures
of each customer of the first walk as 8-byte numbers (not the customer), and its `RfmScores` scores each customer
of the second from its own figures.
"""

from __future__ import annotations

from array import array
from bisect import bisect_left, bisect_right
from decimal import Decimal
from enum import StrEnum
from typing import NamedTuple

from pydantic import Field

from rapport.deals.money import in_cents
from rapport.types import LazyModel

SCORES = 5


class Segment(StrEnum):
    CHAMPIONS = "champions"
    LOYAL = "loyal_customers"
    POTENTIAL_LOYALISTS = "potential_loyalists"
    NEW = "new_customers"
    PROMISING = "promising"
    NEED_ATTENTION = "need_attention"
    ABOUT_TO_SLEEP = "about_to_sleep"
    AT_RISK = "at_risk"
    CANNOT_LOSE = "cannot_lose_them"
    HIBERNATING = "hibernating"


# Recency score → the segment of each frequency score, 1 to 5.
_GRID: dict[int, tuple[Segment, ...]] = {
    1: (Segment.HIBERNATING,) * 2 + (Segment.AT_RISK,) * 2 + (Segment.CANNOT_LOSE,),
    2: (Segment.HIBERNATING,) * 2 + (Segment.AT_RISK,) * 2 + (Segment.CANNOT_LOSE,),
    3: (Segment.ABOUT_TO_SLEEP,) * 2 + (Segment.NEED_ATTENTION,) + (Segment.LOYAL,) * 2,
    4: (Segment.PROMISING,) + (Segment.POTENTIAL_LOYALISTS,) * 2 + (Segment.LOYAL,) * 2,
    5: (Segment.NEW,) + (Segment.POTENTIAL_LOYALISTS,) * 2 + (Segment.CHAMPIONS,) * 2,
}


class Rfm(LazyModel):
    r: int = Field(ge=1, le=SCORES, description="Recency score, 5: bought the most lately")
    f: int = Field(ge=1, le=SCORES, description="Frequency score, 5: bought in the most of the last 12 months")
    m: int = Field(ge=1, le=SCORES, description="Monetary score, 5: bought the most over the last 12 months")
    cell: str = Field(description="The three scores, like 545")
    segment: Segment = Field(description="What its recency and frequency make it")


class Behaviour(NamedTuple):
    days_since_last_order: int | None
    buying_months: int
    revenue: Decimal


class RfmScale:
    """The first walk: each customer's three figures as numbers where more is better, 8 bytes each."""

    def __init__(self) -> None:
        self._recency, self._frequency, self._monetary = array("q"), array("q"), array("q")
        self._never_bought = 0

    def add(self, behaviour: Behaviour) -> None:
        days = behaviour.days_since_last_order
        if days is None:  # never having bought is the longest silence: worse than any figure
            self._never_bought += 1
        else:
            self._recency.append(-days)
        self._frequency.append(behaviour.buying_months)
        self._monetary.append(in_cents(behaviour.revenue))

    def scores(self) -> RfmScores:
        return RfmScores(
            _Distribution(self._recency, self._never_bought),
            _Distribution(self._frequency, 0),
            _Distribution(self._monetary, 0),
        )


class RfmScores:
    """The second walk: each customer's RFM among those of the first."""

    def __init__(self, recency: _Distribution, frequency: _Distribution, monetary: _Distribution) -> None:
        self._recency, self._frequency, self._monetary = recency, frequency, monetary

    def rfm(self, behaviour: Behaviour) -> Rfm:
        days = behaviour.days_since_last_order
        return _rfm(
            self._recency.score(None if days is None else -days),
            self._frequency.score(behaviour.buying_months),
            self._monetary.score(in_cents(behaviour.revenue)),
        )


class _Distribution:
    """A figure's values among the customers, ascending, and how many customers have none (the worst)."""

    def __init__(self, values: array[int], unknown: int) -> None:
        self._ascending = array("q", sorted(values))
        self._unknown = unknown
        self._total = len(values) + unknown

    def score(self, value: int | None) -> int:
        """The score of `value` by mid-rank (the share worse, plus half of the equal ones), in fifths."""
        if value is None:
            worse, equal = 0, self._unknown
        else:
            below = bisect_left(self._ascending, value)
            worse, equal = self._unknown + below, bisect_right(self._ascending, value) - below
        return min(SCORES, 1 + int(SCORES * (worse + equal / 2) / self._total))


def segment_of(r: int, f: int) -> Segment:
    return _GRID[r][f - 1]


def _rfm(r: int, f: int, m: int) -> Rfm:
    return Rfm(r=r, f=f, m=m, cell=f"{r}{f}{m}", segment=segment_of(r, f))
