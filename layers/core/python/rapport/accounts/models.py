from __future__ import annotations

from enum import StrEnum

from pydantic import Field

from rapport import merge_patch
from rapport.deals.money import Money
from rapport.types import Address, CustomValues, Domain, Name, RecordMeta, ShortText, StrictModel, Tags, UserId


class CompanySize(StrEnum):
    S1_10 = "1-10"
    S11_50 = "11-50"
    S51_200 = "51-200"
    S201_1000 = "201-1000"
    S1001_5000 = "1001-5000"
    S5001_PLUS = "5001+"


class AccountFields(StrictModel):
    domain: Domain | None = Field(default=None, description="Web domain, unique per tenant; stored bare")
    industry: ShortText | None = None
    size: CompanySize | None = Field(default=None, description="Head count band")
    address: Address | None = None
    owner_id: UserId | None = Field(default=None, description="The staff user who owns the account")
    potential: Money | None = Field(
        default=None,
        description="Up-sell potential set by staff: what it could buy over 12 months, tenant currency; wins over "
        "the one the daily ranking finds among its peers. Null: the peers' one",
    )
    tags: Tags = Field(default_factory=list)
    custom: CustomValues | None = None


class AccountCreate(AccountFields):
    name: Name


class Account(AccountCreate, RecordMeta):
    pass


AccountPatch = merge_patch.model(AccountCreate, Account)
