from __future__ import annotations

from datetime import UTC, datetime, timedelta
from enum import StrEnum
from typing import Annotated

from pydantic import Field, StrictInt, StringConstraints, field_validator

from rapport.links import Links
from rapport.types import Instant, LongText, RecordMeta, ShortText, SingleLine

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


class ActivityCreate(Links):
    """Link at least one of contact_id, account_id, lead_id, deal_id; it shows in each one's timeline."""

    type: ActivityType
    direction: Direction | None = Field(default=None, description="Who reached out: inbound or outbound")
    occurred_at: Instant | None = Field(default=None, description="When it happened; default: now")
    subject: ShortText | None = None
    body: LongText | None = None
    duration_s: StrictInt | None = Field(default=None, ge=0, le=86_400, description="How long it took, in seconds")
    outcome: Outcome | None = Field(default=None, description="e.g. connected, voicemail, no_answer, replied")

    @field_validator("occurred_at")
    @classmethod
    def _happened(cls, occurred_at: datetime | None) -> datetime | None:
        if occurred_at is not None and occurred_at < EARLIEST:
            raise ValueError("must not be before 1970")
        if occurred_at is not None and occurred_at > datetime.now(UTC) + AHEAD:
            raise ValueError("must not be in the future; plan what comes next as a task or an appointment")
        return occurred_at


class Activity(ActivityCreate, RecordMeta):
    occurred_at: Instant


class Interaction(Links):
    """An activity as a timeline shows it: the body cut to an excerpt."""

    id: str = Field(description="The activity's id")
    type: ActivityType
    direction: Direction | None = None
    occurred_at: Instant
    subject: str | None = None
    excerpt: str | None = Field(default=None, description=f"The body's first {EXCERPT_LENGTH} characters")
    duration_s: int | None = None
    outcome: str | None = None
    created_by: str
    template: str | None = Field(default=None, description="The notification template, for a message Rapport sent")
