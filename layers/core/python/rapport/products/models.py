from __future__ import annotations

from typing import Annotated

from pydantic import Field, StrictBool, StringConstraints

from rapport import merge_patch
from rapport.deals.money import CurrencyCode, Money
from rapport.types import Name, RecordMeta, ShortText, StrictModel

SKU_PATTERN = r"^[A-Za-z0-9][A-Za-z0-9._/-]{0,63}$"
Sku = Annotated[
    str,
    StringConstraints(pattern=SKU_PATTERN),
    Field(description="Your stock-keeping unit: unique in your tenant, compared exactly (case counts)"),
]


class ProductCreate(StrictModel):
    sku: Sku
    name: Name
    category: ShortText | None = Field(default=None, description="Listed by it, case and accents aside")
    unit_price: Money
    currency: CurrencyCode | None = Field(
        default=None,
        description="The tenant currency or one with a rate in the tenant's currency rates; default: "
        "the tenant currency",
    )
    active: StrictBool = Field(default=True, description="Inactive products stay in the catalogue and in past orders")


class Product(ProductCreate, RecordMeta):
    currency: CurrencyCode


ProductPatch = merge_patch.model(ProductCreate, Product)
