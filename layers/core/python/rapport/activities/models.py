from __future__ import annotations

from datetime import UTC, datetime, timedelta
from enum import StrEnum
from typing import Annotated, Any, Literal

from pydantic import BaseModel, Field, StrictInt, StringConstraints, field_validator

from rapport import merge_patch
from rapport.links import Links
from rapport.types import Instant, LongText, RecordMeta, ShortText, SingleLine, UserId

# An activity's id is a ULID made from when it happened (timelines sort by it), so that time must fit a ULID;
# an activity is something that happened: a day ahead covers clocks and time zones, plans are tasks.
EARLIEST = datetime(1970, 1, 1, tzinfo=UTC)
AHEAD = timedelta(days=1)
EXCERPT_LENGTH = 280


class ActivityType(StrEnum):
    CALL = "call"
    EMAIL = "email"
    MEETING = "meeting"
    NOTE = "note"
    SMS = "sms"
    VISIT = "visit"
    WEB = "web"


class Direction(StrEnum):
    INBOUND = "inbound"
    OUTBOUND = "outbound"


Outcome = Annotated[str, StringConstraints(min_length=1, max_length=100), SingleLine]


class ActivityFields(Links):
    direction: Direction | None = Field(default=None, description="Who reached out: inbound or outbound")
    occurred_at: Instant | None = Field(default=None, description="When it happened; default: now")
    subject: ShortText | None = None
    body: LongText | None = None
    duration_s: StrictInt | None = Field(default=None, ge=0, le=86_400, description="How long it took, in seconds")
    outcome: Outcome | None = Field(default=None, description="e.g. connected, voicemail, no_answer, replied")
    owner_id: UserId | None = Field(
        default=None, description="Whose activity it is (GET /activities?owner_id=); default: who logs it"
    )

    @field_validator("occurred_at")
    @classmethod
    def _happened(cls, occurred_at: datetime | None) -> datetime | None:
        if occurred_at is not None and occurred_at < EARLIEST:
            raise ValueError("must not be before 1970")
        if occurred_at is not None and occurred_at > datetime.now(UTC) + AHEAD:
            raise ValueError("must not be in the future; plan what comes next as a task or an appointment")
        return occurred_at


class ActivityCreate(ActivityFields):
    """Link at least one of contact_id, account_id, lead_id, deal_id; it shows in each one's timeline (and in the
    timeline of the account a linked contact or deal belongs to)."""

    type: ActivityType


class ActivityStored(ActivityCreate):
    """An activity's stored data: what clients send, and `timelines`, whose timelines hold it, grouped by the link
    that put it there (`rapport.activities.timeline`)."""

    timelines: dict[str, list[str]] = Field(default_factory=dict)


class Activity(ActivityCreate, RecordMeta):
    occurred_at: Instant
    owner_id: str


# Changing a link moves the activity to that record's timeline; changing `occurred_at` moves it in time.
ActivityPatch = merge_patch.model(ActivityCreate, Activity)


class EntryKind(StrEnum):
    ACTIVITY = "activity"
    NOTIFICATION = "notification"
    LEAD_SUBMISSION = "lead_submission"
    STAGE_CHANGE = "stage_change"


class _Entry(BaseModel):
    """What every timeline entry says: when, who, and the records it concerns."""

    id: str = Field(description="The activity's, message's, submission's or stage move's id")
    occurred_at: Instant
    created_by: str = Field(description="A user id, `notifier` for a message, `web-form:<id>` for a submission")
    contact_id: str | None = None
    account_id: str | None = None
    lead_id: str | None = None
    deal_id: str | None = None


class ActivityEntry(_Entry):
    """An activity (GET /activities/{id}), its body cut to an excerpt."""

    kind: Literal[EntryKind.ACTIVITY] = EntryKind.ACTIVITY
    type: ActivityType
    direction: Direction | None = None
    subject: str | None = None
    excerpt: str | None = Field(default=None, description=f"The body's first {EXCERPT_LENGTH} characters")
    duration_s: int | None = None
    outcome: str | None = None


class NotificationEntry(_Entry):
    """A message Rapport sent the contact (a notification template)."""

    kind: Literal[EntryKind.NOTIFICATION] = EntryKind.NOTIFICATION
    type: Literal["email", "sms"]
    direction: Literal[Direction.OUTBOUND] = Direction.OUTBOUND
    subject: str | None = None
    excerpt: str | None = Field(default=None, description=f"The text's first {EXCERPT_LENGTH} characters")
    template: str


class LeadSubmissionEntry(_Entry):
    """A lead submitted for a person already known (`POST /leads?on_duplicate=attach` or a web form): what was
    sent."""

    kind: Literal[EntryKind.LEAD_SUBMISSION] = EntryKind.LEAD_SUBMISSION
    channel: Literal["api", "web_form"]
    submitted: dict[str, Any] = Field(description="The lead's fields as submitted")


class StageChangeEntry(_Entry):
    """A deal's move into a stage (GET /deals/{id}/history has them all, oldest first)."""

    kind: Literal[EntryKind.STAGE_CHANGE] = EntryKind.STAGE_CHANGE
    from_stage: str | None = None
    to_stage: str
    status: str
    pipeline_id: str
    from_pipeline_id: str | None = None


TimelineEntry = Annotated[
    ActivityEntry | NotificationEntry | LeadSubmissionEntry | StageChangeEntry, Field(discriminator="kind")
]
