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
"""

from __future__ import annotations

from bisect import bisect_left, bisect_right
from collections.abc import Callable, Iterable, Sequence
from decimal import Decimal
from enum import StrEnum
from typing import NamedTuple

from pydantic import Field

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
    customer_id: str
    days_since_last_order: int | None
    buying_months: int
    revenue: Decimal


def score(customers: Iterable[Behaviour]) -> dict[str, Rfm]:
    """Each customer's RFM among `customers`."""
    behaviours = list(customers)
    # Each figure as a number where more is better: never having bought is the longest silence.
    recency = _scores(behaviours, lambda b: -b.days_since_last_order if b.days_since_last_order is not None else None)
    frequency = _scores(behaviours, lambda b: b.buying_months)
    monetary = _scores(behaviours, lambda b: b.revenue)
    return {
        b.customer_id: _rfm(recency[b.customer_id], frequency[b.customer_id], monetary[b.customer_id])
        for b in behaviours
    }


def segment_of(r: int, f: int) -> Segment:
    return _GRID[r][f - 1]


def _rfm(r: int, f: int, m: int) -> Rfm:
    return Rfm(r=r, f=f, m=m, cell=f"{r}{f}{m}", segment=segment_of(r, f))


def _scores(behaviours: Sequence[Behaviour], figure: Callable[[Behaviour], Decimal | int | None]) -> dict[str, int]:
    """Each customer's score of `figure` (more is better, None worst) by mid-rank, in fifths."""
    known = sorted(value for b in behaviours if (value := figure(b)) is not None)
    unknown = len(behaviours) - len(known)
    total = len(behaviours)
    scores: dict[str, int] = {}
    for behaviour in behaviours:
        value = figure(behaviour)
        if value is None:
            worse, equal = 0, unknown
        else:
            worse = unknown + _count_below(known, value)
            equal = _count_below(known, value, inclusive=True) - _count_below(known, value)
        scores[behaviour.customer_id] = min(SCORES, 1 + int(SCORES * (worse + equal / 2) / total))
    return scores


def _count_below(ordered: Sequence[Decimal | int], value: Decimal | int, *, inclusive: bool = False) -> int:
    return (bisect_right if inclusive else bisect_left)(ordered, value)
