from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Annotated

from pydantic import Field, StrictInt, StringConstraints, field_validator

from rapport import merge_patch
from rapport.links import Links
from rapport.timeline.models import ActivityType, Direction
from rapport.types import Instant, LongText, RecordMeta, ShortText, SingleLine, UserId

# An activity's id is a ULID made from when it happened (timelines sort by it), so that time must fit a ULID;
# an activity is something that happened: a day ahead covers clocks and time zones, plans are tasks.
EARLIEST = datetime(1970, 1, 1, tzinfo=UTC)
AHEAD = timedelta(days=1)


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
    that put it there (`rapport.timeline`)."""

    timelines: dict[str, list[str]] = Field(default_factory=dict)


class Activity(ActivityCreate, RecordMeta):
    occurred_at: Instant
    owner_id: str


# Changing a link moves the activity to that record's timeline; changing `occurred_at` moves it in time.
ActivityPatch = merge_patch.model(ActivityCreate, Activity)
