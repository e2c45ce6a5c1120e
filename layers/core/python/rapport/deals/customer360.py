"""What a contact's 360 view shows of its deals: the open ones it is on and its lifetime value, from the summaries
the deals keep in its partition (rapport.deals.store)."""

from __future__ import annotations

from decimal import Decimal

from pydantic import Field

from rapport.contexts import Seen, SummaryPart
from rapport.deals import store
from rapport.types import LazyModel

OPEN = "open"


class DealBrief(LazyModel):
    """A deal the contact is on, as the deals area summarizes it."""

    id: str
    name: str | None = None
    amount: Decimal | None = Field(default=None, description="Exact, as a decimal string")
    currency: str | None = None
    stage: str | None = None
    status: str | None = None
    close_date: str | None = None
    owner_id: str | None = None


class Money(LazyModel):
    amount: Decimal = Field(description="Exact, as a decimal string")
    currency: str | None = Field(default=None, description="The tenant's currency")


def _open_deals(seen: Seen) -> list[DealBrief]:
    return [
        DealBrief.model_validate({**summary.data, "id": summary.ref_id})
        for summary in seen.summaries
        if summary.data.get("status") == OPEN
    ]


def _lifetime_value(seen: Seen) -> Money | None:
    return next((Money.model_validate(s.data) for s in seen.summaries if s.data.get("amount") is not None), None)


OPEN_DEALS = SummaryPart(
    field="open_deals",
    annotation=list[DealBrief],
    info=Field(),
    prefix=store.DEAL_SUMMARY_PREFIX,
    kinds=(store.DEAL_SUMMARY_KIND,),
    read=_open_deals,
)
LIFETIME_VALUE = SummaryPart(
    field="lifetime_value",
    annotation=Money | None,
    info=Field(default=None),
    prefix=store.LIFETIME_VALUE_SK,
    kinds=(store.LIFETIME_VALUE_KIND,),
    read=_lifetime_value,
)
