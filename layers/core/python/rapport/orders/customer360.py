"""A contact's orders in its 360 view: its value figures and latest orders, the summary the customer value worker
keeps in its partition, its standing (rank, tier, churn), the one the daily ranking keeps, and its latest retention
episode, the one the retention workflow keeps (rapport.orders.store)."""

from __future__ import annotations

from pydantic import Field

from rapport.contexts import Seen, SummaryPart
from rapport.orders import store
from rapport.orders.episode import RetentionEpisode
from rapport.orders.standing import CustomerStanding
from rapport.orders.value import CustomerOrders


def _orders(seen: Seen) -> CustomerOrders | None:
    return next((CustomerOrders.model_validate(summary.data) for summary in seen.summaries), None)


ORDERS = SummaryPart(
    field="orders",
    annotation=CustomerOrders | None,
    info=Field(default=None, description="Its value and latest orders; null until it has an order"),
    prefix=store.VALUE_SK,
    kinds=(store.VALUE_KIND,),
    read=_orders,
)


def _standing(seen: Seen) -> CustomerStanding | None:
    return next((CustomerStanding.model_validate(summary.data) for summary in seen.summaries), None)


STANDING = SummaryPart(
    field="standing",
    annotation=CustomerStanding | None,
    info=Field(default=None, description="Its rank, tier and churn from the daily ranking; null until it is ranked"),
    prefix=store.STANDING_SK,
    kinds=(store.STANDING_KIND,),
    read=_standing,
)


def _retention(seen: Seen) -> RetentionEpisode | None:
    return next((RetentionEpisode.model_validate(summary.data) for summary in seen.summaries), None)


RETENTION = SummaryPart(
    field="retention",
    annotation=RetentionEpisode | None,
    info=Field(
        default=None, description="Its latest retention episode (deserting, then recovered or escalated); null if none"
    ),
    prefix=store.RETENTION_SK,
    kinds=(store.RETENTION_KIND,),
    read=_retention,
)
