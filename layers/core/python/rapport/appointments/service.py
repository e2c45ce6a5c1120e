"""Appointments: records `T#<t>#APPT#<id>`; in the same transaction as each change, the busy slots they hold
(guards, see models.py), a copy in each attendee's calendar partition `T#<t>#CAL#<user>` (the list by time is
one Query on it), and, while scheduled, a summary `C#APPT#<starts at>#<id>` in the contact's partition (the
360 view's next appointment).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from datetime import datetime
from typing import Any

from rapport import normalize, pagination
from rapport.appointments.models import (
    Appointment,
    AppointmentCreate,
    AppointmentPatch,
    AppointmentStatus,
    slots,
)
from rapport.auth import Action, Caller
from rapport.dal import keys, repository
from rapport.dal.keys import IndexKeys, Kind, UniqueField
from rapport.dal.models import SummaryItem
from rapport.dal.repository import Guard, GuardTaken, Parent, Record, UnitOfWork
from rapport.errors import BadRequest, Conflict, FieldError
from rapport.pagination import Page
from rapport.records import RecordService, normalized_filter

ME = "me"
SUMMARY_FIELDS = ("title", "starts_at", "ends_at", "attendee_ids", "location", "channel", "status")


class AppointmentService(RecordService[AppointmentCreate, AppointmentPatch, Appointment]):
    kind = Kind.APPOINTMENT
    resource = "appointments"
    label = "appointment"
    create_model = AppointmentCreate
    out_model = Appointment
    owner_fields = ("attendee_ids",)

    def create(self, caller: Caller, payload: AppointmentCreate) -> Appointment:
        if payload.attendee_ids is None:
            payload = payload.model_copy(update={"attendee_ids": [caller.user_id]})
        return super().create(caller, payload)

    def owners(self, record: Record) -> frozenset[str]:
        """The attendees, and who booked it."""
        return frozenset({*(super().owners(record) or ()), record.created_by})

    def guards(self, data: Mapping[str, Any]) -> dict[Guard, str]:
        """Every attendee's slots, while the appointment is not cancelled."""
        if data["status"] == AppointmentStatus.CANCELLED:
            return {}
        times = slots(datetime.fromisoformat(data["starts_at"]), datetime.fromisoformat(data["ends_at"]))
        return {
            Guard(UniqueField.BUSY, keys.busy_slot(user_id, slot)): f"attendee_ids[{position}]"
            for position, user_id in enumerate(data["attendee_ids"])
            for slot in times
        }

    def parents(self, data: Mapping[str, Any]) -> dict[Parent, str]:
        contact_id = data.get("contact_id")
        return {Parent(Kind.CONTACT, contact_id): "contact_id"} if contact_id else {}

    def index_keys(self, tenant_id: str, record_id: str, data: Mapping[str, Any], *, deleted: bool) -> IndexKeys:
        """While scheduled: in the tenant's scheduled appointments by start, which the reminder sweep reads."""
        return keys.appointment_index_keys(tenant_id, record_id, data["status"], data["starts_at"], deleted=deleted)

    def linked_writes(self, work: UnitOfWork, before: Record | None, after: Record | None) -> None:
        work.replace_items(self._copies(before), self._copies(after))

    def _copies(self, record: Record | None) -> list[SummaryItem]:
        """Its entry in each attendee's calendar and, while scheduled, its summary in the contact's partition."""
        if record is None or record.deleted:
            return []
        tenant_id, data = record.tenant_id, record.data
        # As it reads once this write commits, which makes it the next version.
        written = self._out(dataclasses.replace(record, version=(record.version or 0) + 1)).model_dump(mode="json")
        copies = [
            repository.summary_item(
                tenant_id,
                keys.calendar_pk(tenant_id, user_id),
                keys.calendar_sk(data["starts_at"], record.id),
                Kind.APPOINTMENT,
                record.id,
                written,
            )
            for user_id in data["attendee_ids"]
        ]
        if data.get("contact_id") and data["status"] == AppointmentStatus.SCHEDULED:
            copies.append(
                repository.summary_item(
                    tenant_id,
                    keys.record_pk(tenant_id, Kind.CONTACT, data["contact_id"]),
                    keys.appointment_summary_sk(data["starts_at"], record.id),
                    Kind.APPOINTMENT,
                    record.id,
                    {field: data.get(field) for field in SUMMARY_FIELDS},
                )
            )
        return copies

    def _duplicate(self, error: GuardTaken, field: str) -> Conflict:
        """A slot taken: the clash, naming the appointment that holds it."""
        if error.guard.field != UniqueField.BUSY:
            return super()._duplicate(error, field)
        user_id, slot = error.guard.value.split("#", 1)
        clash = f"{user_id} is already booked at {slot} (15-minute slot) by appointment {error.owner_id}"
        return Conflict(
            f"{clash}.", [FieldError(field, clash, "clash")], existing_kind=self.label, existing_id=error.owner_id
        )

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
        partition = keys.calendar_pk(caller.tenant_id, attendee)
        page = repository.read_partition(
            partition, start=starts_from, end=starts_to, limit=limit + 1, position=position
        )
        entries = page.summaries[:limit]
        more = len(page.summaries) > limit
        return Page(
            items=[self.out_model.model_validate(entry.data) for entry in entries],
            next_cursor=pagination.encode_cursor({"pk": partition, "sk": entries[-1].sk} if more else None, binding),
        )


appointments = AppointmentService()
