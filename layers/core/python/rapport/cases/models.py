from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Annotated, Any

from pydantic import BaseModel, Field, StringConstraints, ValidationInfo, field_validator
from pydantic.json_schema import SkipJsonSchema

from rapport import merge_patch
from rapport.types import Instant, LongText, Name, RecordId, RecordMeta, ShortText, StrictModel, Tags, UserId

NUMBER_PATTERN = r"^CS-[1-9][0-9]{0,11}$"
Queue = Annotated[str, StringConstraints(min_length=1, max_length=64, pattern=r"^[A-Za-z0-9_-]+$")]


class CaseType(StrEnum):
    COMPLAINT = "complaint"
    RETURN = "return"
    INFORMATION_REQUEST = "information_request"
    PROBLEM = "problem"
    QUESTION = "question"


class CasePriority(StrEnum):
    LOW = "low"
    NORMAL = "normal"
    HIGH = "high"
    URGENT = "urgent"


class CaseStatus(StrEnum):
    NEW = "new"
    OPEN = "open"
    PENDING = "pending"  # waiting on the customer
    ON_HOLD = "on_hold"
    RESOLVED = "resolved"
    CLOSED = "closed"


DONE_STATUSES = frozenset({CaseStatus.RESOLVED, CaseStatus.CLOSED})


class CaseChannel(StrEnum):
    EMAIL = "email"
    PHONE = "phone"
    WEB = "web"
    PORTAL = "portal"
    SMS = "sms"
    IN_PERSON = "in_person"


class Visibility(StrEnum):
    PUBLIC = "public"  # the customer gets it by email
    INTERNAL = "internal"  # staff only, never sent to a customer


class _CaseRules(StrictModel):
    subject: Name
    description: LongText | None = None
    type: CaseType = CaseType.QUESTION
    priority: CasePriority = CasePriority.NORMAL
    status: CaseStatus = CaseStatus.NEW
    channel: CaseChannel | None = Field(default=None, description="How the customer reached you")
    contact_id: RecordId = Field(description="A live contact of your tenant: the customer")
    account_id: RecordId | None = Field(default=None, description="A live account; default: the contact's")
    deal_id: RecordId | None = Field(default=None, description="A live deal of your tenant")
    order_id: ShortText | None = Field(default=None, description="The order's reference in your shop")
    queue: Queue | None = None
    owner_id: UserId | None = Field(default=None, description="A staff user id (a token's subject)")
    tags: Tags = Field(default_factory=list)
    resolution: LongText | None = Field(
        default=None, validate_default=True, description="Required to resolve or close the case"
    )

    @field_validator("resolution")
    @classmethod
    def _needed_when_done(cls, resolution: str | None, info: ValidationInfo) -> str | None:
        status = info.data.get("status")
        if status in DONE_STATUSES and not resolution:
            raise ValueError(f"is required when status is {status}")
        return resolution


class _ComputedFields(StrictModel):
    """Fields Rapport sets: sent by a client, they are refused with a clear message."""

    number: SkipJsonSchema[Any] = Field(default=None, exclude=True)
    resolved_at: SkipJsonSchema[Any] = Field(default=None, exclude=True)
    closed_at: SkipJsonSchema[Any] = Field(default=None, exclude=True)
    first_response_at: SkipJsonSchema[Any] = Field(default=None, exclude=True)
    message_count: SkipJsonSchema[Any] = Field(default=None, exclude=True)
    last_message: SkipJsonSchema[Any] = Field(default=None, exclude=True)
    routed_at: SkipJsonSchema[Any] = Field(default=None, exclude=True)

    @field_validator("number", mode="before")
    @classmethod
    def _numbered(cls, value: Any) -> Any:
        raise ValueError("is given to the case when it is created and cannot be set")

    @field_validator("resolved_at", "closed_at", mode="before")
    @classmethod
    def _stamped(cls, value: Any) -> Any:
        raise ValueError("is stamped when the status changes and cannot be set")

    @field_validator("first_response_at", "message_count", "last_message", mode="before")
    @classmethod
    def _conversed(cls, value: Any) -> Any:
        raise ValueError("follows the case's messages (POST /cases/{id}/messages) and cannot be set")

    @field_validator("routed_at", mode="before")
    @classmethod
    def _routed(cls, value: Any) -> Any:
        raise ValueError("is stamped when the routing rules place the case and cannot be set")


class CaseCreate(_CaseRules, _ComputedFields):
    pass


class LastMessage(BaseModel):
    id: str
    visibility: Visibility
    created_at: Instant
    created_by: str


class CaseStored(_CaseRules):
    """A case as stored: the client's fields and the ones Rapport sets."""

    number: str | None = None
    resolved_at: Instant | None = None
    closed_at: Instant | None = None
    first_response_at: Instant | None = None
    message_count: int = 0
    last_message: LastMessage | None = None
    routed_at: Instant | None = None


class Case(CaseStored, RecordMeta):
    number: str = Field(description="CS-<n>, unique in your tenant: what a customer says on the phone")
    resolved_at: datetime | None = Field(default=None, description="When it was resolved; cleared when reopened")
    closed_at: datetime | None = None
    first_response_at: datetime | None = Field(default=None, description="The first public staff reply")
    message_count: int = Field(default=0, description="Messages in its conversation, internal notes included")
    routed_at: datetime | None = Field(
        default=None, description="When the routing rules placed the case (a new case without an owner), once"
    )


CasePatch = merge_patch.model(CaseCreate, Case, base=_ComputedFields)


class CaseMessageCreate(StrictModel):
    body: LongText
    visibility: Visibility = Field(description="public: emailed to the customer; internal: a note for staff only")


class CaseMessage(BaseModel):
    id: str
    case_id: str
    body: str
    visibility: Visibility
    created_at: datetime
    created_by: str
