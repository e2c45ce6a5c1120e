from __future__ import annotations

from decimal import Decimal
from enum import StrEnum
from typing import Annotated, Any

from pydantic import Field, StrictInt, StringConstraints, ValidationInfo, field_validator
from pydantic.json_schema import SkipJsonSchema

from rapport import merge_patch
from rapport.deals.money import CurrencyCode, Money
from rapport.products.models import Sku
from rapport.types import Instant, LazyModel, PastInstant, RecordId, RecordMeta, StrictModel

MAX_LINES = 100
MAX_QUANTITY = 1_000_000
REFERENCE_PATTERN = r"^[A-Za-z0-9][A-Za-z0-9._/:#-]{0,63}$"
Reference = Annotated[str, StringConstraints(pattern=REFERENCE_PATTERN)]


class OrderStatus(StrEnum):
    PLACED = "placed"
    PAID = "paid"
    FULFILLED = "fulfilled"
    CANCELLED = "cancelled"
    RETURNED = "returned"


REVENUE_STATUSES = frozenset({OrderStatus.PAID, OrderStatus.FULFILLED})

# Where an order may go from each status: forward only; a cancelled or returned order is final.
NEXT_STATUSES: dict[OrderStatus, frozenset[OrderStatus]] = {
    OrderStatus.PLACED: frozenset({OrderStatus.PAID, OrderStatus.FULFILLED, OrderStatus.CANCELLED}),
    OrderStatus.PAID: frozenset({OrderStatus.FULFILLED, OrderStatus.CANCELLED, OrderStatus.RETURNED}),
    OrderStatus.FULFILLED: frozenset({OrderStatus.RETURNED}),
    OrderStatus.CANCELLED: frozenset(),
    OrderStatus.RETURNED: frozenset(),
}


class OrderLineCreate(StrictModel):
    sku: Sku = Field(description="A live product's SKU")
    quantity: StrictInt = Field(ge=1, le=MAX_QUANTITY)
    unit_price: Money | None = Field(
        default=None, description="In the order's currency; default: the product's price, when in that currency"
    )
    discount: Money = Field(
        default=Decimal("0.00"), description="An amount off the line; at most quantity x unit_price"
    )


class OrderLine(OrderLineCreate):
    unit_price: Money


class _OrderRules(StrictModel):
    number: Reference = Field(description="Your order number: unique in your tenant")
    contact_id: RecordId | None = Field(default=None, description="A live contact: the customer who ordered")
    account_id: RecordId | None = Field(
        default=None, validate_default=True, description="A live account; default: the contact's. One of the two"
    )
    ordered_at: PastInstant | None = Field(default=None, description="Default: when it is created")
    status: OrderStatus = OrderStatus.PLACED
    currency: CurrencyCode | None = Field(
        default=None,
        description="The tenant currency or one with a rate in the tenant's currency rates; default: "
        "the tenant currency",
    )
    lines: list[OrderLineCreate] = Field(min_length=1, max_length=MAX_LINES)
    deal_id: RecordId | None = Field(default=None, description="A live deal of your tenant")
    campaign_id: Reference | None = None
    external_id: Reference | None = Field(
        default=None, description="The back office's id: unique in your tenant; POST /orders/batch updates by it"
    )

    @field_validator("account_id")
    @classmethod
    def _a_customer(cls, account_id: str | None, info: ValidationInfo) -> str | None:
        if account_id is None and info.data.get("contact_id") is None:
            raise ValueError("is required without a valid contact_id: an order is a contact's, an account's or both")
        return account_id


class _ComputedFields(StrictModel):
    """Fields Rapport sets: sent by a client, they are refused with a clear message."""

    total: SkipJsonSchema[Any] = Field(default=None, exclude=True)
    tenant_total: SkipJsonSchema[Any] = Field(default=None, exclude=True)

    @field_validator("total", "tenant_total", mode="before")
    @classmethod
    def _computed(cls, value: Any) -> Any:
        raise ValueError("is computed from the lines and cannot be set")


class OrderCreate(_OrderRules, _ComputedFields):
    pass


class TenantMoney(LazyModel):
    amount: Money
    currency: CurrencyCode


class OrderStored(_OrderRules):
    """An order as stored: the client's fields, priced, and the totals Rapport computes."""

    total: Money | None = None
    tenant_total: TenantMoney | None = None


class Order(OrderStored, RecordMeta):
    lines: list[OrderLine]  # type: ignore[assignment]  # priced: each has its unit price
    ordered_at: Instant
    currency: CurrencyCode
    total: Money = Field(description="sum of quantity x unit_price - discount, in the order's currency")
    tenant_total: TenantMoney = Field(description="The total in the tenant currency, at the rate when it was written")


OrderPatch = merge_patch.model(OrderCreate, Order, base=_ComputedFields)
