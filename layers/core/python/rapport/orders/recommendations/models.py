from __future__ import annotations

from pydantic import Field

from rapport.deals.money import Money
from rapport.types import LazyModel


class Recommendation(LazyModel):
    sku: str
    name: str
    category: str | None = None
    unit_price: Money
    currency: str
    support: int = Field(
        description="How many customers bought it with one of the contact's products: the most for any of `because`"
    )
    because: list[str] = Field(
        description="The contact's products that led to it, the one with the most support first (then by SKU)"
    )


class Recommendations(LazyModel):
    items: list[Recommendation] = Field(
        description="Live, active products the contact has not bought, by support (most first), then by SKU"
    )
