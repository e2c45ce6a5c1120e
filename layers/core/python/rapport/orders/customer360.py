"""A contact's orders in its 360 view: its value figures and latest orders, the summary the customer value worker
keeps in its partition, and its standing (rank, tier, churn), the one the daily ranking keeps (rapport.orders.store)."""

from __future__ import annotations

from pydantic import Field

from rapport.contexts import Seen, SummaryPart
from rapport.orders import store
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
