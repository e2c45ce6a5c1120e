"""Leads: the request and response models, and the fields the service computes (score, engagement, conversion)."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Annotated, Any

from pydantic import Field, StringConstraints, ValidationInfo, field_validator
from pydantic.json_schema import SkipJsonSchema

from rapport import merge_patch
from rapport.accounts.models import CompanySize
from rapport.consent.models import ConsentStatus
from rapport.contacts.models import Consent, PersonName
from rapport.leads.scoring import Engagement, ScoreReason
from rapport.types import (
    CountryCode,
    CustomValues,
    Email,
    LazyModel,
    MultiLine,
    PastInstant,
    Phone,
    RecordId,
    RecordMeta,
    ShortText,
    SingleLine,
    StrictModel,
    UserId,
)

Source = Annotated[str, StringConstraints(min_length=1, max_length=100), SingleLine]
Reason = Annotated[str, StringConstraints(min_length=1, max_length=500), SingleLine]
Notes = Annotated[str, StringConstraints(min_length=1, max_length=10_000), MultiLine]


class LeadStatus(StrEnum):
    NEW = "new"
    WORKING = "working"
    QUALIFIED = "qualified"
    DISQUALIFIED = "disqualified"
    CONVERTED = "converted"


# An open lead holds its email against duplicates; disqualified and converted leads let it go.
OPEN_STATUSES = frozenset({LeadStatus.NEW, LeadStatus.WORKING, LeadStatus.QUALIFIED})


class OnDuplicate(StrEnum):
    REFUSE = "refuse"
    ATTACH = "attach"


class ConvertedLinks(LazyModel):
    """What a converted lead became: set by the conversion, never by a client."""

    contact_id: str
    account_id: str | None = None
    deal_id: str | None = None
    at: datetime
    by: str


class LeadFields(StrictModel):
    first_name: PersonName | None = None
    last_name: PersonName | None = None
    email: Email | None = Field(default=None, description="Compared with contacts' and open leads' emails")
    phone: Phone | None = Field(default=None, description="Stored as E.164")
    company: ShortText | None = None
    title: ShortText | None = Field(default=None, description="Job title")
    source: Source | None = Field(default=None, description="Where the lead came from: web_form, event, referral...")
    campaign_id: RecordId | None = None
    status: LeadStatus | None = None
    disqualified_reason: Reason | None = Field(
        default=None, description="Required when status is disqualified, and only then (send null to clear it)"
    )
    owner_id: UserId | None = Field(default=None, description="The staff user working the lead")
    country: CountryCode | None = Field(default=None, description="ISO 3166-1 alpha-2, e.g. GB")
    industry: ShortText | None = None
    company_size: CompanySize | None = Field(default=None, description="Head count band")
    notes: Notes | None = None
    consent: Consent | None = None
    custom: CustomValues | None = None


class _LeadRules(LeadFields):
    """What every stored lead satisfies."""

    @field_validator("email")
    @classmethod
    def _someone(cls, email: str | None, info: ValidationInfo) -> str | None:
        if not email and not info.data.get("first_name") and not info.data.get("last_name"):
            raise ValueError("a lead needs an email, a first_name or a last_name")
        return email

    disqualified_reason: Reason | None = Field(
        default=None,
        validate_default=True,
        description="Required when status is disqualified, and only then (send null to clear it)",
    )

    @field_validator("disqualified_reason")
    @classmethod
    def _goes_with_disqualified(cls, reason: str | None, info: ValidationInfo) -> str | None:
        if "status" not in info.data:  # the status is at fault already
            return reason
        disqualified = info.data["status"] == LeadStatus.DISQUALIFIED
        if disqualified and not reason:
            raise ValueError("is required when status is disqualified")
        if not disqualified and reason:
            raise ValueError("is only for a disqualified lead; send null to clear it")
        return reason


class _ClientWritable(StrictModel):
    """Fields the service computes: sent by a client, they are refused with a clear message."""

    score: SkipJsonSchema[Any] = Field(default=None, exclude=True)
    score_reasons: SkipJsonSchema[Any] = Field(default=None, exclude=True)
    engagement: SkipJsonSchema[Any] = Field(default=None, exclude=True)
    converted: SkipJsonSchema[Any] = Field(default=None, exclude=True)

    @field_validator("score", "score_reasons", mode="before")
    @classmethod
    def _scored(cls, value: Any) -> Any:
        raise ValueError("is computed from the tenant's scoring rules (GET /scoring-rules) and cannot be set")

    @field_validator("engagement", mode="before")
    @classmethod
    def _counted(cls, value: Any) -> Any:
        raise ValueError("is counted from the lead's activities and cannot be set")

    @field_validator("converted", mode="before")
    @classmethod
    def _converting(cls, value: Any) -> Any:
        raise ValueError("is set by converting the lead")

    @field_validator("status", mode="after", check_fields=False)
    @classmethod
    def _not_converted(cls, status: LeadStatus | None) -> LeadStatus | None:
        if status == LeadStatus.CONVERTED:
            raise ValueError("converted is set by converting the lead")
        return status


class LeadCreate(_LeadRules, _ClientWritable):
    status: LeadStatus = LeadStatus.NEW
    email: Email | None = Field(
        default=None, validate_default=True, description="Compared with contacts' and open leads' emails"
    )


class LeadStored(_LeadRules):
    """A lead as stored: the client's fields and the ones the service computes."""

    status: LeadStatus = LeadStatus.NEW
    score: int = Field(default=0, ge=0, le=100)
    score_reasons: list[ScoreReason] = Field(default_factory=list)
    score_rules_version: int = 0
    engagement: Engagement | None = None
    converted: ConvertedLinks | None = None
    web_form_id: str | None = None


class Lead(LeadStored, RecordMeta):
    status: LeadStatus
    score: int = Field(ge=0, le=100, description="0 to 100 from the tenant's scoring rules; see score_reasons")
    score_reasons: list[ScoreReason] = Field(default_factory=list, description="What the score is made of")
    score_rules_version: int = Field(
        default=0,
        description="The scoring rules' version the score comes from (0: the defaults). Leads are rescored with "
        "newer rules when they are next written.",
    )
    web_form_id: str | None = Field(default=None, description="The web form that submitted the lead")


LeadPatch = merge_patch.model(LeadCreate, Lead, base=_ClientWritable)


class AttachedTo(LazyModel):
    type: str = Field(description="contact or lead")
    id: str


class LeadAttached(LazyModel):
    """A duplicate recorded as a new interaction of the existing contact or lead instead of a new lead."""

    attached_to: AttachedTo
    interaction_id: str = Field(description="The interaction's id in the existing record's timeline")
    at: datetime


class PublicChannelConsent(StrictModel):
    status: ConsentStatus
    at: PastInstant = Field(
        description="When the person gave or withdrew consent (ISO 8601 with a time zone); not in the future"
    )
    source: Source | None = Field(
        default=None, description="Where consent was captured; defaults to web_form:<the form's id>"
    )


DOUBLE_OPT_IN = "double_opt_in"  # a web form's default: its subscriptions wait for confirmation


class PublicConsent(StrictModel):
    email: PublicChannelConsent


class PublicLeadCreate(StrictModel):
    """What a tenant's website form sends: the person, never the lead's handling (owner, status, score)."""

    first_name: PersonName | None = None
    last_name: PersonName | None = None
    email: Email
    phone: Phone | None = None
    company: ShortText | None = None
    title: ShortText | None = None
    country: CountryCode | None = None
    industry: ShortText | None = None
    company_size: CompanySize | None = None
    campaign_id: RecordId | None = None
    notes: Notes | None = None
    consent: PublicConsent = Field(description="The person's email consent, as captured by the form")

    def lead_fields(self, form_id: str, defaults: dict[str, Any]) -> dict[str, Any]:
        """The lead this submission makes, with the form's defaults (source, campaign, owner); a form that
        requires double opt-in captures the email subscription pending."""
        fields = self.model_dump(mode="json", exclude_none=True, exclude={"consent"})
        consent = self.consent.email.model_dump(mode="json", exclude_none=True)
        consent.setdefault("source", f"web_form:{form_id}")
        given = {key: value for key, value in defaults.items() if value is not None}
        if given.pop(DOUBLE_OPT_IN, False) and consent["status"] == ConsentStatus.OPTED_IN:
            consent["status"] = str(ConsentStatus.PENDING)  # until the person confirms (rapport.consent.confirmation)
        return {
            **given,
            **fields,
            "consent": {"email": consent},
        }


class Received(LazyModel):
    """The same answer for every accepted submission, new lead or duplicate: nothing about the tenant's data."""

    status: str = "received"
