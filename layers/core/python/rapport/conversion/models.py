"""What a conversion is asked for and what it answers (the leads API's body and response: light to import)."""

from __future__ import annotations

from pydantic import Field, StrictBool

from rapport.deals.models import ContactRole, LostReason, StageName
from rapport.deals.money import CurrencyCode, Money
from rapport.types import Day, LazyModel, Name, RecordId, StrictModel, UserId


class ConversionDeal(StrictModel):
    """The deal to open for the converted lead; its account and contact are the conversion's."""

    name: Name
    amount: Money
    pipeline_id: RecordId
    close_date: Day = Field(description="Expected close date")
    currency: CurrencyCode | None = Field(default=None, description="ISO 4217; the tenant currency if left out")
    stage: StageName | None = Field(default=None, description="A stage of the pipeline; its first if left out")
    owner_id: UserId | None = Field(default=None, description="The lead's owner, else you, if left out")
    contact_role: ContactRole | None = Field(default=None, description="The converted contact's role in the deal")
    lost_reason: LostReason | None = Field(default=None, description="Required in a lost stage, only there")


class ConvertLead(StrictModel):
    account_id: RecordId | None = Field(default=None, description="Link to this account instead of finding one")
    contact_id: RecordId | None = Field(default=None, description="Link to this contact instead of finding one")
    create_account: StrictBool = Field(default=True, description="Make an account from the lead's company if none fits")
    deal: ConversionDeal | None = Field(default=None, description="Open a deal for the new customer")


class Conversion(LazyModel):
    lead_id: str
    contact_id: str
    account_id: str | None
    deal_id: str | None
    created: list[str] = Field(description="Which of contact, account, deal were made (the others were linked)")
    interactions_carried: int = Field(description="The lead's interactions now in the contact's timeline")
