"""A staff user's booked time: 15-minute slot items, each holding the intervals of the appointments in it.

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

from pynamodb.expressions.condition import Condition

from rapport.dal import keys
from rapport.dal.keys import UniqueField
from rapport.dal.models import GuardItem, Item, SlotItem
from rapport.dal.repository import UnitOfWork, _plain

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


def _pk(tenant_id: str, user_id: str, start: str) -> str:
    return keys.guard_pk(tenant_id, UniqueField.BUSY, keys.busy_slot(user_id, start))


def read(tenant_id: str, wanted: Iterable[SlotKey]) -> dict[SlotKey, Slot]:
    """The slots `wanted` (at most 100), as they are now: ONE BatchGetItem, strongly consistent."""
    by_key = {(_pk(tenant_id, user_id, start), keys.GUARD_SK): (user_id, start) for user_id, start in set(wanted)}
    slots = {slot_key: Slot(*slot_key) for slot_key in by_key.values()}
    for item in Item.batch_get(list(by_key), consistent_read=True) if by_key else []:
        slot = slots[by_key[(item.pk, item.sk)]]
        if isinstance(item, SlotItem):
            booked = _plain(item.intervals)
            slot.intervals = {appointment_id: (times[0], times[1]) for appointment_id, times in booked.items()}
            slot.revision = int(item.revision)
        elif isinstance(item, GuardItem):
            slot.legacy_owner = item.owner_id
    return slots


def stage(work: UnitOfWork, tenant_id: str, slot: Slot, intervals: Mapping[str, Interval]) -> None:
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
        _pk(tenant_id, slot.user_id, slot.start),
        keys.GUARD_SK,
        tenant_id=tenant_id,
        intervals={appointment_id: list(times) for appointment_id, times in intervals.items()},
        revision=(slot.revision or 0) + 1,
    )
    if intervals:
        work.put_item(item, condition)
    else:
        work.delete_item(item, condition)
