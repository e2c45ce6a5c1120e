"""The appointments' key layout and access patterns (rapport.dal.keys has the shared layout and says why this is
here).

| item                 | pk                              | sk                            |
|----------------------|---------------------------------|-------------------------------|
| appointment          | T#<t>#APPT#<id>                 | A#META                        |
| busy slot            | T#<t>#UNIQ#BUSY#<user>#<slot>   | #                             |
| calendar entry       | T#<t>#CAL#<user>                | <starts at>#<appointment id>  |

| index | serves                                   | pk                        | sk                    |
|-------|------------------------------------------|---------------------------|-----------------------|
| gsi1  | scheduled appointments, by start         | T#<t>#APPT#SCHEDULED      | <starts at>#<id>      |

A busy slot is a staff user's 15-minute slot (`2026-11-23T09:15Z`): a `SlotItem` whose `intervals` map holds
`[starts at, ends at]` of each appointment (not cancelled) whose time touches the slot, and a `revision`. A
calendar entry is a copy of an appointment in each attendee's calendar partition (the appointment list is one
Query by time on it). While scheduled, an appointment is in its tenant's scheduled appointments by start (what the
reminder sweep reads) and, with a contact, has a summary `C#APPT#<starts at>#<id>` (kind `APPT`) in the
contact's partition, for its 360 view.

A staff user's booked time: 15-minute slot items, each holding the intervals of the appointments in it.

A booking reads the slot items its time touches (one BatchGetItem), refuses a real overlap, and writes each of
them conditioned on the revision it read (or on its absence): of two concurrent bookings that touch one slot, the
second fails its condition and is staged again from a fresh read (rapport.appointments). Two appointments that
merely share a slot (16:30-16:40 and 16:40-16:50) are both in its item and do not clash.

A slot written before this design is a unique guard at the same key, owned by one appointment (`legacy_owner`):
it reads as that appointment's interval (the service looks up its times) and is replaced or deleted, on condition
that it is still that guard, by the next write of the slot. Existing data therefore needs no migration.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from pynamodb.expressions.condition import Condition

from rapport.appointments.manifest import APPOINTMENT
from rapport.contacts.manifest import CONTACT
from rapport.dal import keys, repository
from rapport.dal.access import IndexQuery, PartitionQuery
from rapport.dal.keys import IndexKeys
from rapport.dal.models import GuardItem, Item, SlotItem, SummaryItem
from rapport.dal.repository import StaleVersion, UnitOfWork, plain

BUSY = "BUSY"  # a staff user's time slot and the appointments in it (a guard's key)
SUMMARY_PREFIX = "C#APPT#"
SCHEDULED = "scheduled"

Interval = tuple[str, str]  # [starts_at, ends_at), canonical UTC: compared as text
SlotKey = tuple[str, str]  # (user id, slot start such as 2026-11-23T09:15Z)


@dataclass
class Slot:
    """A slot item as read: the intervals booked in it, by appointment id."""

    user_id: str
    start: str
    intervals: dict[str, Interval] = field(default_factory=dict)
    revision: int | None = None  # None: no slot item (absent, or an old guard)
    legacy_owner: str | None = None  # the appointment that holds it as an old-style guard

    @property
    def stored(self) -> bool:
        return self.revision is not None or self.legacy_owner is not None


def slot_pk(tenant_id: str, user_id: str, start: str) -> str:
    """The busy slot `start` of a staff user: a guard's key."""
    return keys.guard_pk(tenant_id, BUSY, f"{user_id}#{start}")


def read_slots(tenant_id: str, wanted: Iterable[SlotKey]) -> dict[SlotKey, Slot]:
    """The slots `wanted` (at most 100), as they are now: ONE BatchGetItem, strongly consistent."""
    by_key = {(slot_pk(tenant_id, user_id, start), keys.GUARD_SK): (user_id, start) for user_id, start in set(wanted)}
    slots = {slot_key: Slot(*slot_key) for slot_key in by_key.values()}
    for item in Item.batch_get(list(by_key), consistent_read=True) if by_key else []:
        slot = slots[by_key[(item.pk, item.sk)]]
        if isinstance(item, SlotItem):
            booked = plain(item.intervals)
            slot.intervals = {appointment_id: (times[0], times[1]) for appointment_id, times in booked.items()}
            slot.revision = int(item.revision)
        elif isinstance(item, GuardItem):
            slot.legacy_owner = item.owner_id
    return slots


def stage_slot(work: UnitOfWork, tenant_id: str, slot: Slot, intervals: Mapping[str, Interval]) -> None:
    """Add to `work` the write of `intervals` as the slot's (none: delete it), only if it is still as read.

    A failed condition is `StaleVersion` with a `SlotItem` as its subject: read the slots again.
    """
    if not intervals and not slot.stored:
        return
    condition: Condition
    if slot.revision is not None:
        condition = SlotItem.revision == slot.revision
    elif slot.legacy_owner is not None:
        condition = GuardItem.owner_id == slot.legacy_owner
    else:
        condition = Item.pk.does_not_exist()
    item = SlotItem(
        slot_pk(tenant_id, slot.user_id, slot.start),
        keys.GUARD_SK,
        tenant_id=tenant_id,
        intervals={appointment_id: list(times) for appointment_id, times in intervals.items()},
        revision=(slot.revision or 0) + 1,
    )
    if intervals:
        work.put_item(item, condition)
    else:
        work.delete_item(item, condition)


def is_slot_change(error: StaleVersion) -> bool:
    """Whether a write failed because a slot it read changed meanwhile (read the slots again)."""
    return isinstance(error.subject, SlotItem)


def _scheduled_pk(tenant_id: str) -> str:
    return f"{keys.tenant_prefix(tenant_id)}{APPOINTMENT.code}#SCHEDULED"


def calendar_pk(tenant_id: str, user_id: str) -> str:
    return f"{keys.tenant_prefix(tenant_id)}CAL#{user_id}"


def index_keys(tenant_id: str, appointment_id: str, status: str, starts_at: str, *, deleted: bool) -> IndexKeys:
    """gsi1: a scheduled appointment in the tenant's scheduled appointments by start (the reminder sweep's)."""
    if deleted or status != SCHEDULED:
        return IndexKeys()
    return IndexKeys(gsi1pk=_scheduled_pk(tenant_id), gsi1sk=keys.timed_sk(starts_at, appointment_id))


def scheduled_between(tenant_id: str, start: str, end: str) -> IndexQuery:
    """Scheduled appointments starting from `start` to `end` (canonical UTC, inclusive)."""
    return IndexQuery(
        "gsi1", _scheduled_pk(tenant_id), start=keys.timed_sk(start, ""), end=keys.timed_sk(end, keys.RANGE_END)
    )


def calendar_entry(
    tenant_id: str, user_id: str, starts_at: str, appointment_id: str, data: Mapping[str, Any]
) -> SummaryItem:
    """The appointment as it reads (`data`), in an attendee's calendar."""
    sk = keys.timed_sk(starts_at, appointment_id)
    return repository.summary_item(tenant_id, calendar_pk(tenant_id, user_id), sk, APPOINTMENT, appointment_id, data)


def calendar(tenant_id: str, user_id: str, starts_from: str | None, starts_to: str | None) -> PartitionQuery:
    """A staff user's appointments by start, from `starts_from` (inclusive) to before `starts_to`."""
    return PartitionQuery(calendar_pk(tenant_id, user_id), start=starts_from, end=starts_to)


def summary(
    tenant_id: str, contact_id: str, starts_at: str, appointment_id: str, data: Mapping[str, Any]
) -> SummaryItem:
    """A scheduled appointment as its contact's 360 view shows it, in the contact's partition."""
    partition = keys.record_pk(tenant_id, CONTACT, contact_id)
    return repository.summary_item(
        tenant_id, partition, summary_sk(starts_at, appointment_id), APPOINTMENT, appointment_id, data
    )


def of_contact(tenant_id: str, contact_id: str) -> PartitionQuery:
    """A contact's scheduled appointments by start: their summaries in the contact's partition."""
    partition = keys.record_pk(tenant_id, CONTACT, contact_id)
    return PartitionQuery(partition, start=SUMMARY_PREFIX, end=f"{SUMMARY_PREFIX}{keys.RANGE_END}")


def summary_sk(starts_at: str, appointment_id: str) -> str:
    return f"{SUMMARY_PREFIX}{starts_at}#{appointment_id}"
