"""Appointments: records `T#<t>#APPT#<id>`; in the same transaction as each change, the slots they hold (each
attendee's 15-minute slot items with the intervals booked in them, see its store), a copy in each
attendee's calendar partition `T#<t>#CAL#<user>` (the list by time is one Query on it), and, while scheduled, a
summary `C#APPT#<starts at>#<id>` in the contact's partition (the 360 view's next appointment).

Booking, rescheduling, cancelling or reopening reads the slots of the old and new time (one BatchGetItem),
refuses a new interval that overlaps one booked in them (409 naming that appointment), and writes every slot
whose intervals change on condition it is still as read. A concurrent booking that touched one of those slots
fails that condition; the write is then staged again from a fresh read (`write_attempts` times in all: an overlap
is then a 409 clash, and a slot that kept changing a 409 busy). A trashed appointment keeps its time (a restore
needs it back); erasing it, cancelling it or moving it frees it.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from datetime import datetime
from typing import Any

from rapport import normalize, pagination
from rapport.appointments import store
from rapport.appointments.manifest import APPOINTMENT
from rapport.appointments.models import (
    Appointment,
    AppointmentCreate,
    AppointmentStatus,
    overlaps,
    slots,
)
from rapport.appointments.store import Interval, Slot, SlotKey
from rapport.auth import Action, Caller
from rapport.contacts.manifest import CONTACT
from rapport.dal import repository
from rapport.dal.repository import Guard, IndexKeys, Parent, Record, StaleVersion, TableItem, UnitOfWork
from rapport.errors import BadRequest, Conflict, FieldError
from rapport.pagination import Page
from rapport.records import RecordService, normalized_filter
from rapport.users import teams

ME = "me"
SUMMARY_FIELDS = ("title", "starts_at", "ends_at", "attendee_ids", "location", "channel", "status")


class AppointmentService(RecordService[AppointmentCreate, Appointment]):
    kind = APPOINTMENT
    resource = "appointments"
    label = "appointment"
    create_model = AppointmentCreate
    out_model = Appointment
    write_attempts = 5  # enough for a handful of bookings that touch one slot at the same moment
    owner_fields = ("attendee_ids",)
    ownership = teams.STAFF

    def create(self, caller: Caller, payload: AppointmentCreate) -> Appointment:
        if payload.attendee_ids is None:
            payload = payload.model_copy(update={"attendee_ids": [caller.user_id]})
        return super().create(caller, payload)

    def owners(self, record: Record) -> frozenset[str]:
        """The attendees, and who booked it."""
        return frozenset({*(super().owners(record) or ()), record.created_by})

    def guards(self, data: Mapping[str, Any]) -> dict[Guard, str]:
        return {}

    def parents(self, data: Mapping[str, Any]) -> dict[Parent, str]:
        contact_id = data.get("contact_id")
        return {Parent(CONTACT, contact_id): "contact_id"} if contact_id else {}

    def index_keys(self, tenant_id: str, record_id: str, data: Mapping[str, Any], *, deleted: bool) -> IndexKeys:
        """While scheduled: in the tenant's scheduled appointments by start, which the reminder sweep reads."""
        return store.index_keys(tenant_id, record_id, data["status"], data["starts_at"], deleted=deleted)

    def linked_writes(self, work: UnitOfWork, before: Record | None, after: Record | None) -> None:
        work.replace_items(self._copies(before), self._copies(after))
        self._book(work, before, after)

    def restage_on(self, error: StaleVersion) -> bool:
        return store.is_slot_change(error)

    def _book(self, work: UnitOfWork, before: Record | None, after: Record | None) -> None:
        """Take the time `after` holds and free what only `before` held, in every slot either touches."""
        held_before, held_after = _held(before), _held(after)
        if held_before == held_after:
            return
        appointment = after or before
        assert appointment is not None
        tenant_id = appointment.tenant_id
        read = store.read_slots(tenant_id, {*held_before, *held_after})
        legacy = {slot.legacy_owner for slot in read.values() if slot.legacy_owner not in (None, appointment.id)}
        found = repository.get_records(tenant_id, (Parent(APPOINTMENT, owner) for owner in legacy if owner))
        owners = {parent.id: record for parent, record in found.items()}
        for slot_key, slot in sorted(read.items()):
            intervals = {**_legacy_interval(slot, owners), **slot.intervals}
            intervals.pop(appointment.id, None)
            if slot_key in held_after:
                wanted = held_after[slot_key]
                clash = next((other for other, times in intervals.items() if overlaps(times, wanted)), None)
                if clash is not None:
                    raise _clash(appointment, slot.user_id, clash, intervals[clash])
                intervals[appointment.id] = wanted
            store.stage_slot(work, tenant_id, slot, intervals)

    def _copies(self, record: Record | None) -> list[TableItem]:
        """Its entry in each attendee's calendar and, while scheduled, its summary in the contact's partition."""
        if record is None or record.deleted:
            return []
        tenant_id, data = record.tenant_id, record.data
        # As it reads once this write commits, which makes it the next version.
        written = self.out(dataclasses.replace(record, version=(record.version or 0) + 1)).model_dump(mode="json")
        copies: list[TableItem] = [
            store.calendar_entry(tenant_id, user_id, data["starts_at"], record.id, written)
            for user_id in data["attendee_ids"]
        ]
        if data.get("contact_id") and data["status"] == AppointmentStatus.SCHEDULED:
            summary = {field: data.get(field) for field in SUMMARY_FIELDS}
            copies.append(store.summary(tenant_id, data["contact_id"], data["starts_at"], record.id, summary))
        return copies

    def search(
        self,
        caller: Caller,
        *,
        attendee_id: str,
        starts_from: str | None,
        starts_to: str | None,
        limit: int,
        cursor: str | None,
    ) -> Page[Appointment]:
        """One attendee's appointments starting from `starts_from` (inclusive) to `starts_to` (exclusive), by
        start time, cancelled ones included: ONE Query on the attendee's calendar partition."""
        caller.require(self.resource, Action.READ)
        attendee = caller.user_id if attendee_id == ME else attendee_id
        starts_from = normalized_filter("from", normalize.instant, starts_from)
        starts_to = normalized_filter("to", normalize.instant, starts_to)
        if starts_from is not None and starts_to is not None and starts_to < starts_from:
            raise BadRequest.of("to", "must not be before from")
        filters = {"attendee_id": attendee, "from": starts_from, "to": starts_to}
        binding = pagination.fingerprint(caller.tenant_id, "appointments:calendar", filters)
        position = pagination.decode_cursor(cursor, binding)
        calendar = store.calendar(caller.tenant_id, attendee, starts_from, starts_to)
        page = repository.read_partition(calendar, limit=limit + 1, position=position)
        entries = page.summaries[:limit]
        more = len(page.summaries) > limit
        return Page(
            items=[self.out_model.model_validate(entry.data) for entry in entries],
            next_cursor=pagination.encode_cursor(repository.after(calendar, entries[-1].sk) if more else None, binding),
        )


def _held(record: Record | None) -> dict[SlotKey, Interval]:
    """The interval the appointment holds in each attendee's slots: none when cancelled (or erased)."""
    if record is None or record.data["status"] == AppointmentStatus.CANCELLED:
        return {}
    data = record.data
    interval = (data["starts_at"], data["ends_at"])
    times = slots(datetime.fromisoformat(data["starts_at"]), datetime.fromisoformat(data["ends_at"]))
    return {(user_id, slot): interval for user_id in data["attendee_ids"] for slot in times}


def _legacy_interval(slot: Slot, owners: Mapping[str, Record]) -> dict[str, Interval]:
    """An old-style guard's appointment with the interval it holds (none if it no longer holds time)."""
    owner = owners.get(slot.legacy_owner or "")
    held = _held(owner)
    return {owner.id: held[(slot.user_id, slot.start)]} if owner and (slot.user_id, slot.start) in held else {}


def _clash(appointment: Record, user_id: str, other: str, times: Interval) -> Conflict:
    position = appointment.data["attendee_ids"].index(user_id)
    clash = f"{user_id} is already booked from {times[0]} to {times[1]} by appointment {other}"
    return Conflict(
        f"{clash}.",
        [FieldError(f"attendee_ids[{position}]", clash, "clash")],
        existing_kind="appointment",
        existing_id=other,
    )


appointments = AppointmentService()
