"""Record storage over the single table: one request per operation, multi-item writes in one transaction.

Services hand over a `Record` and the uniqueness guards and parents it needs; this module turns them into
items and keys, runs them as one `TransactWriteItems`, and reports what went wrong as typed exceptions.
"""

from __future__ import annotations

import copy
import functools
import operator
import random
import time
from collections.abc import Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any, NamedTuple, Protocol

from boto3.dynamodb.types import TypeDeserializer  # type: ignore[import-untyped]
from pynamodb.exceptions import DeleteError, DoesNotExist, PutError, TransactWriteError, UpdateError
from pynamodb.expressions.condition import Condition
from pynamodb.expressions.update import Action
from pynamodb.models import Model
from pynamodb.transactions import TransactWrite

from rapport import contexts
from rapport.contexts import Kind
from rapport.dal import keys
from rapport.dal.access import IndexQuery, PartitionQuery
from rapport.dal.keys import IndexKeys as IndexKeys  # what services hand over for a record's write
from rapport.dal.keys import SearchEntry
from rapport.dal.models import CounterItem, ErasureItem, GuardItem, Item, RecordItem, SearchEntryItem, SummaryItem
from rapport.errors import Busy
from rapport.events.models import Erasure

TableItem = Item  # an item of the single table that a unit of work puts or deletes, as a store builds it
CONDITION_FAILED = "ConditionalCheckFailed"
MAX_TRANSACTION_ITEMS = 100
TRANSACTION_CONFLICT = "TransactionConflict"
ItemKey = tuple[str, str, str]  # table, partition key, sort key: the item an operation touches
# A transaction that DynamoDB cancels because another one touched one of its items at the same moment (a user's
# monthly stats, a contact's lifetime value, a parent many writes check) is sent again, after a short pause with
# full jitter that doubles each time: at most TRANSACTION_ATTEMPTS sends, about 0.3 s of pauses at worst.
TRANSACTION_ATTEMPTS = 4
CONFLICT_PAUSE_S = 0.04
# Who erased a record is kept longer than the table's stream keeps the erase (24 hours), for its event.
ERASURE_KEPT = timedelta(days=7)


class AsRead(NamedTuple):
    """What a record held when it was read from the table (its data as stored, trash marks, and stamps)."""

    data: dict[str, Any]
    deleted_at: str | None
    deleted_by: str | None
    updated_at: str
    updated_by: str


@dataclass
class Record:
    kind: Kind
    id: str
    tenant_id: str
    data: dict[str, Any]
    created_at: str
    created_by: str
    updated_at: str
    updated_by: str
    deleted_at: str | None = None
    deleted_by: str | None = None
    version: int | None = None
    entries: frozenset[str] = frozenset()  # the sort keys of its search entries, as stored
    as_read: AsRead | None = field(default=None, compare=False, repr=False)

    @property
    def deleted(self) -> bool:
        return self.deleted_at is not None

    @property
    def unchanged(self) -> bool:
        """Read from the table and holding what it held then, whatever its stamps (`updated_at`, `updated_by`)."""
        read = self.as_read
        return read is not None and (compact(self.data), self.deleted_at, self.deleted_by) == (
            read.data,
            read.deleted_at,
            read.deleted_by,
        )


class Guard(NamedTuple):
    """A unique value a record holds: `field` names what it is (EMAIL, DOMAIN...), as the record's context says."""

    field: str
    value: str


class Parent(NamedTuple):
    kind: Kind
    id: str


class Changes(NamedTuple):
    """What a write does besides putting the record: guards it takes or frees, live parents it needs, and
    guards that must stay free (held by no one: another kind's unique values this record must not meet)."""

    take: Sequence[Guard] = ()
    free: Sequence[Guard] = ()
    parents: Sequence[Parent] = ()
    absent: Sequence[Guard] = ()


NO_CHANGES = Changes()


class GuardTaken(Exception):
    def __init__(self, guard: Guard, owner_kind: str, owner_id: str) -> None:
        super().__init__(f"{guard.field} {guard.value} belongs to {owner_kind} {owner_id}")
        self.guard = guard
        self.owner_kind = owner_kind
        self.owner_id = owner_id


class StaleVersion(Exception):
    """The record changed (or vanished) since the version the write was based on; `subject` is the `Record` or
    the item whose condition failed."""

    def __init__(self, subject: object = None) -> None:
        super().__init__("the item changed since it was read")
        self.subject = subject


class TooManyWrites(Exception):
    """A write that touches more items than one transaction holds (MAX_TRANSACTION_ITEMS): nothing was sent."""

    def __init__(self, items: int) -> None:
        super().__init__(f"{items} items in one write; a transaction holds at most {MAX_TRANSACTION_ITEMS}")
        self.items = items


class LeaseLost(Exception):
    """The write was fenced by a lease that another holder has taken over: nothing was written."""


class Fence(Protocol):
    """An item that every write made under it also updates, on a condition (a lease still held)."""

    def fence(self, created: Sequence[str]) -> tuple[Model, list[Action], Condition]:
        """The update that goes with a write creating the records `created` (`<KIND>#<id>`)."""
        ...


_FENCE: ContextVar[Fence | None] = ContextVar("fence", default=None)


@contextmanager
def fenced(fence: Fence) -> Iterator[None]:
    """Every unit of work committed within also writes `fence`'s update in its transaction, and fails whole
    (`LeaseLost`) when its condition fails (rapport.dal.idempotency: a write and "this key wrote" commit together)."""
    token = _FENCE.set(fence)
    try:
        yield
    finally:
        _FENCE.reset(token)


class ParentMissing(Exception):
    def __init__(self, parent: Parent) -> None:
        super().__init__(f"{parent.kind} {parent.id} does not exist or is deleted")
        self.parent = parent


@dataclass
class QueryPage:
    records: list[Record] = field(default_factory=list)
    next_position: dict[str, str] | None = None


class Summary(NamedTuple):
    """A summary item as read back: where it sorts in its partition, what it summarizes, and its copy."""

    sk: str
    kind: str
    ref_id: str
    data: dict[str, Any]


@dataclass
class PartitionPage:
    """One Query's worth of a record's partition: its record (if read) and the summaries, in key order."""

    record: Record | None = None
    summaries: list[Summary] = field(default_factory=list)
    next_position: dict[str, str] | None = None  # where DynamoDB stopped reading, if it did


def _copied(record: Record) -> dict[str, Any]:
    """What a record's item and each of its search entries hold of it."""
    return {
        "tenant_id": record.tenant_id,
        "kind": record.kind.code,
        "id": record.id,
        "data": compact(record.data),
        "created_at": record.created_at,
        "created_by": record.created_by,
        "updated_at": record.updated_at,
        "updated_by": record.updated_by,
    }


def _to_item(record: Record, index_keys: IndexKeys) -> RecordItem:
    versioned: dict[str, Any] = {} if record.version is None else {"version": record.version}
    entries = {entry.sk for entry in index_keys.entries}
    return RecordItem(
        keys.record_pk(record.tenant_id, record.kind, record.id),
        keys.META_SK,
        **_copied(record),
        deleted_at=record.deleted_at,
        deleted_by=record.deleted_by,
        search_entries=entries or None,
        **versioned,
        **index_keys.attributes(),
    )


def _entry_item(record: Record, entry: SearchEntry, version: int) -> SearchEntryItem:
    """`record` as of `version` under one of its search entries."""
    return SearchEntryItem(
        keys.record_pk(record.tenant_id, record.kind, record.id),
        entry.sk,
        **_copied(record),
        version=version,
        words=entry.words,
        **_placed(entry),
    )


def _placed(entry: SearchEntry) -> dict[str, Any]:
    return {f"{entry.index}pk": entry.pk, f"{entry.index}sk": entry.index_sk}


def _as_stored(record: Record) -> AsRead:
    data = copy.deepcopy(compact(record.data))
    return AsRead(data, record.deleted_at, record.deleted_by, record.updated_at, record.updated_by)


def record_of(item: RecordItem | SearchEntryItem) -> Record:
    """The record an item (or one of its search entries) holds."""
    entries = frozenset(item.search_entries or ()) if isinstance(item, RecordItem) else frozenset()
    record = Record(
        kind=contexts.kind(item.kind),
        id=item.id,
        tenant_id=item.tenant_id,
        data=plain(item.data),
        created_at=item.created_at,
        created_by=item.created_by,
        updated_at=item.updated_at,
        updated_by=item.updated_by,
        deleted_at=item.deleted_at if isinstance(item, RecordItem) else None,
        deleted_by=item.deleted_by if isinstance(item, RecordItem) else None,
        version=None if item.version is None else int(item.version),
        entries=entries,
    )
    record.as_read = _as_stored(record)
    return record


def compact(value: Any) -> Any:
    """Drop None and empty containers: absent attributes cost nothing and read back as unset."""
    if isinstance(value, dict):
        pairs = ((key, compact(inner)) for key, inner in value.items())
        return {key: inner for key, inner in pairs if inner not in (None, {}, [])}
    if isinstance(value, list):
        return [compact(inner) for inner in value]
    return value


def plain(value: Any) -> Any:
    """A value read from an item as plain Python: maps as dicts, lists as lists."""
    if hasattr(value, "as_dict"):
        value = value.as_dict()
    if isinstance(value, dict):
        return {key: plain(inner) for key, inner in value.items()}
    if isinstance(value, list):
        return [plain(inner) for inner in value]
    return value


def _guard_item(tenant_id: str, guard: Guard, owner: Record | None = None) -> GuardItem:
    return GuardItem(
        keys.guard_pk(tenant_id, guard.field, guard.value),
        keys.GUARD_SK,
        tenant_id=tenant_id,
        owner_kind=owner.kind.code if owner else "",
        owner_id=owner.id if owner else "",
    )


def get(tenant_id: str, kind: Kind, record_id: str) -> Record | None:
    try:
        item = RecordItem.get(keys.record_pk(tenant_id, kind, record_id), keys.META_SK, consistent_read=True)
    except DoesNotExist:
        return None
    return record_of(item)


def get_records(tenant_id: str, wanted: Iterable[Parent]) -> dict[Parent, Record]:
    """The records `wanted` that exist: one BatchGetItem (up to 100 keys), strongly consistent."""
    records, _ = get_records_and_summaries(tenant_id, wanted, ())
    return records


def get_records_and_summaries(
    tenant_id: str, wanted: Iterable[Parent], summaries: Iterable[SummaryItem]
) -> tuple[dict[Parent, Record], list[Summary]]:
    """The records `wanted` and the `summaries` (items by key, as a store builds them) that exist: one
    BatchGetItem (up to 100 keys in all), strongly consistent."""
    by_key = {(keys.record_pk(tenant_id, record.kind, record.id), keys.META_SK): record for record in set(wanted)}
    item_keys = [*by_key, *dict.fromkeys((item.pk, item.sk) for item in summaries)]
    items = Item.batch_get(item_keys, consistent_read=True) if item_keys else []
    records: dict[Parent, Record] = {}
    found: list[Summary] = []
    for item in items:
        if isinstance(item, RecordItem):
            records[by_key[(item.pk, item.sk)]] = record_of(item)
        elif isinstance(item, SummaryItem):
            found.append(_summary(item))
    return records, found


def get_many(tenant_id: str, kind: Kind, record_ids: Iterable[str]) -> dict[str, Record]:
    """The records of `kind` with these ids that exist, by id: one BatchGetItem (at most 100 ids)."""
    wanted = [(keys.record_pk(tenant_id, kind, record_id), keys.META_SK) for record_id in set(record_ids)]
    found = RecordItem.batch_get(wanted) if wanted else []
    return {item.id: record_of(item) for item in found if isinstance(item, RecordItem)}


def guard_owner(tenant_id: str, guard: Guard) -> tuple[str, str] | None:
    try:
        item = GuardItem.get(keys.guard_pk(tenant_id, guard.field, guard.value), keys.GUARD_SK)
    except DoesNotExist:
        return None
    return item.owner_kind, item.owner_id


def guard_owners(tenant_id: str, guards: Iterable[Guard]) -> dict[Guard, tuple[str, str]]:
    """The kind and id of the record holding each of `guards` that one holds: one BatchGetItem (at most 100)."""
    wanted = {keys.guard_pk(tenant_id, guard.field, guard.value): guard for guard in guards}
    found = GuardItem.batch_get([(pk, keys.GUARD_SK) for pk in wanted], consistent_read=True) if wanted else []
    return {wanted[item.pk]: (item.owner_kind, item.owner_id) for item in found if isinstance(item, GuardItem)}


def summary_item(
    tenant_id: str, partition: str, sk: str, kind: Kind | str, ref_id: str, data: Mapping[str, Any]
) -> SummaryItem:
    """A copy of `kind` `ref_id`'s data for the reads of the record whose partition is `partition`."""
    return SummaryItem(partition, sk, tenant_id=tenant_id, kind=str(kind), ref_id=ref_id, data=compact(dict(data)))


def counter_adding(tenant_id: str, by: float) -> list[Action]:
    """The update actions that ADD `by` to a counter item, which they make (its type, its tenant) when it is new."""
    return [CounterItem.item_type.set(CounterItem), CounterItem.tenant_id.set(tenant_id), CounterItem.value.add(by)]


def stage_count(
    work: UnitOfWork, tenant_id: str, pk: str, sk: str, by: float, condition: Condition | None = None
) -> None:
    """ADD `by` to the counter at `pk`/`sk` in `work`'s transaction (only while `condition` holds)."""
    work.update_item(CounterItem(pk, sk), counter_adding(tenant_id, by), condition)


def write(
    record: Record, index_keys: IndexKeys, changes: Changes = NO_CHANGES, work: UnitOfWork | None = None
) -> Record:
    """Put `record` (new when its version is None, else only over that version) with its guards, atomically.

    `work` holds further writes (summaries in other partitions) to commit in the same transaction.
    Returns the record with its new version.
    """
    work = work or UnitOfWork()
    stage_write(work, record, index_keys, changes)
    work.commit()
    return record


def stage_write(work: UnitOfWork, record: Record, index_keys: IndexKeys, changes: Changes = NO_CHANGES) -> None:
    """Add to `work` what `write` does, for a caller that commits several records' writes as one."""
    for parent in changes.parents:
        work.require_live(record.tenant_id, parent)
    for guard in changes.absent:
        work.require_absent(record.tenant_id, guard)
    for guard in changes.free:
        work.free(record, guard)
    work.put_record(record, index_keys)
    for guard in changes.take:
        work.take(record, guard)


def erasure(tenant_id: str, kind: Kind, record_id: str) -> Erasure | None:
    try:
        item = ErasureItem.get(keys.erasure_pk(tenant_id, kind, record_id), consistent_read=True)
    except DoesNotExist:
        return None
    return Erasure(item.erased_by, item.erased_at)


def erase(record: Record, guards: Iterable[Guard], work: UnitOfWork | None = None, *, by: str, at: str) -> None:
    """Delete `record` (only at its current version) by `by` at `at` and free its guards, atomically, with `work`'s
    writes."""
    work = work or UnitOfWork()
    work.delete_record(record, by=by, at=at)
    for guard in guards:
        work.free(record, guard)
    work.commit()


class UnitOfWork:
    """Writes to several items that succeed or fail together: one request, a transaction when it takes more.

    A transaction takes one operation an item, so the unit keeps one per item: a condition check on an item it
    also writes (a live parent that the same unit creates or changes, a parent checked by two writes) is folded
    into that operation (`_Operation.absorb`), and so callers stage what their records need without knowing what
    else the unit holds. Two writes of one item are a programming error (`ValueError`), never sent.

    A failed condition is raised as the typed exception of the operation that failed: `GuardTaken`,
    `ParentMissing`, or `StaleVersion` (for a record, or for any other item whose condition failed). A transaction
    that other transactions keep meeting on its items (DynamoDB's TransactionConflict; for a single write, its
    TransactionConflictException) is sent again a few times, then raised as `rapport.errors.Busy` (409: retry).

    Putting a record that holds what it held when read (only its stamps moved: a PATCH that changes nothing) writes
    nothing: its version stays, no event is published, and it keeps its stamps. In a transaction it is a check that
    the record is still at that version; a unit of work that writes nothing sends nothing.
    """

    def __init__(self) -> None:
        self._operations: list[_Operation] = []
        self._positions: dict[ItemKey, int] = {}
        self._versioned: list[tuple[Record, RecordItem]] = []
        self._unchanged: list[Record] = []
        self._created: list[str] = []

    @property
    def size(self) -> int:
        """How many items the write touches (a transaction takes at most MAX_TRANSACTION_ITEMS), its fence's too."""
        return len(self._operations) + (_FENCE.get() is not None)

    def staged(self, tenant_id: str, kind: Kind, record_id: str) -> Record | None:
        """The record this unit puts at `kind` `record_id`, as it will be written; None if it puts none."""
        position = self._positions.get(_record_key(tenant_id, kind, record_id))
        operation = self._operations[position] if position is not None else None
        if operation is None or operation.role != "record" or operation.action != "put":
            return None
        record: Record = operation.subject
        return record

    def put_record(self, record: Record, index_keys: IndexKeys) -> None:
        """Put `record`: new when its version is None, else only over that version (unless it and its search entries
        are unchanged: then only check that version); with its search entries as `index_keys` has them (copies of it
        as written), and without the ones it had that they no longer are."""
        if record.unchanged and record.entries == {entry.sk for entry in index_keys.entries}:
            key = _record_key(record.tenant_id, record.kind, record.id)
            self._add(_Operation("check", "record", record, key[1:], RecordItem.version == record.version, key))
            self._unchanged.append(record)
            return
        item = _to_item(record, index_keys)
        if record.version is None:
            self._created.append(f"{record.kind}#{record.id}")
        condition = Item.pk.does_not_exist() if record.version is None else None
        self._add(_Operation("put", "record", record, item, condition, _key_of(item)))
        self._versioned.append((record, item))
        written = (record.version or 0) + 1
        for entry in index_keys.entries:
            self.put_item(_entry_item(record, entry, written))
        self._delete_entries(record, record.entries - {entry.sk for entry in index_keys.entries})

    def require_unchanged(self, record: Record) -> None:
        """Check that `record` is still at the version it was read at (`StaleVersion` for it if it moved): for a
        write decided from what the record held."""
        key = _record_key(record.tenant_id, record.kind, record.id)
        self._add(_Operation("check", "record", record, key[1:], RecordItem.version == record.version, key))

    def delete_record(self, record: Record, *, by: str, at: str) -> None:
        """Delete `record`, only at its current version, and its search entries, noting who did it and when for its
        `erased` event."""
        item = _to_item(record, IndexKeys())
        self._add(_Operation("delete", "record", record, item, None, _key_of(item)))
        self._delete_entries(record, record.entries)
        expires = datetime.fromisoformat(at) + ERASURE_KEPT
        tombstone = ErasureItem(keys.erasure_pk(record.tenant_id, record.kind, record.id), expires_at=expires)
        tombstone.erased_by, tombstone.erased_at = by, at
        self.put_item(tombstone)

    def _delete_entries(self, record: Record, entries: Iterable[str]) -> None:
        partition = keys.record_pk(record.tenant_id, record.kind, record.id)
        for sk in sorted(entries):
            self.delete_item(SearchEntryItem(partition, sk))

    def take(self, record: Record, guard: Guard) -> None:
        item = _guard_item(record.tenant_id, guard, record)
        self._add(_Operation("put", "take", guard, item, Item.pk.does_not_exist(), _key_of(item)))

    def free(self, record: Record, guard: Guard) -> None:
        item = _guard_item(record.tenant_id, guard)
        self._add(_Operation("delete", "free", guard, item, GuardItem.owner_id == record.id, _key_of(item)))

    def require_live(self, tenant_id: str, parent: Parent, *, trashed_ok: bool = False) -> None:
        """The write happens only if `parent` exists and is not trashed (or, `trashed_ok`, only exists)."""
        key = _record_key(tenant_id, parent.kind, parent.id)
        condition = RecordItem.pk.exists()
        if not trashed_ok:
            condition &= RecordItem.deleted_at.does_not_exist()
        self._add(_Operation("check", "parent", parent, key[1:], condition, key, trashed_ok=trashed_ok))

    def require_absent(self, tenant_id: str, guard: Guard) -> None:
        """The write happens only if no record holds `guard`; else `GuardTaken` names the one that does."""
        key = (Item.Meta.table_name, keys.guard_pk(tenant_id, guard.field, guard.value), keys.GUARD_SK)
        condition = Item.pk.does_not_exist()
        self._add(_Operation("check", "absent", (tenant_id, guard), key[1:], condition, key))

    def put_item(self, item: Model, condition: Condition | None = None) -> None:
        self._add(_Operation("put", "item", item, item, condition, _key_of(item)))

    def delete_item(self, item: Model, condition: Condition | None = None) -> None:
        self._add(_Operation("delete", "item", item, item, condition, _key_of(item)))

    def update_item(
        self, item: Model, actions: list[Action], condition: Condition | None = None, parent: Parent | None = None
    ) -> None:
        """Update `item`; with `parent`, a failed `condition` means that record is missing (`ParentMissing`)."""
        role, subject = ("parent", parent) if parent else ("item", item)
        self._add(_Operation("update", role, subject, (item, actions), condition, _key_of(item)))

    def replace_items(self, old: Iterable[Item], new: Iterable[Item]) -> None:
        """Put every item of `new`; delete the items of `old` that `new` does not put again (by key)."""
        new = list(new)
        kept = {(item.pk, item.sk) for item in new}
        for item in old:
            if (item.pk, item.sk) not in kept:
                self.delete_item(item)
        for item in new:
            self.put_item(item)

    def join(self, other: UnitOfWork) -> bool:
        """Take `other`'s writes into this unit, to be committed with its own, unless the two touch one item (then
        False, and this unit is as it was): for writes staged apart that may be sent together (an import's rows)."""
        if self._positions.keys() & other._positions.keys():
            return False
        for operation in other._operations:
            self._add(operation)
        self._versioned += other._versioned
        self._unchanged += other._unchanged
        self._created += other._created
        return True

    def _add(self, operation: _Operation) -> None:
        position = self._positions.get(operation.key)
        if position is None:
            self._positions[operation.key] = len(self._operations)
            self._operations.append(operation)
            return
        staged = self._operations[position]
        if operation.action == "check":
            self._operations[position] = staged.absorb(operation)
        elif staged.action == "check":
            self._operations[position] = operation.absorb(staged)
        else:
            raise ValueError(f"One transaction would write the item {operation.key} twice.")

    def commit(self) -> None:
        """Write it all, or raise `TooManyWrites` (before sending) when one transaction cannot hold it."""
        operations = list(self._operations)
        writes = any(operation.action != "check" for operation in operations)
        fence = _FENCE.get()
        if fence is not None and writes:
            item, actions, condition = fence.fence(self._created)
            operations.append(_Operation("update", "fence", fence, (item, actions), condition, _key_of(item)))
        if len(operations) > MAX_TRANSACTION_ITEMS:
            raise TooManyWrites(len(operations))
        if len(operations) == 1 and writes:
            self._commit_alone(operations[0])
        elif writes:
            self._commit_transaction(operations)
        for record, item in self._versioned:
            record.version = item.version
            record.entries = frozenset(item.search_entries or ())
            record.as_read = _as_stored(record)
        for record in self._unchanged:
            assert record.as_read is not None
            record.updated_at, record.updated_by = record.as_read.updated_at, record.as_read.updated_by

    def _commit_alone(self, operation: _Operation) -> None:
        """One item needs no transaction, which would cost twice the write capacity.

        A single write is refused too (TransactionConflictException) while a transaction on its item is under
        way, and botocore does not retry that: it is sent again like a conflicting transaction.
        """
        for attempt in range(TRANSACTION_ATTEMPTS):
            try:
                operation.run_alone()
            except (PutError, DeleteError, UpdateError) as error:
                if error.cause_response_code == "ConditionalCheckFailedException":
                    raise operation.failure(None) from error
                if error.cause_response_code != "TransactionConflictException":
                    raise
                if attempt == TRANSACTION_ATTEMPTS - 1:
                    raise _busy() from error
                _pause(attempt)
            else:
                return

    def _commit_transaction(self, operations: list[_Operation]) -> None:
        """One TransactWriteItems; sent again while DynamoDB cancels it for a conflict with another transaction.

        Sending again is safe: PynamoDB raises the local version of saved and updated items only once the
        transaction succeeds, so each send is built from the same state and is the same request.
        """
        for attempt in range(TRANSACTION_ATTEMPTS):
            try:
                with TransactWrite(connection=Item._get_connection().connection) as transaction:
                    for operation in operations:
                        operation.add_to(transaction)
            except TransactWriteError as error:
                reasons = error.cancellation_reasons
                for operation, reason in zip(_send_order(operations), reasons, strict=False):
                    if reason is not None and reason.code == CONDITION_FAILED:
                        raise operation.failure(reason.raw_item) from error
                if not any(reason is not None and reason.code == TRANSACTION_CONFLICT for reason in reasons):
                    raise
                if attempt == TRANSACTION_ATTEMPTS - 1:
                    raise _busy() from error
                _pause(attempt)
            else:
                return


class _Operation(NamedTuple):
    """One item of a write: `action` is how it is sent, `role` what a failed condition on it means, `key` the
    item it touches; `trashed_ok` for a parent check that a trashed parent passes."""

    action: str
    role: str
    subject: Any
    target: Any
    condition: Condition | None
    key: ItemKey
    trashed_ok: bool = False

    def absorb(self, check: _Operation) -> _Operation:
        """This operation with `check`, a condition check on the same item, folded in.

        A record this unit puts or deletes is, after the transaction, what the unit makes it, and the write's own
        condition (a new record, or the version read) covers its state before: a parent check on it is decided
        here. Any other operation takes the check's condition beside its own.
        """
        if self.role == "record":
            record: Record = self.subject
            gone = self.action == "delete" or (record.deleted and not check.trashed_ok)
            if check.role == "parent" and gone:
                raise ParentMissing(check.subject)
            return self
        condition = check.condition if self.condition is None else self.condition & check.condition
        if self.role == "item":  # an unconditional write fails only by the check
            return self._replace(role=check.role, subject=check.subject, condition=condition)
        return self._replace(condition=condition, trashed_ok=self.trashed_ok and check.trashed_ok)

    def add_to(self, transaction: TransactWrite) -> None:
        if self.action == "check":
            pk, sk = self.target
            transaction.condition_check(RecordItem, pk, sk, condition=self.condition)
        elif self.action == "put":
            returns = "ALL_OLD" if self.role == "take" else None
            transaction.save(self.target, condition=self.condition, return_values=returns)
        elif self.action == "delete":
            transaction.delete(self.target, condition=self.condition, add_version_condition=self.role == "record")
        else:
            item, actions = self.target
            # Copies (here and alone): PynamoDB appends the version's increment to the list it is given, and a
            # resend builds the request again.
            transaction.update(item, list(actions), condition=self.condition, add_version_condition=False)

    def run_alone(self) -> None:
        if self.action == "put":
            self.target.save(condition=self.condition)
        elif self.action == "delete":
            self.target.delete(condition=self.condition, add_version_condition=self.role == "record")
        elif self.action == "update":
            item, actions = self.target
            item.update(list(actions), condition=self.condition, add_version_condition=False)
        else:
            raise ValueError("a condition check alone writes nothing")

    def failure(self, raw_item: dict[str, Any] | None) -> Exception:
        """What it means that this item's condition failed; `raw_item` is the item as it was, if returned."""
        if self.role == "take":
            if raw_item and "owner_id" in raw_item:
                return GuardTaken(self.subject, raw_item["owner_kind"]["S"], raw_item["owner_id"]["S"])
            return GuardTaken(self.subject, *(guard_owner(self.target.tenant_id, self.subject) or ("", "")))
        if self.role == "absent":
            tenant_id, guard = self.subject
            return GuardTaken(guard, *(guard_owner(tenant_id, guard) or ("", "")))
        if self.role == "parent":
            return ParentMissing(self.subject)
        if self.role == "fence":
            return LeaseLost()
        return StaleVersion(self.subject)


def _key_of(item: Model) -> ItemKey:
    hash_key, range_key = item._get_hash_range_key_serialized_values()
    return item.Meta.table_name, str(hash_key), str(range_key)


def _record_key(tenant_id: str, kind: Kind, record_id: str) -> ItemKey:
    return Item.Meta.table_name, keys.record_pk(tenant_id, kind, record_id), keys.META_SK


def _busy() -> Busy:
    return Busy("The record is busy: other changes to it were under way at the same moment; retry.")


def _pause(attempt: int) -> None:
    """Before the send after `attempt` (0 for the first): up to CONFLICT_PAUSE_S, doubled per attempt, at random."""
    time.sleep(random.uniform(0, CONFLICT_PAUSE_S * 2**attempt))  # noqa: S311 - jitter, not a secret


def _send_order(operations: list[_Operation]) -> list[_Operation]:
    """PynamoDB sends a transaction's items grouped: checks, deletes, puts, then updates."""
    rank = {"check": 0, "delete": 1, "put": 2, "update": 3}
    return sorted(operations, key=lambda operation: rank[operation.action])


def sort_key_range(sort_key: Any, start: str | None, end: str | None) -> Condition | None:
    """Sort keys from `start` to `end`, both inclusive, either open."""
    if start is not None and end is not None:
        return sort_key.between(start, end)  # type: ignore[no-any-return]
    if start is not None:
        return sort_key >= start  # type: ignore[no-any-return]
    if end is not None:
        return sort_key <= end  # type: ignore[no-any-return]
    return None


Position = dict[str, str]
Listed = RecordItem | SearchEntryItem


def _condition(pattern: IndexQuery, *, count_parent: bool) -> Condition | None:
    """The sort key condition of an index pattern: a prefix, an upper bound or a range (one at most)."""
    sort_key = getattr(Item, f"{pattern.index}sk")
    if pattern.prefix and pattern.before:
        raise ValueError("a Query takes one sort key condition: a prefix or an upper bound")
    if pattern.before:
        return sort_key < pattern.before  # type: ignore[no-any-return]
    if pattern.prefix:
        return sort_key.startswith(pattern.prefix)  # type: ignore[no-any-return]
    if pattern.start is not None or pattern.end is not None:
        return sort_key_range(sort_key, pattern.start, pattern.end)
    if pattern.index == "gsi4" and not count_parent:
        return sort_key > keys.PARENT_SK  # type: ignore[no-any-return]
    return None


def _filter(pattern: IndexQuery) -> Condition | None:
    filters = [SearchEntryItem.words.contains(f" {word}") for word in pattern.words]
    filters += [_data_path(name) == value for name, value in (pattern.data_equals or {}).items()]
    return functools.reduce(operator.and_, filters) if filters else None


def _data_path(name: str) -> Any:
    """The path of a field of an item's `data`, nested by dots (`rfm.segment`)."""
    path = SearchEntryItem.data
    for part in name.split("."):
        path = path[part]
    return path


def _query_items(
    pattern: IndexQuery, count: int, position: Position | None, *, count_parent: bool = False
) -> tuple[list[Listed], Position | None]:
    """ONE Query of at most `count` items: the records and search entries it found, and where DynamoDB stopped
    (set when it read `count` items, or 1 MB). `words` keeps only entries whose name has a word starting with each,
    `data_equals` those whose data has these values (filters: the items they drop were read, and count to `count`)."""
    results = getattr(Item, pattern.index).query(
        pattern.partition,
        range_key_condition=_condition(pattern, count_parent=count_parent),
        filter_condition=_filter(pattern),
        scan_index_forward=not pattern.newest_first,
        page_size=count,
        last_evaluated_key={name: {"S": value} for name, value in position.items()} if position else None,
    )
    raw = results.page_iter.next()
    items = [Item.from_raw_data(entry) for entry in raw.get("Items", [])]
    last = raw.get("LastEvaluatedKey")
    found = [item for item in items if isinstance(item, RecordItem | SearchEntryItem)]
    return found, ({name: value["S"] for name, value in last.items()} if last else None)


def _page(items: list[Listed], stopped_at: Position | None, index: str, limit: int) -> QueryPage:
    """The first `limit` items as records, each once (a record found by two of its entries shows once per page)."""
    page = QueryPage()
    seen: set[str] = set()
    for item in items[:limit]:
        if item.id not in seen:
            seen.add(item.id)
            page.records.append(record_of(item))
    if len(items) > limit:
        last = items[limit - 1]
        page.next_position = {
            "pk": last.pk,
            "sk": last.sk,
            f"{index}pk": getattr(last, f"{index}pk"),
            f"{index}sk": getattr(last, f"{index}sk"),
        }
    else:
        page.next_position = stopped_at
    return page


def query(pattern: IndexQuery, *, limit: int, position: Position | None = None) -> QueryPage:
    """ONE Query of `pattern`: at most `limit` records, and where the next page starts if there is one. A pattern
    that filters (`words`, `data_equals`) may give a page of fewer than `limit` that still goes on."""
    items, stopped_at = _query_items(pattern, limit + 1, position)
    return _page(items, stopped_at, pattern.index, limit)


def records(pattern: IndexQuery) -> Iterator[Record]:
    """Every record of `pattern`, each once, found by its own item or a search entry: one Query, paged as DynamoDB
    pages it (for the unattended jobs and the reports)."""
    results = getattr(Item, pattern.index).query(
        pattern.partition,
        range_key_condition=_condition(pattern, count_parent=False),
        filter_condition=_filter(pattern),
        scan_index_forward=not pattern.newest_first,
    )
    seen: set[str] = set()
    for item in results:
        if isinstance(item, RecordItem | SearchEntryItem) and item.id not in seen:
            seen.add(item.id)
            yield record_of(item)


def read_partition(pattern: PartitionQuery, *, limit: int, position: Position | None = None) -> PartitionPage:
    """ONE Query of `pattern` on the base table, strongly consistent.

    Reads at most `limit` items; with `kinds`, returns only records and summaries of those kinds (the others are
    read, and count to `limit`: DynamoDB filters after reading, and only on attributes that are not keys).
    Exactly one request: DynamoDB's page is the answer, and `next_position` says where it stopped, if it did.
    """
    entries, next_position = _one_page(
        pattern.partition,
        limit=limit,
        position=position,
        range_key_condition=sort_key_range(Item.sk, pattern.start, pattern.end),
        filter_condition=SummaryItem.kind.is_in(*pattern.kinds) if pattern.kinds else None,
    )
    page = PartitionPage(next_position=next_position)
    for item in (Item.from_raw_data(entry) for entry in entries):
        if isinstance(item, RecordItem):
            page.record = record_of(item)
        elif isinstance(item, SummaryItem):
            page.summaries.append(_summary(item))
    return page


def _one_page(
    partition: str,
    *,
    limit: int,
    position: Position | None,
    range_key_condition: Condition | None = None,
    filter_condition: Condition | None = None,
) -> tuple[list[dict[str, Any]], Position | None]:
    """ONE strongly consistent Query of `partition`: its raw items, and where DynamoDB stopped reading, if it did."""
    results = Item.query(
        partition,
        range_key_condition=range_key_condition,
        filter_condition=filter_condition,
        consistent_read=True,
        page_size=limit,
        last_evaluated_key={name: {"S": value} for name, value in position.items()} if position else None,
    )
    raw = results.page_iter.next()
    last = raw.get("LastEvaluatedKey")
    return list(raw.get("Items", [])), {name: value["S"] for name, value in last.items()} if last else None


@dataclass
class HeldPage:
    """One Query's worth of a record's partition, every item as the plain data it holds (its keys left out)."""

    items: list[dict[str, Any]] = field(default_factory=list)
    next_position: dict[str, str] | None = None


_KEY_ATTRIBUTES = frozenset({"pk", "sk", *(f"gsi{n}{part}" for n in range(1, 5) for part in ("pk", "sk"))})
_deserializer = TypeDeserializer()


def held_in(tenant_id: str, kind: Kind, record_id: str, *, limit: int, position: Position | None = None) -> HeldPage:
    """ONE Query of the record's whole partition: what each of its items holds (any kind of item: the record, its
    summaries, ledger entries, counters), without the keys, in key order; for a person's copy of what is kept about
    them."""
    entries, next_position = _one_page(keys.record_pk(tenant_id, kind, record_id), limit=limit, position=position)
    return HeldPage(
        items=[
            {name: _deserializer.deserialize(value) for name, value in entry.items() if name not in _KEY_ATTRIBUTES}
            for entry in entries
        ],
        next_position=next_position,
    )


def after(pattern: PartitionQuery, sk: str) -> Position:
    """Where a read of `pattern` goes on after the item at `sk` (a page's cursor)."""
    return {"pk": pattern.partition, "sk": sk}


def _summary(item: SummaryItem) -> Summary:
    return Summary(item.sk, item.kind, item.ref_id, plain(item.summary_data()))


@dataclass
class SummaryPage:
    summaries: list[Summary] = field(default_factory=list)
    next_position: dict[str, str] | None = None


def _index_summaries(pattern: IndexQuery) -> Iterator[SummaryItem]:
    results = getattr(Item, pattern.index).query(
        pattern.partition,
        range_key_condition=_condition(pattern, count_parent=True),
        scan_index_forward=not pattern.newest_first,
    )
    return (item for item in results if isinstance(item, SummaryItem))


def summaries_page(pattern: IndexQuery, *, limit: int, position: Position | None = None) -> SummaryPage:
    """ONE Query of summaries placed in an index (`pattern`): at most `limit`, and where the next page starts if
    there is one. It reads `limit` + 1 items; a pattern that filters (`data_equals`) keeps those that match, so its
    page may hold fewer than `limit`, even none, and still go on: each page starts where the last one stopped
    reading, so following the cursors reads the partition once and ends."""
    results = getattr(Item, pattern.index).query(
        pattern.partition,
        range_key_condition=_condition(pattern, count_parent=True),
        filter_condition=_filter(pattern),
        scan_index_forward=not pattern.newest_first,
        page_size=limit + 1,
        last_evaluated_key={name: {"S": value} for name, value in position.items()} if position else None,
    )
    raw = results.page_iter.next()
    found = (Item.from_raw_data(entry) for entry in raw.get("Items", []))
    items = [item for item in found if isinstance(item, SummaryItem)]
    last = raw.get("LastEvaluatedKey")
    page = SummaryPage(
        summaries=[_summary(item) for item in items[:limit]],
        next_position={name: value["S"] for name, value in last.items()} if last else None,
    )
    if len(items) > limit:
        last = items[limit - 1]
        page.next_position = {
            "pk": last.pk,
            "sk": last.sk,
            f"{pattern.index}pk": getattr(last, f"{pattern.index}pk"),
            f"{pattern.index}sk": getattr(last, f"{pattern.index}sk"),
        }
    return page


def indexed_summaries(pattern: IndexQuery) -> Iterator[Summary]:
    """Every summary placed in an index partition (`pattern`): one Query, paged as DynamoDB pages it (for the
    unattended jobs)."""
    return (_summary(item) for item in _index_summaries(pattern))


def partition_summaries(pattern: PartitionQuery) -> Iterator[Summary]:
    """Every summary of `pattern`, in key order (as many Queries as it takes): for erasures."""
    condition = sort_key_range(Item.sk, pattern.start, pattern.end)
    filtered = SummaryItem.kind.is_in(*pattern.kinds) if pattern.kinds else None
    for item in Item.query(pattern.partition, condition, filter_condition=filtered):
        if isinstance(item, SummaryItem):
            yield _summary(item)


def unindexed(kinds: Iterable[Kind]) -> Iterator[Record]:
    """The live records of `kinds` written before they had search entries: a Scan, for maintenance only."""
    for item in RecordItem.scan(RecordItem.kind.is_in(*(kind.code for kind in kinds))):
        if isinstance(item, RecordItem) and item.search_entries is None and item.deleted_at is None:
            yield record_of(item)


def delete_items(items: Iterable[Model]) -> None:
    """Delete `items` by key, in batches (not a transaction): for erasures that follow a committed one."""
    with Item.batch_write() as batch:
        for item in items:
            batch.delete(item)


def query_with_parent(pattern: IndexQuery, *, limit: int, position: Position | None) -> tuple[Record | None, QueryPage]:
    """One Query of a parent's children (`access.children`): the parent (on the first page, if it exists) and a page
    of its children."""
    if position is not None:
        return None, query(pattern, limit=limit, position=position)
    items, stopped_at = _query_items(pattern, limit + 2, None, count_parent=True)
    parent = items.pop(0) if items and items[0].gsi4sk == keys.PARENT_SK else None
    return (record_of(parent) if parent else None), _page(items, stopped_at, "gsi4", limit)
