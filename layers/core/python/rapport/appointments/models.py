"""Appointments and the time they hold.

Clash detection: an appointment that is not cancelled holds, for each attendee, its interval in every 15-minute
slot its time touches: each slot is an item listing the intervals booked in it (rapport.appointments.store). A booking
reads the slots it touches, refuses an interval that really overlaps one booked there (409 naming that
appointment), and writes each slot conditioned on what it read, so two overlapping bookings of one person cannot
both commit however concurrent; a booking that loses such a race reads again (rapport.appointments.service).
Meetings that only meet (09:00-09:10, 09:10-09:20) share a slot and do not clash. Limits of the design:
- one transaction holds at most 100 items, and a reschedule rewrites the slots of the old and the new time in
  one: an appointment lasts at most 10 hours and touches at most 40 staff-slots (10 staff-hours: one person for
  10 h, two for 5 h, eight for 1 h 15) — see `transaction_items`.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from enum import StrEnum
from typing import Annotated

from pydantic import AfterValidator, Field, StringConstraints, ValidationInfo, field_validator

from rapport import merge_patch
from rapport.types import Instant, LongText, Name, RecordId, RecordMeta, SingleLine, StrictModel, UserId

SLOT = timedelta(minutes=15)
MAX_DURATION = timedelta(hours=10)
MAX_ATTENDEES = 8
MAX_STAFF_SLOTS = 40
SLOT_FORMAT = "%Y-%m-%dT%H:%MZ"


class AppointmentStatus(StrEnum):
    SCHEDULED = "scheduled"
    CANCELLED = "cancelled"
    DONE = "done"


class Channel(StrEnum):
    IN_PERSON = "in_person"
    PHONE = "phone"
    VIDEO = "video"


def overlaps(first: tuple[str, str], second: tuple[str, str]) -> bool:
    """Whether two intervals [starts_at, ends_at) (canonical UTC text) share a moment: meeting ends do not."""
    return first[0] < second[1] and second[0] < first[1]


def slots(starts_at: datetime, ends_at: datetime) -> list[str]:
    """The 15-minute slots (UTC, by their start) that the time from `starts_at` to `ends_at` touches."""
    slot = starts_at.replace(minute=starts_at.minute - starts_at.minute % 15, second=0, microsecond=0)
    touched = []
    while slot < ends_at:
        touched.append(slot.strftime(SLOT_FORMAT))
        slot += SLOT
    return touched


def transaction_items(staff_slots_before: int, staff_slots_after: int, attendees: int) -> int:
    """The most items a change of an appointment writes in one transaction: the record, the slots of its old and
    new time, each attendee's calendar entry deleted and put, the contact's summary deleted and put, the check
    that a new contact is live."""
    return 1 + staff_slots_before + staff_slots_after + 2 * attendees + 2 + 1


def _distinct(values: list[str]) -> list[str]:
    if len(set(values)) != len(values):
        raise ValueError("must not repeat a value")
    return values


Attendees = Annotated[list[UserId], Field(min_length=1, max_length=MAX_ATTENDEES), AfterValidator(_distinct)]
Location = Annotated[str, StringConstraints(min_length=1, max_length=500), SingleLine]


class AppointmentFields(StrictModel):
    contact_id: RecordId | None = Field(default=None, description="The customer met: a live contact of your tenant")
    location: Location | None = Field(default=None, description="An address, a room, or a meeting link")
    channel: Channel | None = None
    notes: LongText | None = None


class AppointmentCreate(AppointmentFields):
    title: Name
    starts_at: Instant
    ends_at: Instant = Field(description="After starts_at, at most 10 hours later")
    attendee_ids: Attendees | None = Field(
        default=None,
        description="Staff user ids (tokens' subjects), default: you. attendees x duration: at most 10 staff-hours",
    )
    status: AppointmentStatus = AppointmentStatus.SCHEDULED

    @field_validator("ends_at")
    @classmethod
    def _after_start(cls, ends_at: datetime, info: ValidationInfo) -> datetime:
        starts_at = info.data.get("starts_at")
        if starts_at is not None and ends_at <= starts_at:
            raise ValueError("must be after starts_at")
        if starts_at is not None and ends_at - starts_at > MAX_DURATION:
            raise ValueError("must be at most 10 hours after starts_at")
        return ends_at

    @field_validator("attendee_ids")
    @classmethod
    def _within_budget(cls, attendee_ids: list[str] | None, info: ValidationInfo) -> list[str] | None:
        starts_at, ends_at = info.data.get("starts_at"), info.data.get("ends_at")
        if (
            attendee_ids
            and starts_at
            and ends_at
            and len(attendee_ids) * len(slots(starts_at, ends_at)) > MAX_STAFF_SLOTS
        ):
            raise ValueError(
                "books more than 10 staff-hours (attendees x 15-minute slots: at most 40): shorten it or invite fewer"
            )
        return attendee_ids


class Appointment(AppointmentCreate, RecordMeta):
    attendee_ids: list[str]


AppointmentPatch = merge_patch.model(AppointmentCreate, Appointment)
