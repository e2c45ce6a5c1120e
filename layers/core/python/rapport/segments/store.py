"""The segments' key layout and access patterns (rapport.dal.keys has the shared layout and says why this is here).

| item                              | pk                 | sk                    |
|-----------------------------------|--------------------|-----------------------|
| segment                           | T#<t>#SEG#<id>     | A#META                |
| its fill's progress (dynamic)     | T#<t>#SEG#<id>     | A#BACKFILL            |
| its member count                  | T#<t>#SEG#<id>     | A#COUNT               |
| a member (a contact)              | T#<t>#SEG#<id>     | M#<contact id>        |
| the contact's membership (the     | T#<t>#CON#<id>     | G#SEG#<segment id>    |
| reverse of a member)              |                    |                       |

| index | serves                                 | pk                          | sk                |
|-------|----------------------------------------|-----------------------------|-------------------|
| gsi1  | segments by name (or the trash)        | T#<t>#SEG (or #DELETED)     | <name key>␟<id>   |
| gsi2  | the live dynamic segments (the worker  | T#<t>#SEG#DYNAMIC           | <id>              |
|       | evaluates a changed contact against)   |                             |                   |

A read of a segment is ONE Query from `A#` to `A#META`: its fill, its count and itself. Its members are ONE Query
per page on `M#`, a contact's segments ONE Query on `G#SEG#` (after its timeline's `E#`, before its ledger's
`H#`, so neither its 360 view nor its timeline reads them). A contact joins a segment in one transaction (its
member item if absent, its membership, the count added to) and leaves in one (the member if present, its
membership, the count taken from): each join or leave happens once whoever tries it twice (a redelivered event,
the fill and the worker at once).

The membership is a summary of kind `SEGMENT_MEMBERSHIP` (rapport.segments.manifest): its appearing and its removal
are the events `segment_membership.joined` and `.left` (rapport.events.publisher), the segment's id their entity
id. So it holds what they need, and no more: `contact_id`, `joined_at`, and who placed it (`updated_by`: the
caller of a static list's change, the worker's actor for a dynamic segment) and when (`updated_at`, the join's).
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import Any

from rapport.contacts.manifest import CONTACT
from rapport.dal import keys, repository
from rapport.dal.access import IndexQuery, PartitionQuery
from rapport.dal.keys import IndexKeys
from rapport.dal.models import CounterItem, Item, RecordItem, SummaryItem
from rapport.dal.repository import Record, Summary, UnitOfWork, compact, plain
from rapport.segments.manifest import SEGMENT, SEGMENT_MEMBERSHIP

BACKFILL_SK = "A#BACKFILL"
COUNT_SK = "A#COUNT"
MEMBER_PREFIX = "M#"
MEMBERSHIP_PREFIX = "G#SEG#"
MEMBER_KIND = "SEG_MEMBER"
MEMBERSHIP_KIND = SEGMENT_MEMBERSHIP.code
BACKFILL_KIND = "SEG_BACKFILL"
DYNAMIC = "DYNAMIC"


def _partition(tenant_id: str, segment_id: str) -> str:
    return keys.record_pk(tenant_id, SEGMENT, segment_id)


def _dynamic_pk(tenant_id: str) -> str:
    return f"{keys.list_pk(tenant_id, SEGMENT)}#{DYNAMIC}"


def index_keys(tenant_id: str, segment_id: str, name_key: str, *, dynamic: bool, deleted: bool) -> IndexKeys:
    """gsi1: by name, or in the trash; gsi2: among the live dynamic segments."""
    live_dynamic = dynamic and not deleted
    return IndexKeys(
        gsi1pk=keys.list_pk(tenant_id, SEGMENT, deleted=deleted),
        gsi1sk=keys.name_order(name_key, segment_id),
        gsi2pk=_dynamic_pk(tenant_id) if live_dynamic else None,
        gsi2sk=segment_id if live_dynamic else None,
    )


def dynamic_segments(tenant_id: str) -> IndexQuery:
    """The tenant's live dynamic segments."""
    return IndexQuery("gsi2", _dynamic_pk(tenant_id))


@dataclass
class SegmentRead:
    record: Record | None
    count: int
    backfill: Mapping[str, Any] | None


def read_segment(tenant_id: str, segment_id: str) -> SegmentRead:
    """ONE Query (strongly consistent): the segment, its fill's progress and its count."""
    found = Item.query(
        _partition(tenant_id, segment_id),
        Item.sk.between(BACKFILL_SK, keys.META_SK),
        consistent_read=True,
    )
    read = SegmentRead(None, 0, None)
    for item in found:
        if isinstance(item, RecordItem):
            read.record = repository.record_of(item)
        elif isinstance(item, CounterItem):
            read.count = int(item.value or 0)
        elif isinstance(item, SummaryItem):
            read.backfill = plain(item.summary_data())
    return read


def members(tenant_id: str, segment_id: str) -> PartitionQuery:
    """The segment and its members by contact id (the segment sorts first)."""
    return PartitionQuery(_partition(tenant_id, segment_id), start=keys.META_SK, end=f"{MEMBER_PREFIX}{keys.RANGE_END}")


def memberships(tenant_id: str, contact_id: str) -> PartitionQuery:
    """The contact's segments."""
    partition = keys.record_pk(tenant_id, CONTACT, contact_id)
    return PartitionQuery(partition, start=MEMBERSHIP_PREFIX, end=f"{MEMBERSHIP_PREFIX}{keys.RANGE_END}")


def segment_ids_of(tenant_id: str, contact_id: str) -> set[str]:
    """Every segment the contact is in (one Query, paged as DynamoDB pages it)."""
    return {summary.ref_id for summary in repository.partition_summaries(memberships(tenant_id, contact_id))}


def members_of(tenant_id: str, segment_id: str) -> Iterator[Summary]:
    """Every member of the segment (one Query, paged as DynamoDB pages it)."""
    pattern = PartitionQuery(
        _partition(tenant_id, segment_id), start=MEMBER_PREFIX, end=f"{MEMBER_PREFIX}{keys.RANGE_END}"
    )
    return repository.partition_summaries(pattern)


def member_keys(tenant_id: str, segment_id: str, contact_id: str) -> tuple[str, str]:
    return _partition(tenant_id, segment_id), f"{MEMBER_PREFIX}{contact_id}"


def member_data(contact: Record, joined_at: str) -> dict[str, Any]:
    """What a member item copies of its contact: its name and email (as it joined), and when it joined."""
    data = contact.data
    name = " ".join(part for part in (data.get("first_name"), data.get("last_name")) if part)
    return {"name": name or None, "email": data.get("email"), "joined_at": joined_at}


def _member(tenant_id: str, segment_id: str, contact_id: str, data: Mapping[str, Any]) -> SummaryItem:
    pk, sk = member_keys(tenant_id, segment_id, contact_id)
    return SummaryItem(pk, sk, tenant_id=tenant_id, kind=MEMBER_KIND, ref_id=contact_id, data=compact(dict(data)))


def _membership(tenant_id: str, segment_id: str, contact_id: str, data: Mapping[str, Any]) -> SummaryItem:
    partition = keys.record_pk(tenant_id, CONTACT, contact_id)
    return SummaryItem(
        partition,
        f"{MEMBERSHIP_PREFIX}{segment_id}",
        tenant_id=tenant_id,
        kind=MEMBERSHIP_KIND,
        ref_id=segment_id,
        data=dict(data),
    )


def membership_data(contact_id: str, joined_at: str, by: str) -> dict[str, Any]:
    """What a membership holds: its contact, when it joined, and who placed it then (its events' actor and time)."""
    return {"contact_id": contact_id, "joined_at": joined_at, "updated_by": by, "updated_at": joined_at}


def stage_join(
    work: UnitOfWork, tenant_id: str, segment_id: str, contact_id: str, data: Mapping[str, Any], *, by: str
) -> None:
    """The contact joins (`data`: its name, email and `joined_at`), placed by `by` (a user, or a worker); the
    transaction fails if it is a member (`stage_count` counts it)."""
    work.put_item(_member(tenant_id, segment_id, contact_id, data), Item.sk.does_not_exist())
    membership = membership_data(contact_id, data["joined_at"], by)
    work.put_item(_membership(tenant_id, segment_id, contact_id, membership))


def stage_leave(work: UnitOfWork, tenant_id: str, segment_id: str, contact_id: str) -> None:
    """The contact leaves; the transaction fails if it is not a member. (A delete says nothing of who made it: the
    `left` event's actor is `unknown`, its time when the stream saw it.)"""
    work.delete_item(_member(tenant_id, segment_id, contact_id, {}), Item.sk.exists())
    work.delete_item(_membership(tenant_id, segment_id, contact_id, {}))


def stage_count(work: UnitOfWork, tenant_id: str, segment_id: str, added: int) -> None:
    """The member count moved by `added` (joined less left), in the transaction of those joins and leaves."""
    if added:
        repository.stage_count(work, tenant_id, _partition(tenant_id, segment_id), COUNT_SK, added)


def member_of(tenant_id: str, segment_id: str, contact_ids: list[str]) -> set[str]:
    """Which of `contact_ids` (at most 100) are members (one BatchGetItem)."""
    wanted = [member_keys(tenant_id, segment_id, contact_id) for contact_id in contact_ids]
    return {item.ref_id for item in Item.batch_get(wanted) if isinstance(item, SummaryItem)}


def _backfill(tenant_id: str, segment_id: str, data: Mapping[str, Any]) -> SummaryItem:
    partition = _partition(tenant_id, segment_id)
    return SummaryItem(
        partition, BACKFILL_SK, tenant_id=tenant_id, kind=BACKFILL_KIND, ref_id=segment_id, data=compact(dict(data))
    )


def stage_backfill(work: UnitOfWork, tenant_id: str, segment_id: str, data: Mapping[str, Any]) -> None:
    """The fill's progress, in the segment's write that starts it."""
    work.put_item(_backfill(tenant_id, segment_id, data))


def stage_no_backfill(work: UnitOfWork, tenant_id: str, segment_id: str) -> None:
    """No fill's progress any more, in the segment's write that makes it static."""
    work.delete_item(_backfill(tenant_id, segment_id, {}))


def put_backfill(tenant_id: str, segment_id: str, data: Mapping[str, Any]) -> None:
    """The fill's progress, put over the last (a fill of an earlier version stops at its next page)."""
    _backfill(tenant_id, segment_id, data).save()
