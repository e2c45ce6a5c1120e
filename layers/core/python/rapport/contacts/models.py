from __future__ import annotations

from enum import StrEnum
from typing import Annotated, Literal

from pydantic import Field, StringConstraints, ValidationInfo, field_validator

from rapport import merge_patch
from rapport.consent.models import Channel, ConsentState, ConsentStatus, SourceText, TopicName
from rapport.deals.money import Money
from rapport.types import (
    Address,
    CustomValues,
    Email,
    Instant,
    PastInstant,
    Phone,
    RecordId,
    RecordMeta,
    ShortText,
    SingleLine,
    StrictModel,
    Tags,
    UserId,
)

PersonName = Annotated[str, StringConstraints(min_length=1, max_length=100), SingleLine]


class ChannelConsent(StrictModel):
    """Consent on a channel as captured with a lead (rapport.consent.models.ConsentState is a contact's)."""

    status: ConsentStatus
    at: PastInstant = Field(description="When the contact gave or withdrew consent; not in the future")
    source: SourceText = Field(description="Where consent was captured, e.g. web_form, phone_call, import")


class Consent(StrictModel):
    email: ChannelConsent | None = None
    sms: ChannelConsent | None = None


class ContactConsent(StrictModel):
    """The contact's consent as it stands: each change is also in its consent history (rapport.consent)."""

    email: ConsentState | None = Field(default=None, description="Email at all: what transactional email needs")
    sms: ConsentState | None = Field(default=None, description="SMS at all: what transactional texts need")
    topics: dict[Channel, dict[TopicName, ConsentState]] | None = Field(
        default=None,
        description="Consent to each of the tenant's marketing topics (marketing settings), per channel: what "
        "marketing messages need",
    )


class EmailStatus(StrictModel):
    """The primary email address is known not to work: a permanent bounce (SES feedback)."""

    status: Literal["invalid"]
    at: Instant = Field(description="When it was found invalid")
    reason: Annotated[str, StringConstraints(min_length=1, max_length=300), SingleLine] = Field(
        description="Why, e.g. the bounce's type and diagnostic"
    )


class PortalRole(StrEnum):
    """What a contact may do in the customer portal beyond their own records (set by staff)."""

    ACCOUNT_MANAGER = "account_manager"  # also sees and works their account's cases


class ContactFields(StrictModel):
    first_name: PersonName | None = None
    last_name: PersonName | None = None
    email: Email | None = Field(default=None, description="Primary email, unique per tenant")
    emails: list[Email] = Field(default_factory=list, max_length=10, description="Additional emails")
    phone: Phone | None = Field(default=None, description="Primary phone, stored as E.164")
    phones: list[Phone] = Field(default_factory=list, max_length=10, description="Additional phones")
    job_title: ShortText | None = None
    account_id: RecordId | None = None
    address: Address | None = None
    owner_id: UserId | None = None
    potential: Money | None = Field(
        default=None,
        description="Up-sell potential set by staff: what it could buy over 12 months, tenant currency; wins over "
        "the one the daily ranking finds among its account's peers. Null: the peers' one",
    )
    tags: Tags = Field(default_factory=list)
    consent: ContactConsent | None = None
    portal_role: PortalRole | None = Field(
        default=None, description="account_manager: in the customer portal, also their account's cases"
    )
    email_status: EmailStatus | None = Field(
        default=None,
        description="Set when mail to `email` bounced permanently: Rapport sends it no email. Dropped when `email` "
        "changes; set it to null once the address is known to work again.",
    )
    custom: CustomValues | None = None


class ContactCreate(ContactFields):
    last_name: PersonName | None = Field(default=None, validate_default=True)

    @field_validator("last_name")
    @classmethod
    def _someone(cls, last_name: str | None, info: ValidationInfo) -> str | None:
        if not last_name and not info.data.get("first_name"):
            raise ValueError("a contact needs a first_name or a last_name")
        return last_name

    @field_validator("emails", "phones")
    @classmethod
    def _distinct(cls, others: list[str], info: ValidationInfo) -> list[str]:
        primary = info.data.get(str(info.field_name).removesuffix("s"))
        values = [primary, *others] if primary else others
        if len(set(values)) != len(values):
            raise ValueError("repeats a value, or the primary one")
        return others


class Contact(ContactFields, RecordMeta):
    pass


ContactPatch = merge_patch.model(ContactCreate, Contact)
