"""A customer's standing among the tenant's customers of its level (contacts, or accounts): its rank and tier by
value (rapport.orders.ranking), its RFM (rapport.orders.rfm) and its churn (rapport.orders.churn), with the value
figures they were found on.

The daily ranking keeps it in the customer's partition (rapport.orders.store, `B#STANDING`), written only when it
changed; a change of churn status is `customer.churn_changed` (rapport.orders.manifest).
"""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from enum import StrEnum

from pydantic import Field

from rapport.deals.money import Money
from rapport.orders.churn import AnalyticsSettings, Churn, ChurnStatus, assess
from rapport.orders.episode import RetentionEpisode
from rapport.orders.potential import MIN_PEERS, Potential, PotentialSource
from rapport.orders.ranking import Place, Tier
from rapport.orders.rfm import Behaviour, Rfm
from rapport.orders.value import CustomerOrders, CustomerValue, months_back
from rapport.types import Instant, LazyModel

RANKED_BY = "rapport:ranking"  # the actor of a standing's changes
RANKED_MONTHS = 12


class Level(StrEnum):
    ACCOUNT = "account"
    CONTACT = "contact"


# The order of `sort=churn_risk`: the customers to act on first (deserting ones can still be won back).
CHURN_RISK = (ChurnStatus.DESERTING, ChurnStatus.AT_RISK, ChurnStatus.LOST, ChurnStatus.ACTIVE)


class CustomerStanding(LazyModel):
    rank: int = Field(description="1 for the customer with the most revenue over 12 months among its level's")
    tier: Tier = Field(description="A, B or C by the cumulative share of the 12 months' revenue (80 %, 95 %)")
    ranked_among: int = Field(description="How many customers of its level were ranked")
    churn: Churn
    rfm: Rfm | None = Field(default=None, description="Recency, frequency and monetary scores among its level's")
    ranked_revenue: Money = Field(
        description=f"Paid and fulfilled orders of the {RANKED_MONTHS} calendar months to the ranking (its month "
        "included), tenant currency: the figure ranked on"
    )
    revenue_lifetime: Money
    potential: Money | None = Field(
        default=None,
        description="What it could buy over 12 months, tenant currency: the potential staff set on it, else the 75th "
        "percentile of the 12 months' revenue among its level's customers of the same industry and head count band "
        f"(a contact: its account's), when at least {MIN_PEERS} are ranked; null without either",
    )
    potential_source: PotentialSource | None = Field(
        default=None, description="staff: set on the account or contact; peers: its peer group's"
    )
    potential_gap: Money | None = Field(
        default=None, description="potential less ranked_revenue, never below 0: the up-sell room"
    )
    peer_count: int | None = Field(
        default=None,
        description="How many customers of its level are ranked in its peer group, itself included (0 without a "
        f"peer group; from {MIN_PEERS} they make a potential)",
    )
    last_order_at: Instant | None = None
    currency: str | None = None
    updated_at: Instant = Field(description="When the standing last changed")
    updated_by: str = RANKED_BY


class CustomerValueAndStanding(CustomerOrders):
    standing: CustomerStanding | None = Field(
        default=None, description="Its rank, tier and churn from the daily ranking; null until it is ranked"
    )
    retention: RetentionEpisode | None = Field(
        default=None, description="Its latest retention episode (deserting, then recovered or escalated); null if none"
    )


class RankedCustomer(CustomerStanding):
    id: str = Field(description="The contact's or account's id")
    level: Level


def ranked_revenue(value: CustomerValue, now: datetime) -> Decimal:
    """What the customer bought in the RANKED_MONTHS calendar months up to `now`'s: its value figures were computed
    at its last order, so the ranking moves the window itself."""
    return sum((value.monthly_revenue.get(month, Decimal(0)) for month in months_back(now, RANKED_MONTHS)), Decimal(0))


def behaviour(value: CustomerValue, now: datetime) -> Behaviour:
    """What the customer's RFM is scored on, at `now` (rapport.orders.rfm)."""
    months = months_back(now, RANKED_MONTHS)
    last = value.last_order_at
    return Behaviour(
        days_since_last_order=max((now - last).days, 0) if last else None,
        buying_months=sum(1 for month in months if value.monthly_revenue.get(month, Decimal(0)) > 0),
        revenue=ranked_revenue(value, now),
    )


def standing_of(
    value: CustomerValue,
    place: Place,
    rfm: Rfm,
    ranked_among: int,
    potential: Potential,
    settings: AnalyticsSettings,
    now: datetime,
    previous: CustomerStanding | None,
) -> CustomerStanding:
    """The standing of a customer of these figures at `now`, `previous` the one it had."""
    return CustomerStanding(
        rank=place.rank,
        tier=place.tier,
        ranked_among=ranked_among,
        churn=assess(value, settings, now, previous.churn if previous else None),
        rfm=rfm,
        ranked_revenue=ranked_revenue(value, now),
        revenue_lifetime=value.revenue_lifetime,
        potential=potential.amount,
        potential_source=potential.source,
        potential_gap=potential.gap,
        peer_count=potential.peer_count,
        last_order_at=value.last_order_at,
        currency=value.currency,
        updated_at=now,
    )


def changed(previous: CustomerStanding | None, current: CustomerStanding) -> bool:
    """Whether `current` says anything `previous` did not (when aside), or `previous` was put before the potential
    was (it has no copy by potential gap yet, rapport.orders.store)."""
    if previous is None or "peer_count" not in previous.model_fields_set:
        return True
    return previous.model_dump(exclude={"updated_at"}) != current.model_dump(exclude={"updated_at"})
