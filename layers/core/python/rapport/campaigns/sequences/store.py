"""The sequences' key layout and access patterns (rapport.dal.keys has the shared layout and says why this is here).

| item                                   | pk               | sk                          |
|----------------------------------------|------------------|-----------------------------|
| a count (enrollments, a step's sends)  | T#<t>#SEQ#<id>   | A#COUNT#<name>              |
| sequence                               | T#<t>#SEQ#<id>   | A#META                      |
| a contact's enrollment                 | T#<t>#SEQ#<id>   | N#<contact id>              |
| a step's send to a contact             | T#<t>#SEQ#<id>   | S#<step>#<contact id>       |
| the contact's enrollment (its reverse) | T#<t>#CON#<id>   | G#SEQ#<sequence id>         |

| index | serves                                        | pk                       | sk                       |
|-------|-----------------------------------------------|--------------------------|--------------------------|
| gsi1  | sequences by name (or the trash)              | T#<t>#SEQ (or #DELETED)  | <name key>␟<id>          |
| gsi2  | the active sequences enrolling from a segment | T#<t>#SEQ#ENROLLING      | <segment id>#<id>        |

A read of a sequence with its report is ONE Query from `A#COUNT#` to `A#META`. Counts: `enrolled`, `completed`,
`exited@<why>`, and per step `<step>#<status or outcome>` (a send step's, as a campaign's: rapport.campaigns.store
with the step's SendLog) and `<step>#taken` / `<step>#not_taken` (a branch's). A contact's enrollments are ONE Query
on its `G#SEQ#` (after its segments' `G#SEG#`, before its ledger's `H#`: neither its 360 view nor its timeline reads
them), so an event about a contact (a reply, a purchase, an unsubscribe) finds the enrollments it ends.

An enrollment is put only if absent, with its reverse and its count, in one transaction: a contact goes through a
sequence once. Each move of an enrollment (to its next step, into a wait, to its end) is an update only while it is
active and at the step it moves from: a stepper retried, and an exit at the same time, each move it once.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from rapport.campaigns.manifest import SEQUENCE
from rapport.campaigns.store import COUNT_PREFIX, SEND_PREFIX, SendLog
from rapport.contacts.manifest import CONTACT
from rapport.dal import keys, repository
from rapport.dal.access import IndexQuery, PartitionQuery
from rapport.dal.keys import IndexKeys
from rapport.dal.models import CounterItem, Item, RecordItem, SummaryItem
from rapport.dal.repository import Record, Summary, UnitOfWork

ENROLLMENT_PREFIX = "N#"
ENROLLMENT_KIND = "SEQ_ENROLLMENT"
ENROLLED_PREFIX = "G#SEQ#"
ENROLLED_KIND = "SEQ_ENROLLED"
ENROLLING = "ENROLLING"


def _partition(tenant_id: str, sequence_id: str) -> str:
    return keys.record_pk(tenant_id, SEQUENCE, sequence_id)


def _enrolling_pk(tenant_id: str) -> str:
    return f"{keys.list_pk(tenant_id, SEQUENCE)}#{ENROLLING}"


def index_keys(
    tenant_id: str, sequence_id: str, name_key: str, segment_id: str | None, *, enrolling: bool, deleted: bool
) -> IndexKeys:
    """gsi1: by name, or in the trash; gsi2: among the sequences enrolling from `segment_id` (active ones)."""
    listed = enrolling and segment_id is not None and not deleted
    return IndexKeys(
        gsi1pk=keys.list_pk(tenant_id, SEQUENCE, deleted=deleted),
        gsi1sk=keys.name_order(name_key, sequence_id),
        gsi2pk=_enrolling_pk(tenant_id) if listed else None,
        gsi2sk=f"{segment_id}#{sequence_id}" if listed else None,
    )


def enrolling_from(tenant_id: str, segment_id: str) -> IndexQuery:
    """The active sequences that enroll the contacts entering the segment."""
    return IndexQuery("gsi2", _enrolling_pk(tenant_id), prefix=f"{segment_id}#")


def step_log(tenant_id: str, sequence_id: str, step: str) -> SendLog:
    """Where the sends of a sequence's step are kept and counted."""
    return SendLog(tenant_id, _partition(tenant_id, sequence_id), step)


@dataclass
class SequenceRead:
    record: Record | None = None
    counts: dict[str, float] = field(default_factory=dict)


def read_sequence(tenant_id: str, sequence_id: str) -> SequenceRead:
    """ONE Query (strongly consistent): the sequence and its counts."""
    found = Item.query(
        _partition(tenant_id, sequence_id), Item.sk.between(COUNT_PREFIX, keys.META_SK), consistent_read=True
    )
    read = SequenceRead()
    for item in found:
        if isinstance(item, RecordItem):
            read.record = repository.record_of(item)
        elif isinstance(item, CounterItem):
            read.counts[item.sk.removeprefix(COUNT_PREFIX)] = item.value or 0
    return read


def _enrollment(tenant_id: str, sequence_id: str, contact_id: str, data: Mapping[str, Any]) -> SummaryItem:
    partition = _partition(tenant_id, sequence_id)
    sk = f"{ENROLLMENT_PREFIX}{contact_id}"
    return repository.summary_item(tenant_id, partition, sk, ENROLLMENT_KIND, contact_id, data)


def _enrolled(tenant_id: str, sequence_id: str, contact_id: str, enrolled_at: str) -> SummaryItem:
    partition = keys.record_pk(tenant_id, CONTACT, contact_id)
    sk = f"{ENROLLED_PREFIX}{sequence_id}"
    return repository.summary_item(tenant_id, partition, sk, ENROLLED_KIND, sequence_id, {"enrolled_at": enrolled_at})


def enroll(tenant_id: str, sequence_id: str, contact: Record, data: Mapping[str, Any]) -> bool:
    """Enroll the contact (as read: the transaction fails if it changed or went); False when it was enrolled
    before, or changed meanwhile."""
    work = UnitOfWork()
    work.require_unchanged(contact)
    work.put_item(_enrollment(tenant_id, sequence_id, contact.id, data), Item.sk.does_not_exist())
    work.put_item(_enrolled(tenant_id, sequence_id, contact.id, str(data["enrolled_at"])))
    stage_count(work, tenant_id, sequence_id, "enrolled")
    return _committed(work)


def enrollment_of(tenant_id: str, sequence_id: str, contact_id: str) -> dict[str, Any] | None:
    """The contact's enrollment (one strongly consistent GetItem), or None."""
    try:
        item = Item.get(_partition(tenant_id, sequence_id), f"{ENROLLMENT_PREFIX}{contact_id}", consistent_read=True)
    except Item.DoesNotExist:
        return None
    return item.summary_data() if isinstance(item, SummaryItem) else None


def enrollments(tenant_id: str, sequence_id: str) -> PartitionQuery:
    """The sequence and its enrollments by contact id (the sequence sorts first)."""
    partition = _partition(tenant_id, sequence_id)
    return PartitionQuery(partition, start=keys.META_SK, end=f"{ENROLLMENT_PREFIX}{keys.RANGE_END}")


def enrolled_in(tenant_id: str, contact_id: str) -> list[Summary]:
    """The contact's enrollments, one per sequence (ONE Query, paged as DynamoDB pages it)."""
    partition = keys.record_pk(tenant_id, CONTACT, contact_id)
    pattern = PartitionQuery(partition, start=ENROLLED_PREFIX, end=f"{ENROLLED_PREFIX}{keys.RANGE_END}")
    return list(repository.partition_summaries(pattern))


def move(
    tenant_id: str,
    sequence_id: str,
    contact_id: str,
    step: str | None,
    changes: Mapping[str, Any],
    counts: Iterable[str] = (),
) -> bool:
    """Apply `changes` to the enrollment's data (None removes a field) and add to `counts`, in one transaction, only
    while it is active at `step` (any step when None): False when it is not (moved or ended meanwhile)."""
    item = _enrollment(tenant_id, sequence_id, contact_id, {})
    condition = Item.sk.exists() & (SummaryItem.data["status"] == "active")
    if step is not None:
        condition &= SummaryItem.data["step"] == step
    actions = [
        SummaryItem.data[name].remove() if value is None else SummaryItem.data[name].set(value)
        for name, value in changes.items()
    ]
    work = UnitOfWork()
    work.update_item(item, actions, condition)
    for name in counts:
        stage_count(work, tenant_id, sequence_id, name)
    return _committed(work)


def stamp(tenant_id: str, sequence_id: str, contact_id: str, name: str, at: str) -> bool:
    """Stamp `name` (`replied_at`, `converted_at`) on an active enrollment, unless it holds a later time (events
    come in any order): its latest time."""
    item = _enrollment(tenant_id, sequence_id, contact_id, {})
    stamped = SummaryItem.data[name]
    later = stamped.does_not_exist() | (stamped < at)
    condition = Item.sk.exists() & (SummaryItem.data["status"] == "active") & later
    work = UnitOfWork()
    work.update_item(item, [stamped.set(at)], condition)
    return _committed(work)


def stage_count(work: UnitOfWork, tenant_id: str, sequence_id: str, name: str) -> None:
    repository.stage_count(work, tenant_id, _partition(tenant_id, sequence_id), f"{COUNT_PREFIX}{name}", 1)


def sequence_items(tenant_id: str, sequence_id: str) -> list[Item]:
    """Every enrollment, send and count of the sequence, and the enrollments' reverses (to erase them with it)."""
    partition = _partition(tenant_id, sequence_id)
    found = [
        *Item.query(partition, Item.sk.startswith(COUNT_PREFIX)),
        *Item.query(partition, Item.sk.startswith(SEND_PREFIX)),
    ]
    for item in Item.query(partition, Item.sk.startswith(ENROLLMENT_PREFIX)):
        found.append(item)
        if isinstance(item, SummaryItem):
            found.append(_enrolled(tenant_id, sequence_id, item.ref_id, ""))
    return found


def _committed(work: UnitOfWork) -> bool:
    try:
        work.commit()
    except repository.StaleVersion:
        return False
    return True
