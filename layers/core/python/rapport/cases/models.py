from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Annotated, Any

from pydantic import Field, StringConstraints, ValidationInfo, field_validator
from pydantic.json_schema import SkipJsonSchema

from rapport import merge_patch
from rapport.types import (
    CustomValues,
    Instant,
    LazyModel,
    LongText,
    Name,
    RecordId,
    RecordMeta,
    ShortText,
    StrictModel,
    Tags,
    UserId,
)

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


class Author(StrEnum):
    STAFF = "staff"  # a staff member writes: a public one is a response to the customer
    CUSTOMER = "customer"  # what the customer said (by phone, in person...), logged by staff


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
    custom: CustomValues | None = None

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
    sla: SkipJsonSchema[Any] = Field(default=None, exclude=True)
    sla_basis: SkipJsonSchema[Any] = Field(default=None, exclude=True)
    routed_at: SkipJsonSchema[Any] = Field(default=None, exclude=True)
    reopened_count: SkipJsonSchema[Any] = Field(default=None, exclude=True)

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

    @field_validator("sla", "sla_basis", mode="before")
    @classmethod
    def _timed(cls, value: Any) -> Any:
        raise ValueError("is timed by the SLA policy that applies to the case (GET/PUT /service-settings)")

    @field_validator("reopened_count", mode="before")
    @classmethod
    def _reopened(cls, value: Any) -> Any:
        raise ValueError("counts the times the case left resolved or closed and cannot be set")

    @field_validator("routed_at", mode="before")
    @classmethod
    def _routed(cls, value: Any) -> Any:
        raise ValueError("is stamped when the routing rules place the case and cannot be set")


class CaseCreate(_CaseRules, _ComputedFields):
    pass


class LastMessage(LazyModel):
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
    sla_basis: dict[str, Any] | None = None  # rapport.cases.sla.SlaBasis
    routed_at: Instant | None = None
    reopened_count: int = 0


class TargetClock(LazyModel):
    due_at: datetime = Field(description="When the target is breached (while paused: if the clock resumed now)")
    met_at: datetime | None = Field(default=None, description="When it was met")
    breached: bool = Field(description="Met after its due time, or unmet at or past it")
    paused: bool = Field(description="The case is pending or on hold: the clock does not run")
    remaining_business_seconds: int = Field(
        description="Business seconds from now (or from when it was met) to the due time; negative when breached"
    )


class SlaFigures(LazyModel):
    policy: str = Field(description="The SLA policy applied when the case was created")
    first_response: TargetClock | None = Field(default=None, description="None: the policy does not time it")
    next_response: TargetClock | None = Field(
        default=None, description="None: not timed, or no customer message waits for a reply"
    )
    resolution: TargetClock | None = None


class Case(CaseStored, RecordMeta):
    number: str = Field(description="CS-<n>, unique in your tenant: what a customer says on the phone")
    resolved_at: datetime | None = Field(default=None, description="When it was resolved; cleared when reopened")
    closed_at: datetime | None = None
    first_response_at: datetime | None = Field(default=None, description="The first public staff reply")
    message_count: int = Field(default=0, description="Messages in its conversation, internal notes included")
    sla_basis: SkipJsonSchema[dict[str, Any] | None] = Field(default=None, exclude=True)
    sla: SlaFigures | None = Field(
        default=None, description="Its SLA targets at the time of the read (none: no policy applied when created)"
    )
    routed_at: datetime | None = Field(
        default=None, description="When the routing rules placed the case (a new case without an owner), once"
    )
    reopened_count: int = Field(default=0, description="How often it was reopened after being resolved or closed")


CasePatch = merge_patch.model(CaseCreate, Case, base=_ComputedFields)


class CaseMessageCreate(StrictModel):
    body: LongText
    visibility: Visibility = Field(description="public: emailed to the customer; internal: a note for staff only")
    author: Author = Field(
        default=Author.STAFF,
        description="customer: what the customer said by another channel, logged (public, never emailed)",
    )

    @field_validator("author")
    @classmethod
    def _customers_speak_publicly(cls, author: Author, info: ValidationInfo) -> Author:
        if author is Author.CUSTOMER and info.data.get("visibility") is not Visibility.PUBLIC:
            raise ValueError("a customer's message is public")
        return author


class MessageAttachment(LazyModel):
    """A file that came with an email: kept (`key`, in the inbound mail bucket) unless larger than the cap; a read
    of its message gives a kept one its download `url` (rapport.cases.attachments), which is never stored."""

    filename: str
    content_type: str
    size: int = Field(description="Bytes")
    key: str | None = Field(default=None, description="Where it is kept; none: over the size cap, not kept")
    url: str | None = Field(
        default=None,
        description="Downloads the file under its name: valid 15 minutes, made at each read; none: not kept",
    )


class CaseMessage(LazyModel):
    id: str
    case_id: str
    body: str
    visibility: Visibility
    author: Author = Author.STAFF
    created_at: datetime
    created_by: str
    attachments: list[MessageAttachment] = Field(default_factory=list, description="What came with an email")
