"""What a timeline shows: the entries every timeline has, as the API answers them and as they are stored
(rapport.timeline).

An entry is a published shape shared by the contexts that write one (an activity logged, a message sent, a lead
submitted again, a deal's stage move) and the reads that show them (timelines, the 360 view, assignment's check).
A context's own kind of entry (a case opened or moved to another status) is a subclass of `Entry` in its own
folder, named in its manifest (`Context.timeline_entries`); rapport.timeline joins them all in one union. This
module imports no context: a context's entry module imports it for the base.
"""

from __future__ import annotations

from enum import StrEnum
from typing import Any, Literal

from pydantic import Field

from rapport.types import Instant, LazyModel

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


class EntryKind(StrEnum):
    ACTIVITY = "activity"
    NOTIFICATION = "notification"
    LEAD_SUBMISSION = "lead_submission"
    STAGE_CHANGE = "stage_change"


class Entry(LazyModel):
    """What every timeline entry says: when, who, and the records it concerns. A subclass adds its `kind` (a
    `Literal`, the union's discriminator) and what it says about it."""

    id: str = Field(description="The activity's, message's, submission's or stage move's id")
    occurred_at: Instant
    created_by: str = Field(description="A user id, `notifier` for a message, `web-form:<id>` for a submission")
    contact_id: str | None = None
    account_id: str | None = None
    lead_id: str | None = None
    deal_id: str | None = None


class ActivityEntry(Entry):
    """An activity (GET /activities/{id}), its body cut to an excerpt."""

    kind: Literal[EntryKind.ACTIVITY] = EntryKind.ACTIVITY
    type: ActivityType
    direction: Direction | None = None
    subject: str | None = None
    excerpt: str | None = Field(default=None, description=f"The body's first {EXCERPT_LENGTH} characters")
    duration_s: int | None = None
    outcome: str | None = None


class NotificationEntry(Entry):
    """A message Rapport sent the contact (a notification template, a campaign's message, a sequence step's)."""

    kind: Literal[EntryKind.NOTIFICATION] = EntryKind.NOTIFICATION
    type: Literal["email", "sms"]
    direction: Literal[Direction.OUTBOUND] = Direction.OUTBOUND
    subject: str | None = None
    excerpt: str | None = Field(default=None, description=f"The text's first {EXCERPT_LENGTH} characters")
    template: str
    campaign_id: str | None = Field(default=None, description="The campaign it was part of (template `campaign`)")
    sequence_id: str | None = Field(default=None, description="The sequence it was part of (template `sequence`)")
    step: str | None = Field(default=None, description="The sequence's step that sent it")


class LeadSubmissionEntry(Entry):
    """A lead submitted for a person already known (`POST /leads?on_duplicate=attach` or a web form): what was
    sent."""

    kind: Literal[EntryKind.LEAD_SUBMISSION] = EntryKind.LEAD_SUBMISSION
    channel: Literal["api", "web_form"]
    submitted: dict[str, Any] = Field(description="The lead's fields as submitted")


class StageChangeEntry(Entry):
    """A deal's move into a stage (GET /deals/{id}/history has them all, oldest first)."""

    kind: Literal[EntryKind.STAGE_CHANGE] = EntryKind.STAGE_CHANGE
    from_stage: str | None = None
    to_stage: str
    status: str
    pipeline_id: str
    from_pipeline_id: str | None = None


KERNEL_ENTRIES: tuple[type[Entry], ...] = (ActivityEntry, NotificationEntry, LeadSubmissionEntry, StageChangeEntry)
