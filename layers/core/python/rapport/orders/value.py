"""A customer's value, from its orders: what it bought (paid and fulfilled orders; a cancelled or returned order
counts as none), over the last 12 months and for good, month by month over the last MONTHS_KEPT calendar months
(so churn detection, rapport.orders.churn, reads no order), how regularly it buys, and its latest orders.

`tally` is pure: it folds the customer's orders, newest first as its store streams them, in constant memory,
against the clock it is given. Amounts are the orders' tenant totals (converted at the rate of their day).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import datetime
from decimal import Decimal
from statistics import median
from typing import Any

from pydantic import Field

from rapport.accounts.manifest import ACCOUNT
from rapport.contacts.manifest import CONTACT
from rapport.dal.repository import Parent
from rapport.deals.money import Money, cents
from rapport.events.models import DomainEvent
from rapport.orders.models import REVENUE_STATUSES
from rapport.types import Instant, LazyModel

# The events after which the value of the order's customers is computed again (infra/constructs/customer_value.py),
# and a customer's erase (ERASED), after which its value and standing are deleted and what a contact bought is taken
# out of the recommendations.
CONTACT_ERASED, ACCOUNT_ERASED = "contact.erased", "account.erased"
ERASED = {CONTACT_ERASED: CONTACT, ACCOUNT_ERASED: ACCOUNT}
REFRESHED_BY = ("order.created", "order.updated", "order.deleted", "order.restored", "order.erased", *ERASED)

LATEST = 5
MONTHS_KEPT = 24  # the month in progress and the 23 before: churn compares 3 complete months with the 12 before
GAPS_KEPT = 50  # the median gap between orders is their latest buying rhythm
MIN_GAPS = 2  # fewer gaps tell no rhythm
SECONDS_PER_DAY = 86400


def month_of(when: datetime) -> str:
    """The calendar month (UTC) `when` falls in, as YYYY-MM."""
    return f"{when.year:04d}-{when.month:02d}"


def months_back(now: datetime, count: int) -> list[str]:
    """The `count` calendar months up to `now`'s (included), oldest first."""
    index = now.year * 12 + now.month - 1 - count
    return [f"{(index + step) // 12:04d}-{(index + step) % 12 + 1:02d}" for step in range(1, count + 1)]


class CustomerValue(LazyModel):
    revenue_12m: Money = Field(description="Paid and fulfilled orders of the last 12 months, tenant currency")
    revenue_lifetime: Money = Field(description="Paid and fulfilled orders ever, tenant currency")
    orders_12m: int = Field(description="Paid and fulfilled orders of the last 12 months")
    avg_order_value: Money = Field(description="revenue_lifetime per paid or fulfilled order (0 without any)")
    last_order_at: Instant | None = Field(default=None, description="When the latest paid or fulfilled order was made")
    currency: str | None = Field(default=None, description="The tenant currency the figures are in")
    first_order_at: Instant | None = Field(default=None, description="When the first paid or fulfilled order was made")
    median_gap_days: Decimal | None = Field(
        default=None,
        description=f"Median days between its latest {GAPS_KEPT + 1} paid or fulfilled orders (from {MIN_GAPS + 1})",
    )
    monthly_revenue: dict[str, Money] = Field(
        default_factory=dict,
        description=f"Paid and fulfilled orders by calendar month (YYYY-MM, UTC) over the last {MONTHS_KEPT} months, "
        "months without any left out",
    )


class OrderBrief(LazyModel):
    id: str
    number: str
    ordered_at: Instant
    status: str
    total: Money
    currency: str


class CustomerOrders(LazyModel):
    value: CustomerValue
    latest: list[OrderBrief] = Field(default_factory=list, description=f"The {LATEST} newest orders, any status")
    refreshed_at: Instant | None = Field(default=None, description="When the figures were last computed")


def a_year_before(now: datetime) -> datetime:
    """The same day and time a year earlier (28 February for 29 February)."""
    return now.replace(year=now.year - 1, day=28) if (now.month, now.day) == (2, 29) else now.replace(year=now.year - 1)


def tally(orders: Iterable[Mapping[str, Any]], now: datetime) -> CustomerOrders:
    """The value of a customer whose orders (each an order's fields and its `id`) are `orders`, newest first."""
    since = a_year_before(now)
    kept_months = set(months_back(now, MONTHS_KEPT))
    latest: list[OrderBrief] = []
    lifetime, recent = Decimal(0), Decimal(0)
    bought = bought_recently = 0
    currency: str | None = None
    last_order_at: datetime | None = None
    first_order_at: datetime | None = None
    monthly: dict[str, Decimal] = {}
    gaps: list[Decimal] = []
    for order in orders:
        if len(latest) < LATEST:
            latest.append(OrderBrief.model_validate(order))
        if order["status"] not in REVENUE_STATUSES:
            continue
        amount, in_currency = Decimal(order["tenant_total"]["amount"]), order["tenant_total"]["currency"]
        currency = currency or in_currency
        if in_currency != currency:  # written before the tenant currency changed: not restated
            continue
        ordered_at = datetime.fromisoformat(order["ordered_at"])
        last_order_at = last_order_at or ordered_at
        if first_order_at is not None and len(gaps) < GAPS_KEPT:  # the order after this one, streamed before it
            gaps.append(Decimal((first_order_at - ordered_at).total_seconds()) / SECONDS_PER_DAY)
        first_order_at = ordered_at
        if (month := month_of(ordered_at)) in kept_months:
            monthly[month] = monthly.get(month, Decimal(0)) + amount
        lifetime += amount
        bought += 1
        if ordered_at > since:
            recent += amount
            bought_recently += 1
    value = CustomerValue(
        revenue_12m=cents(recent),
        revenue_lifetime=cents(lifetime),
        orders_12m=bought_recently,
        avg_order_value=cents(lifetime / bought) if bought else Decimal("0.00"),
        last_order_at=last_order_at,
        currency=currency,
        first_order_at=first_order_at,
        median_gap_days=round(median(gaps), 1) if len(gaps) >= MIN_GAPS else None,
        monthly_revenue={month: cents(amount) for month, amount in sorted(monthly.items())},
    )
    return CustomerOrders(value=value, latest=latest, refreshed_at=now)


def no_orders() -> CustomerOrders:
    """The figures of a customer that has no order yet."""
    zero = Decimal("0.00")
    nothing = CustomerValue(revenue_12m=zero, revenue_lifetime=zero, orders_12m=0, avg_order_value=zero)
    return CustomerOrders(value=nothing, latest=[])


def customers_of(event: DomainEvent) -> list[Parent]:
    """The customers an order event concerns: those the order is of, and those a change took it from."""
    concerned: list[Parent] = []
    for field, kind in (("contact_id", CONTACT), ("account_id", ACCOUNT)):
        change = event.changes.get(field)
        named = {event.record.get(field), *((change.before, change.after) if change else ())}
        concerned += [Parent(kind, customer_id) for customer_id in sorted(filter(None, named))]
    return concerned
