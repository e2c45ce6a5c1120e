"""moto's DynamoDB, made fit to hold a company's data: each patch replaces one moto behaviour, is named after it,
and has its own test (tests/local/test_awsmock.py), ready to be offered upstream.

- `_serialized`: moto runs requests on many threads without a lock, and a transaction's rollback can undo a
  concurrent request's committed write. DynamoDB serializes conflicting writes, and Rapport's uniqueness guards
  and version checks rely on that, so every DynamoDB and DynamoDB Streams backend call takes one lock. The time a
  caller waits for it is counted (`lock_wait`), so that the local runtime does not bill it as a function's run time.
- `transact_write_items_deep_copies_every_table`: moto copies each table a transaction names (`copy.deepcopy`, items,
  indexes and stream included) to put it back on failure: every transaction costs time and memory in proportion
  to the table, and the garbage grows faster than it is freed. Here it snapshots only the items it touches and the
  length of each stream, and a cancelled transaction puts those back: stream records only for committed writes.
- `query_sorts_the_whole_table`: moto's `Table.query` sorts every item of the table for a partition query, and scans
  all of them for an index query, then walks from the first item to the ExclusiveStartKey. Here each queried
  partition, of the table or of an index, is a sorted list kept current with every write; a query reads the
  slice that its key condition, ExclusiveStartKey and Limit select, and moto's own query does the rest (conditions,
  projections, filters, paging keys) on that slice. The cost follows the items returned, not the table.
- `query_builds_every_item_it_returns`: moto's query makes each item of a page an object, copies it, measures it
  twice, and turns it back into a dict for the answer, which the serializer then walks: for a page of 25, most of
  the AWS endpoint's time. Here a query that wants every attribute (all of Rapport's) answers with the items'
  kept JSON text as it is (`_ItemText`, written by `_plain_json`), its LastEvaluatedKey read from the last
  text; a filter (PynamoDB adds one on the item type to each) reads only the attributes it names.
- `condition_expressions_are_lexed_at_each_request`: moto lexes a condition or filter expression with a dozen
  regular expressions per token, twice per query, and PynamoDB gives every query a filter on the item's type
  that names each type: the lexing was a fifth of the AWS endpoint's time. Here the tokens of an expression are
  kept (`LEXED_EXPRESSIONS_KEPT`, the most recent) and each parse gets fresh copies.
- `stream_shard_keeps_every_record`: moto's stream shard keeps each record for ever. Here the oldest are dropped
  beyond `STREAM_RECORDS_KEPT` (DynamoDB drops them after 24 hours), and a consumer may `release` what it has read.
- `item_measures_itself_at_each_attribute`: moto's `Item` adds its attributes one by one to a dict that sums the
  size of every attribute it holds at each addition, so that making an item costs the square of its attributes.
  Here the item is measured once, against the same limit.
- `items_are_trees_of_objects`: moto holds each attribute of each item as an object (`DynamoType`), some 4 KB an
  item: a table loaded at start takes minutes and gigabytes, and memory grows with every item written. Here an
  item is kept as its JSON text (`_LazyPartition`) and made an object only while a request reads or writes it:
  `load_items` loads text and builds the query partitions from it, and each request's end turns the items it
  touched back into text (the same text the listeners get).
- `reads_are_serialized_shape_by_shape`: moto 5.2 writes every response through a generic serializer that walks
  the operation's output shape value by value: a page of 25 contacts takes longer to write out than to find,
  and a stream's GetRecords (100 records with both images) longer than the write that made them. Here the reads
  that return items (GetItem, Query, Scan, BatchGetItem, TransactGetItems, and DynamoDB Streams' GetRecords)
  are written as the plain JSON they are, as moto did before, binary values in base64.
- `requests_are_parsed_shape_by_shape`: moto 5.2 reads every request through a generic parser that walks the
  operation's input shape value by value: a transaction's items, attribute by attribute, took a fifth of the AWS
  endpoint's time. Here the requests that carry items (GetItem to TransactWriteItems) are read as the plain JSON
  they are, which is what that walk gives for them, unless they carry binary values (which it decodes).
- `every_instance_is_tracked_for_ever`: moto's `BaseModel` appends every instance it makes to a list on its class
  (for `/moto-api/data.json`), so that each item ever put or read, each stream record and each shard iterator
  stays in memory for good: memory grows with every request. Here `Item`, `StreamRecord` and `ShardIterator` are
  not tracked (SES messages and the rest still are).
- `data_json_reads_models_while_requests_change_them`: moto's `/moto-api/data.json` keeps each attribute of each
  model that it can write out, then writes them all: a stream shard's records, empty when looked at and filled by a
  concurrent write before the page is written, failed the page (the connection dropped, no answer). Here the page
  is read under the lock.
- `shard_iterators_are_kept_for_ever`: each GetRecords stores a new shard iterator in moto, even when it returns
  nothing: a poller grows memory with time. Here only the `SHARD_ITERATORS_KEPT` most recently used are kept
  (DynamoDB's expire after 15 minutes).

Writes of items are reported, inside the lock and before the request is answered, to the listeners added with
`on_write`: the local runtime makes them durable there (`local.runtime.store`).
"""

from __future__ import annotations

import base64
import bisect
import copy
import functools
import gc
import json
import re
import threading
import time
from collections import deque
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from typing import Any, NamedTuple

from moto.core.responses import ActionResult
from moto.core.serialize import TimestampSerializer
from moto.dynamodb.comparisons import ConditionExpressionParser, OpDefault, get_filter_expression
from moto.dynamodb.exceptions import (
    ConditionalCheckFailed,
    ItemSizeTooLarge,
    MockValidationException,
    MultipleTransactionsException,
    TooManyTransactionsException,
    TransactionCanceledException,
    TransactWriteSingleOpException,
)
from moto.dynamodb.models import DynamoDBBackend
from moto.dynamodb.models.dynamo_type import DynamoType, Item, LimitedSizeDict
from moto.dynamodb.models.table import RESULT_SIZE_LIMIT, GlobalSecondaryIndex, StreamRecord, StreamShard, Table
from moto.dynamodb.models.utilities import bytesize, dynamo_to_dict
from moto.dynamodb.responses import DynamoHandler, DynamoResult
from moto.dynamodbstreams.models import DynamoDBStreamsBackend, ShardIterator
from moto.dynamodbstreams.responses import DynamoDBStreamsHandler
from moto.moto_api._internal import urls as moto_api_urls

STREAM_RECORDS_KEPT = 10_000
SHARD_ITERATORS_KEPT = 1_000
LEXED_EXPRESSIONS_KEPT = 1_000
_PLAIN_JSON_READS = {"GetItem", "Query", "Scan", "BatchGetItem", "TransactGetItems"}
UNTRACKED_MODELS: tuple[type[Any], ...] = (Item, StreamRecord, ShardIterator)  # made per item, per change, per poll
ITEM_SIZE_LIMIT = 405_000  # moto's LimitedSizeDict limit (DynamoDB's 400 KB, as measured)
Key = tuple[DynamoType, DynamoType | None]
Change = tuple[DynamoType, DynamoType | None, str | None]  # hash key, range key, the item's JSON (None: deleted)
Listener = Callable[[Table, list[Change]], None]

_LOCK = threading.RLock()
_DATA_JSON = "{0}/moto-api/data.json"
_STREAM_OPERATIONS = ("describe_stream", "get_shard_iterator", "get_records")
_OPERATIONS = (
    "put_item",
    "get_item",
    "update_item",
    "delete_item",
    "query",
    "scan",
    "transact_write_items",
    "transact_get_items",
    "batch_get_item",
)
# Writes whose items cannot be told from their arguments: the tables they may touch are indexed anew.
_WHOLESALE_WRITES = (
    "update_table_global_indexes",
    "execute_statement",
    "execute_transaction",
    "batch_execute_statement",
    "import_table",
    "restore_table_from_backup",
    "restore_table_to_point_in_time",
)
_COMPARISONS = {"=": "EQ", "<": "LT", "<=": "LE", ">": "GT", ">=": "GE"}
_listeners: list[Listener] = []
_caller = threading.local()
_waits: dict[str, float] = {}


# _serialized


def _serialized(method: Callable[..., Any]) -> Callable[..., Any]:
    @functools.wraps(method)
    def call(*args: Any, **kwargs: Any) -> Any:
        with _locked():
            return method(*args, **kwargs)

    call.__rapport_patched__ = True  # type: ignore[attr-defined]
    return call


@contextmanager
def _locked() -> Iterator[None]:
    if not _LOCK.acquire(blocking=False):
        started = time.monotonic()
        _LOCK.acquire()
        caller = getattr(_caller, "id", None)
        if caller is not None:
            _waits[caller] = _waits.get(caller, 0.0) + time.monotonic() - started
    try:
        _WRITES.depth += 1
        try:
            yield
        finally:
            _WRITES.depth -= 1
            if _WRITES.depth == 0:
                _WRITES.flush()
    finally:
        _LOCK.release()


@contextmanager
def calling_as(caller: str | None) -> Iterator[None]:
    """Attributes the lock waits of the DynamoDB calls made in this block (on this thread) to `caller`."""
    _caller.id = caller
    try:
        yield
    finally:
        _caller.id = None


def lock_wait(caller: str) -> float:
    """Seconds `caller`'s calls have waited for the lock since the last time this was asked."""
    with _LOCK:
        return _waits.pop(caller, 0.0)


# Writes: which items changed, for the partitions and the listeners


@dataclass
class _Writes:
    """The items touched by the backend call in progress (the lock's holder), each with its partition entries
    as they were before the call; and the items it read, made objects from their text."""

    depth: int = 0
    touched: dict[tuple[int, Key], tuple[Table, dict[str | None, tuple[Any, ...] | None]]] = field(default_factory=dict)
    read: dict[tuple[int, DynamoType], tuple[_LazyPartition, DynamoType, str]] = field(default_factory=dict)
    wholesale: bool = False

    def touch(self, table: Table, key: Key) -> None:
        if (id(table), key) not in self.touched:
            partitions = _partitions(table)
            before = {name: index.entry_of(table, key) for name, index in partitions.items()}
            self.touched[id(table), key] = (table, before)

    def flush(self) -> None:
        """After a call: the partitions follow the touched items, which, like the items read, become text again,
        and the listeners hear of the changes."""
        touched, self.touched = self.touched, {}
        wholesale, self.wholesale = self.wholesale, False
        changes: dict[int, tuple[Table, list[Change]]] = {}
        for (_, key), (table, before) in touched.items():
            item = _item(table, key)
            for name, index in _partitions(table).items():
                index.move(before.get(name), index.entry(table, item))
            text = None if item is None else item_text(item)
            if text is not None and key[1] is not None:
                _lazy_partition(table, key[0])[key[1]] = text
            changes.setdefault(id(table), (table, []))[1].append((key[0], key[1], text))
        read, self.read = self.read, {}
        for partition, range_key, text in read.values():
            if isinstance(dict.get(partition, range_key), Item):  # read, not written: its text is current
                dict.__setitem__(partition, range_key, text)
        if wholesale:
            _forget_partitions()
        for table, table_changes in changes.values():
            for listener in _listeners:
                listener(table, table_changes)


def _lazy_partition(table: Table, hash_key: DynamoType) -> _LazyPartition:
    stored: Any = table.items
    partition = stored[hash_key]
    if not isinstance(partition, _LazyPartition):
        partition = stored[hash_key] = _LazyPartition(hash_key, partition)
    return partition


_WRITES = _Writes()


def on_write(listener: Listener) -> Callable[[], None]:
    """Calls `listener(table, changes)` after each backend call that changed items, inside the lock; returns
    a function that removes it."""
    _listeners.append(listener)
    return lambda: _listeners.remove(listener)


def _item(table: Table, key: Key) -> Item | None:
    hash_key, range_key = key
    partition: Any = table.items.get(hash_key)
    if partition is None or table.range_key_attr is None:
        return partition  # type: ignore[no-any-return]
    return partition.get(range_key)  # type: ignore[no-any-return]


def _touching_put(put_item: Callable[..., Item]) -> Callable[..., Item]:
    @functools.wraps(put_item)
    def call(table: Table, item_attrs: dict[str, Any], *args: Any, **kwargs: Any) -> Item:
        key = _key_of(table, item_attrs)
        if key is not None:
            _WRITES.touch(table, key)
        return put_item(table, item_attrs, *args, **kwargs)

    return call


def _touching_delete(delete_item: Callable[..., Item | None]) -> Callable[..., Item | None]:
    @functools.wraps(delete_item)
    def call(table: Table, hash_key: DynamoType, range_key: DynamoType | None) -> Item | None:
        _WRITES.touch(table, (hash_key, range_key if table.range_key_attr else None))
        return delete_item(table, hash_key, range_key)

    return call


def _touching_update(update_item: Callable[..., Item]) -> Callable[..., Item]:
    @functools.wraps(update_item)
    def call(backend: DynamoDBBackend, table_name: str, key: dict[str, Any], *args: Any, **kwargs: Any) -> Item:
        table = backend.tables.get(table_name)
        found = _key_of(table, key) if table is not None else None
        if table is not None and found is not None:
            _WRITES.touch(table, found)
        return update_item(backend, table_name, key, *args, **kwargs)

    return call


def _wholesale(method: Callable[..., Any]) -> Callable[..., Any]:
    @functools.wraps(method)
    def call(*args: Any, **kwargs: Any) -> Any:
        with _locked():
            _WRITES.wholesale = True
            return method(*args, **kwargs)

    call.__rapport_patched__ = True  # type: ignore[attr-defined]
    return call


def _key_of(table: Table, attributes: dict[str, Any]) -> Key | None:
    try:
        hash_key = DynamoType(attributes[table.hash_key_attr])
        range_key = DynamoType(attributes[table.range_key_attr]) if table.range_key_attr else None
    except (KeyError, IndexError, TypeError):
        return None
    return hash_key, range_key


def load_items(table: Table, items: Iterable[str]) -> int:
    """Puts items (their DynamoDB JSON attributes, as text) straight into the table, as a restore does: no
    condition, no stream record, no listener. Returns how many.

    An item stays text until something reads it (`_LazyPartition`), and the table's partitions for queries are
    built from the text, so that a large table loads in seconds and holds a tenth of the memory.
    """
    partitions = {index: _Partitions(table, index) for index in [None, *(gsi.name for gsi in table.global_indexes)]}
    stored: Any = table.items
    count = 0
    with _LOCK, _no_collection():
        for text in items:
            attributes = json.loads(text)
            key = _key_of(table, attributes)
            if key is None:
                raise ValueError(f"an item of {table.name} lacks its key: {sorted(attributes)}")
            if key[1] is None:
                stored[key[0]] = Item(key[0], None, _binary(attributes))  # no range key: a small table, kept whole
            else:
                partition = stored.get(key[0])
                if not isinstance(partition, _LazyPartition):
                    partition = stored[key[0]] = _LazyPartition(key[0], partition or {})
                dict.__setitem__(partition, key[1], text)
            for index in partitions.values():
                index.add(index.entry_of_json(attributes))
            count += 1
        for index in partitions.values():
            index.sort()
        table.__dict__["_rapport_partitions"] = partitions
    return count


@contextmanager
def _no_collection() -> Iterator[None]:
    """Pauses the cyclic garbage collector: a load allocates millions of objects that all stay, and the
    collections their allocation set off found nothing to free and took a fifth of the start of a 580,000-item
    table (22 s to 18 s)."""
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()


def commit_unchecked(backend: DynamoDBBackend, operations: Iterable[dict[str, Any]]) -> None:
    """Commits the writes of a TransactWriteItems (`{"Put": {...}}`, `{"Update": ...}`...) without evaluating
    their conditions, for a bulk load whose writes hold by construction (`rapport seed` into a new tenant).

    A Put is kept as its JSON text and its stream record is made from that text, without moto's objects: the
    same record, partition entries and listener change as a PutItem of it, at a fraction of the cost. An Update
    or a Delete (few in a load) runs through moto's own, condition left out. Condition checks write nothing.
    """
    with _locked():
        for operation in operations:
            ((kind, write),) = operation.items()
            table_name = write["TableName"]
            if kind == "Put":
                _put_text(backend, backend.get_table(table_name), write["Item"])
            elif kind == "Update":
                backend.update_item(
                    table_name,
                    write["Key"],
                    update_expression=write["UpdateExpression"],
                    expression_attribute_names=write.get("ExpressionAttributeNames") or {},
                    expression_attribute_values=write.get("ExpressionAttributeValues") or {},
                )
            elif kind == "Delete":
                backend.delete_item(table_name, write["Key"])


def _put_text(backend: DynamoDBBackend, table: Table, attributes: dict[str, Any]) -> None:
    key = _key_of(table, attributes)
    if key is None or key[1] is None or _has_binary(attributes):
        backend.put_item(table.name, attributes)  # a small table's item, or one the text form would not index
        return
    text = json.dumps(attributes, default=_base64)
    new_image = json.loads(text)
    old = _item(table, key)
    old_image = None if old is None else json.loads(item_text(old))
    for index in _partitions(table).values():
        index.move(index.entry(table, old), index.entry_of_json(new_image))
    stored: Any = table.items
    partition = stored.get(key[0])
    if not isinstance(partition, _LazyPartition):
        partition = stored[key[0]] = _LazyPartition(key[0], partition or {})
    dict.__setitem__(partition, key[1], text)
    if table.stream_shard is not None:
        old_record = None if old_image is None else _Image(key, old_image)
        table.stream_shard.add(old_record, _Image(key, new_image))  # type: ignore[arg-type]
    for listener in _listeners:
        listener(table, [(key[0], key[1], text)])


def _has_binary(attributes: dict[str, Any]) -> bool:
    return any("B" in value or "BS" in value for value in attributes.values())


@dataclass(frozen=True)
class _Image:
    """An item as moto's `StreamRecord` reads one (its keys and `to_json`), made from its DynamoDB JSON."""

    key: Key
    attributes: dict[str, Any]

    @property
    def hash_key(self) -> DynamoType:
        return self.key[0]

    @property
    def range_key(self) -> DynamoType | None:
        return self.key[1]

    def to_json(self) -> dict[str, Any]:
        return {"Attributes": self.attributes}


def has_key_prefix(table: Table, prefix: str) -> bool:
    """Whether a partition key of the table starts with `prefix`."""
    with _LOCK:
        return any(str(hash_key.value).startswith(prefix) for hash_key in list(table.items))


def item_text(item: Item) -> str:
    """The item's attributes as DynamoDB JSON text, binary values in base64 (as on the wire)."""
    return json.dumps(dynamo_to_dict(item.attrs), default=_base64)


def _binary(value: Any) -> Any:
    """DynamoDB JSON read from text, binary values made bytes again (as moto holds those it is sent)."""
    if isinstance(value, list):
        return [_binary(element) for element in value]
    if not isinstance(value, dict):
        return value
    if len(value) == 1 and "B" in value and isinstance(value["B"], str):
        return {"B": base64.b64decode(value["B"])}
    if len(value) == 1 and isinstance(value.get("BS"), list):
        return {"BS": [base64.b64decode(element) for element in value["BS"]]}
    return {name: _binary(element) for name, element in value.items()}


class _LazyPartition(dict[DynamoType, Any]):
    """A partition of a table (range key -> item) whose loaded items are JSON text until first read."""

    def __init__(self, hash_key: DynamoType, items: dict[DynamoType, Any]) -> None:
        super().__init__(items)
        self.hash_key = hash_key

    def __getitem__(self, range_key: DynamoType) -> Any:
        value = dict.__getitem__(self, range_key)
        if isinstance(value, str):
            text, value = value, Item(self.hash_key, range_key, _binary(json.loads(value)))
            dict.__setitem__(self, range_key, value)
            _WRITES.read.setdefault((id(self), range_key), (self, range_key, text))
        return value

    def get(self, range_key: DynamoType, default: Any = None) -> Any:
        return self[range_key] if range_key in self else default  # noqa: SIM401 - dict.get would not load it

    def pop(self, range_key: DynamoType, *default: Any) -> Any:
        if range_key not in self:
            return dict.pop(self, range_key, *default)
        value = self[range_key]
        dict.pop(self, range_key)
        return value

    def values(self) -> Any:
        return [self[range_key] for range_key in list(self.keys())]

    def items(self) -> Any:
        return [(range_key, self[range_key]) for range_key in list(self.keys())]


# transact_write_items_deep_copies_every_table


class _Snapshot:
    """The items a transaction touches, as they were before it, and where each stream ended."""

    def __init__(self, backend: DynamoDBBackend) -> None:
        self._backend = backend
        self._items: dict[tuple[str, Key], Item | None] = {}
        self._streams = {  # the sequence number each stream's next record gets
            name: table.stream_shard.starting_sequence_number + len(table.stream_shard.items)
            for name, table in backend.tables.items()
            if table.stream_shard is not None
        }

    def keep(self, table_name: str, key: dict[str, Any]) -> None:
        table = self._backend.get_table(table_name)
        found = _key_of(table, key)
        if found is not None and (table_name, found) not in self._items:
            self._items[table_name, found] = copy.deepcopy(_item(table, found))

    def restore(self) -> None:
        for (table_name, (hash_key, range_key)), item in self._items.items():
            stored: Any = self._backend.tables[table_name].items
            if range_key is None:
                if item is None:
                    stored.pop(hash_key, None)
                else:
                    stored[hash_key] = item
            elif item is None:
                stored.get(hash_key, {}).pop(range_key, None)
            else:
                stored[hash_key][range_key] = item
        for name, next_number in self._streams.items():
            shard = self._backend.tables[name].stream_shard
            if shard is not None:
                del shard.items[max(0, next_number - shard.starting_sequence_number) :]


def transact_write_items(backend: DynamoDBBackend, transact_items: list[dict[str, Any]]) -> None:
    """moto's `transact_write_items`, with a snapshot of the touched items instead of a copy of the tables."""
    if len(transact_items) > 100:
        raise TooManyTransactionsException()
    snapshot = _Snapshot(backend)
    targets: set[tuple[str, str]] = set()
    errors: list[tuple[str | None, str | None, dict[str, Any] | None]] = []
    for transact_item in transact_items:
        if len(transact_item) > 1:
            raise TransactWriteSingleOpException
        failed_item: dict[str, Any] | None = None
        try:
            op_type, op = next(iter(transact_item.items()))
            if op_type not in {"ConditionCheck", "Put", "Delete", "Update"}:
                raise ValueError("Unsupported transaction operation")
            table_name = op["TableName"]
            key = _transaction_key(backend, op_type, op)
            target = (str(table_name), str(dict(sorted(key.items()))))
            if target in targets:
                raise MultipleTransactionsException()
            targets.add(target)
            snapshot.keep(table_name, key)
            current = backend.get_item(table_name, key)  # validates the key, as moto does
            if not _condition_holds(op, current):
                if op.get("ReturnValuesOnConditionCheckFailure") == "ALL_OLD" and current:
                    failed_item = current.to_json()["Attributes"]
                raise ConditionalCheckFailed(item=failed_item)
            _apply(backend, op_type, op, key)
            errors.append((None, None, None))
        except (MultipleTransactionsException, MockValidationException):
            snapshot.restore()
            raise
        except ConditionalCheckFailed as error:
            errors.append(("ConditionalCheckFailed", str(error.message), failed_item))
        except Exception as error:
            errors.append((type(error).__name__, str(error), failed_item))
    if any(code is not None for code, _, _ in errors):
        snapshot.restore()
        raise TransactionCanceledException(errors)


def _transaction_key(backend: DynamoDBBackend, op_type: str, op: dict[str, Any]) -> dict[str, Any]:
    if op_type != "Put":
        return dict(op["Key"])
    table = backend.get_table(op["TableName"])
    attributes = op["Item"]
    key = {table.hash_key_attr: attributes[table.hash_key_attr]}
    if table.range_key_attr is not None:
        key[table.range_key_attr] = attributes[table.range_key_attr]
    return key


def _condition_holds(op: dict[str, Any], current: Item | None) -> bool:
    expression = op.get("ConditionExpression")
    if expression is None:
        return True
    names, values = op.get("ExpressionAttributeNames"), op.get("ExpressionAttributeValues")
    return bool(get_filter_expression(expression, names, values).expr(current))


def _apply(backend: DynamoDBBackend, op_type: str, op: dict[str, Any], key: dict[str, Any]) -> None:
    """Applies a transaction's write, whose condition was just checked under the same lock."""
    table_name = op["TableName"]
    if op_type == "Put":
        backend.put_item(table_name, op["Item"])
    elif op_type == "Delete":
        backend.delete_item(table_name, key)
    elif op_type == "Update":
        backend.update_item(
            table_name,
            key,
            update_expression=op["UpdateExpression"],
            expression_attribute_names=op.get("ExpressionAttributeNames") or {},
            expression_attribute_values=op.get("ExpressionAttributeValues") or {},
        )


# query_sorts_the_whole_table


class _Partitions:
    """One index of a table (or the table itself, `index` None) as sorted lists of order keys per partition.

    An order key is the tuple of the attributes moto sorts a query's results by (its `_generate_attr_to_sort_by`):
    the index's hash and range keys, then the table's. Its last two are the table's key, which finds the item.
    """

    def __init__(self, table: Table, index: str | None) -> None:
        if index is None:
            hash_attributes, range_attributes = [table.hash_key_attr], [table.range_key_attr]
        else:
            schema = table.get_index(index).schema
            hashes = [key["AttributeName"] for key in schema if key["KeyType"] == "HASH"]
            ranges = [key["AttributeName"] for key in schema if key["KeyType"] == "RANGE"]
            if len(hashes) != 1 or len(ranges) > 1:
                raise _Unsupported(index)
            hash_attributes = [hashes[0], table.hash_key_attr]
            default_range = table.range_key_attr if isinstance(table.get_index(index), GlobalSecondaryIndex) else None
            range_attributes = [ranges[0] if ranges else (default_range or table.hash_key_attr), table.range_key_attr]
        self.attributes: list[str] = table._generate_attr_to_sort_by(hash_attributes, range_attributes)
        self.range_position = 1 if len(self.attributes) > 1 else 0
        self.lists: dict[Any, list[tuple[Any, ...]]] = {}

    @classmethod
    def of(cls, table: Table, index: str | None) -> _Partitions:
        """The index's partitions, from every item of the table."""
        partitions = cls(table, index)
        stored: Any = table.items
        for partition in stored.values():
            if isinstance(partition, Item):
                partitions.add(partitions.entry(table, partition))
                continue
            for item in dict.values(partition):  # text stays text
                text = isinstance(item, str)
                partitions.add(partitions.entry_of_json(json.loads(item)) if text else partitions.entry(table, item))
        partitions.sort()
        return partitions

    def add(self, entry: tuple[Any, ...] | None) -> None:
        """Adds an entry while building (then `sort`)."""
        if entry is not None:
            self.lists.setdefault(entry[0], []).append(entry)

    def sort(self) -> None:
        for entries in self.lists.values():
            entries.sort()

    def entry(self, table: Table, item: Item | None) -> tuple[Any, ...] | None:
        if item is None:
            return None
        values = []
        for name in self.attributes:
            value = item.attrs.get(name)
            if value is None or value.type not in ("S", "N", "B"):
                return None
            values.append(value.cast_value)
        return tuple(values)

    def entry_of_json(self, attributes: dict[str, Any]) -> tuple[Any, ...] | None:
        """The entry of an item given as DynamoDB JSON (strings and numbers only: binary keys load eagerly)."""
        values: list[Any] = []
        for name in self.attributes:
            value = attributes.get(name)
            if not value or ("S" not in value and "N" not in value):
                return None
            values.append(value["S"] if "S" in value else Decimal(value["N"]))
        return tuple(values)

    def entry_of(self, table: Table, key: Key) -> tuple[Any, ...] | None:
        return self.entry(table, _item(table, key))

    def move(self, old: tuple[Any, ...] | None, new: tuple[Any, ...] | None) -> None:
        if old == new:
            return
        if old is not None:
            entries = self.lists.get(old[0], [])
            at = bisect.bisect_left(entries, old)
            if at < len(entries) and entries[at] == old:
                del entries[at]
            if not entries:
                self.lists.pop(old[0], None)
        if new is not None:
            entries = self.lists.setdefault(new[0], [])
            at = bisect.bisect_left(entries, new)
            if at == len(entries) or entries[at] != new:
                entries.insert(at, new)

    def select(
        self,
        hash_value: Any,
        comparison: str | None,
        values: list[Any],
        start_key: tuple[Any, ...] | None,
        forward: bool,
        limit: int | None,
    ) -> list[tuple[Any, ...]]:
        """The entries a query reads: in the key condition, past the ExclusiveStartKey, one more than Limit."""
        entries = self.lists.get(hash_value, [])
        low, high = self._bounds(entries, comparison, values)
        if start_key is not None:
            if forward:
                low = max(low, bisect.bisect_right(entries, start_key))
            else:
                high = min(high, bisect.bisect_left(entries, start_key))
        if limit is None or high - low < limit:
            return entries[low:high]
        # A full page and the partition's next entry, in the key condition or not: moto's query gives a page a
        # LastEvaluatedKey when anything follows it.
        if forward:
            return entries[low : low + limit + 1]
        return entries[max(0, high - limit - 1) : high]

    def _bounds(self, entries: list[tuple[Any, ...]], comparison: str | None, values: list[Any]) -> tuple[int, int]:
        if comparison is None:
            return 0, len(entries)
        position = self.range_position

        def left(value: Any) -> int:
            return bisect.bisect_left(entries, value, key=lambda entry: entry[position])

        def right(value: Any) -> int:
            return bisect.bisect_right(entries, value, key=lambda entry: entry[position])

        bounds: dict[str, Callable[[], tuple[int, int]]] = {
            "EQ": lambda: (left(values[0]), right(values[0])),
            "LT": lambda: (0, left(values[0])),
            "LE": lambda: (0, right(values[0])),
            "GT": lambda: (right(values[0]), len(entries)),
            "GE": lambda: (left(values[0]), len(entries)),
            "BETWEEN": lambda: (left(values[0]), right(values[1])),
            "BEGINS_WITH": lambda: (left(values[0]), _prefix_end(entries, position, values[0])),
        }
        if comparison not in bounds:
            raise _Unsupported(comparison)
        return bounds[comparison]()


def _prefix_end(entries: list[tuple[Any, ...]], position: int, prefix: Any) -> int:
    if not isinstance(prefix, str | bytes):
        raise _Unsupported("begins_with on a number")
    start = bisect.bisect_left(entries, prefix, key=lambda entry: entry[position])
    return bisect.bisect_left(entries, True, lo=start, key=lambda entry: not _starts_with(entry[position], prefix))


def _starts_with(value: Any, prefix: Any) -> bool:
    return isinstance(value, type(prefix)) and value.startswith(prefix)


class _Unsupported(Exception):
    """A query the sorted partitions do not serve (multi-attribute keys, a legacy QueryFilter...): moto's own
    query runs it."""


def _partitions(table: Table) -> dict[str | None, _Partitions]:
    """The partitions built so far for the table's queries (by index name; None is the table)."""
    built: dict[str | None, _Partitions] = table.__dict__.setdefault("_rapport_partitions", {})
    return built


def _partitions_for(table: Table, index: str | None) -> _Partitions:
    built = _partitions(table)
    if index not in built:
        built[index] = _Partitions.of(table, index)
    return built[index]


def _forget_partitions() -> None:
    for backend in _backends():
        for table in backend.tables.values():
            table.__dict__.pop("_rapport_partitions", None)


def _backends() -> Iterator[DynamoDBBackend]:
    from moto.dynamodb.models import dynamodb_backends

    for account in list(dynamodb_backends.keys()):
        yield from list(dynamodb_backends[account].values())


def _all_items(table: Table) -> Iterator[Item]:
    partitions: Any = table.items
    for partition in partitions.values():
        if table.range_key_attr is None:
            yield partition
        else:
            yield from partition.values()


def _querying_a_slice(query: Callable[..., Any]) -> Callable[..., Any]:
    @functools.wraps(query)
    def call(
        table: Table,
        hash_key: DynamoType | None,
        range_comparison: str | None,
        range_objs: list[DynamoType],
        limit: int | None,
        exclusive_start_key: dict[str, Any] | None,
        scan_index_forward: bool,
        projection_expressions: Any,
        index_name: str | None = None,
        *args: Any,
        **kwargs: Any,
    ) -> Any:
        run = functools.partial(
            query,
            table,
            hash_key,
            range_comparison,
            range_objs,
            limit,
            exclusive_start_key,
            scan_index_forward,
            projection_expressions,
            index_name,
            *args,
            **kwargs,
        )
        conditions = kwargs.get("range_key_conditions") or []
        if hash_key is None or len(conditions) > 1 or set(kwargs) - {"hash_key_conditions", "range_key_conditions"}:
            return run()
        try:
            partitions = _partitions_for(table, index_name)
            comparison = _COMPARISONS.get(range_comparison or "", (range_comparison or "").upper()) or None
            start = partitions.entry(table, _start_item(table, exclusive_start_key))
            if exclusive_start_key is not None and start is None:
                return run()
            entries = partitions.select(
                hash_key.cast_value,
                comparison,
                [value.cast_value for value in range_objs],
                start,
                scan_index_forward,
                limit,
            )
        except _Unsupported:
            return run()
        if _answerable_as_text(table, index_name, projection_expressions, *args):
            page = _text_page(table, index_name, entries, scan_index_forward, limit, args[1] if len(args) > 1 else None)
            if page is not None:
                return page
        slice_ = [item for item in (_item(table, _entry_key(table, entry)) for entry in entries) if item is not None]
        table.__dict__["all_items"] = lambda: slice_  # moto's query reads its candidates from all_items()
        try:
            return run()
        finally:
            del table.__dict__["all_items"]

    call.__rapport_patched__ = True  # type: ignore[attr-defined]
    return call


# query_builds_every_item_it_returns


class _ItemText(str):
    """An item's DynamoDB JSON text, as kept: written into a Query's answer as it is (`_plain_json`)."""


class _TextItem(NamedTuple):
    """What moto's query handler reads of an item it answers with: its `attrs`."""

    attrs: _ItemText


def _answerable_as_text(
    table: Table, index_name: str | None, projection_expressions: Any, consistent_read: bool = False, *_: Any
) -> bool:
    """Whether the items' kept text is the answer: answers are written as plain JSON (`_plain_json`), and the
    query wants every attribute (no projection, an index projecting all); a consistent read of a global index is
    left to moto, which refuses it."""
    if not getattr(DynamoResult.execute_result, "__rapport_patched__", False) or projection_expressions:
        return False
    if index_name is None:
        return True
    index = {index.name: index for index in table.all_indexes()}.get(index_name)
    if index is None or (consistent_read and isinstance(index, GlobalSecondaryIndex)):
        return False
    return bool((index.projection or {}).get("ProjectionType") == "ALL")


def _text_page(
    table: Table,
    index_name: str | None,
    entries: list[tuple[Any, ...]],
    forward: bool,
    limit: int | None,
    filter_expression: Any,
) -> tuple[list[_TextItem], int, dict[str, Any] | None] | None:
    """The page moto's query would answer from these entries (`_Partitions.select`'s), made of the items' texts:
    no item is made an object, the LastEvaluatedKey read from the last one's text. A filter reads only the
    attributes it names (`_Attributes`), after Limit, as DynamoDB's does. None when the page may reach the 1 MB a
    page holds (a text is never shorter than the size moto measures): moto cuts it."""
    keys = [_entry_key(table, entry) for entry in (entries if forward else reversed(entries))]
    found = [(key, text) for key, text in ((key, _kept_text(table, key)) for key in keys) if text is not None]
    page = found if limit is None else found[:limit]
    if sum(len(text) for _, text in page) > RESULT_SIZE_LIMIT:
        return None
    last_evaluated_key = None
    if len(found) > len(page):
        last = json.loads(page[-1][1])
        last_evaluated_key = {name: last[name] for name in _key_attributes(table, index_name) if name in last}
    scanned = len(page)
    if filter_expression is not None and not isinstance(filter_expression, OpDefault):
        page = [(key, text) for key, text in page if filter_expression.expr(_Filtered(text))]
    return [_TextItem(_ItemText(text)) for _, text in page], scanned, last_evaluated_key


def _key_attributes(table: Table, index_name: str | None) -> list[str]:
    """The attributes of a page's LastEvaluatedKey, as moto's `_get_last_evaluated_key` names them."""
    names = [table.hash_key_attr, *([table.range_key_attr] if table.range_key_attr else [])]
    if index_name is not None:
        names += [key["AttributeName"] for key in table.get_index(index_name).schema]
    return names


class _Attributes(dict[str, Any]):
    """An item's attributes as DynamoDB JSON, each made a `DynamoType` when a filter reads it."""

    def __getitem__(self, name: str) -> DynamoType:
        value = dict.__getitem__(self, name)
        if not isinstance(value, DynamoType):
            value = DynamoType(_binary(value))
            dict.__setitem__(self, name, value)
        return value


class _Filtered:
    """What moto's filter expressions read of an item: its `attrs`."""

    def __init__(self, text: str) -> None:
        self.attrs = _Attributes(json.loads(text))


def _kept_text(table: Table, key: Key) -> str | None:
    hash_key, range_key = key
    partition: Any = table.items.get(hash_key)
    if partition is None or table.range_key_attr is None:
        return None if partition is None else item_text(partition)
    kept = dict.get(partition, range_key)
    return kept if kept is None or isinstance(kept, str) else item_text(kept)


def _start_item(table: Table, exclusive_start_key: dict[str, Any] | None) -> Item | None:
    if exclusive_start_key is None:
        return None
    key = _key_of(table, exclusive_start_key)
    if key is None:
        return None
    return Item(key[0], key[1], exclusive_start_key)


def _entry_key(table: Table, entry: tuple[Any, ...]) -> Key:
    if table.range_key_attr is None:
        return DynamoType({table.hash_key_type: _wire(entry[-1])}), None
    return (
        DynamoType({table.hash_key_type: _wire(entry[-2])}),
        DynamoType({str(table.range_key_type): _wire(entry[-1])}),
    )


def _wire(value: Any) -> Any:
    return str(value) if isinstance(value, Decimal) else value


# condition_expressions_are_lexed_at_each_request


def _lexed_once(lex: Callable[[ConditionExpressionParser], Any]) -> Callable[[ConditionExpressionParser], Any]:
    @functools.lru_cache(maxsize=LEXED_EXPRESSIONS_KEPT)
    def tokens(expression: str) -> tuple[Any, ...]:
        return tuple(lex(ConditionExpressionParser(expression, None, None)))

    @functools.wraps(lex)
    def call(parser: ConditionExpressionParser) -> Any:
        if not parser.condition_expression:
            return lex(parser)
        return deque(node._replace(children=[]) for node in tokens(parser.condition_expression))

    call.__rapport_patched__ = True  # type: ignore[attr-defined]
    return call


# stream_shard_keeps_every_record


def _bounded_add(add: Callable[..., None]) -> Callable[..., None]:
    @functools.wraps(add)
    def call(shard: StreamShard, old: Item | None, new: Item | None) -> None:
        add(shard, old, new)
        excess = len(shard.items) - STREAM_RECORDS_KEPT
        if excess > 0:
            _drop_oldest(shard, excess)

    call.__rapport_patched__ = True  # type: ignore[attr-defined]
    return call


def _drop_oldest(shard: StreamShard, count: int) -> None:
    """Drops records from the front: the shard's numbering moves on, so sequence numbers stay what they were."""
    del shard.items[:count]
    shard.starting_sequence_number += count


def stream_records(table: Table, start: int | None, limit: int) -> list[dict[str, Any]]:
    """Up to `limit` of the table's stream records (moto's `StreamRecord.to_json`, not to be changed) from
    sequence number `start`, or from the oldest kept when it was dropped or `start` is None: a GetRecords without
    the request, for a consumer in this process."""
    with _locked():
        shard = table.stream_shard
        if shard is None:
            return []
        return shard.get(shard.starting_sequence_number if start is None else start, limit)


def next_sequence_number(table: Table) -> int:
    """The sequence number the table's next stream record will have (where a LATEST iterator starts)."""
    with _locked():
        shard = table.stream_shard
        return 0 if shard is None else shard.starting_sequence_number + len(shard.items)


def release(shard: StreamShard, sequence_number: int) -> None:
    """Drops the shard's records up to `sequence_number`: a consumer has read them."""
    with _LOCK:
        _drop_oldest(shard, max(0, min(len(shard.items), sequence_number - shard.starting_sequence_number + 1)))


def _numbered_from_the_oldest(get: Callable[..., list[dict[str, Any]]]) -> Callable[..., list[dict[str, Any]]]:
    @functools.wraps(get)
    def call(shard: StreamShard, start: int, quantity: int) -> list[dict[str, Any]]:
        return get(shard, max(start, shard.starting_sequence_number), quantity)

    call.__rapport_patched__ = True  # type: ignore[attr-defined]
    return call


# item_measures_itself_at_each_attribute


def _measured_once(init: Callable[..., None]) -> Callable[..., None]:
    @functools.wraps(init)
    def call(item: Item, hash_key: DynamoType, range_key: DynamoType | None, attrs: dict[str, Any]) -> None:
        item.hash_key, item.range_key = hash_key, range_key
        values = {name: DynamoType(value) for name, value in attrs.items()}
        if sum(bytesize(name) + value.size() for name, value in values.items()) > ITEM_SIZE_LIMIT:
            raise ItemSizeTooLarge
        item.attrs = LimitedSizeDict()
        dict.update(item.attrs, values)  # the dict's own update: LimitedSizeDict.__setitem__ would measure again

    call.__rapport_patched__ = True  # type: ignore[attr-defined]
    return call


# reads_are_serialized_shape_by_shape


def _plain_json(execute_result: Callable[..., Any]) -> Callable[..., Any]:
    @functools.wraps(execute_result)
    def call(result: DynamoResult, context: Any) -> Any:
        if context.operation_model.name not in _PLAIN_JSON_READS:
            return execute_result(result, context)
        answer = {name: value for name, value in dict(result.result).items() if value is not None}  # type: ignore[call-overload]
        items = answer.get("Items")
        if items and isinstance(items[0], _ItemText):  # a query's page of kept texts: written as they are
            rest = json.dumps({name: value for name, value in answer.items() if name != "Items"}, default=_base64)
            return 200, {"Content-Type": "application/x-amz-json-1.0"}, f'{{"Items": [{", ".join(items)}], {rest[1:]}'
        return 200, {"Content-Type": "application/x-amz-json-1.0"}, json.dumps(answer, default=_base64)

    call.__rapport_patched__ = True  # type: ignore[attr-defined]
    return call


def _base64(value: Any) -> str:
    if isinstance(value, bytes):
        return base64.b64encode(value).decode("ascii")
    raise TypeError(f"{type(value).__name__} is not JSON")


class _PlainJsonRecords(ActionResult):
    """A GetRecords answer of DynamoDB Streams written as plain JSON: binary values in base64, times in seconds
    since the epoch (as moto's serializer writes a record's ApproximateCreationDateTime)."""

    def execute_result(self, context: Any) -> Any:
        del context
        return 200, {"Content-Type": "application/x-amz-json-1.0"}, json.dumps(self.result, default=_record_value)


def _record_value(value: Any) -> Any:
    if isinstance(value, datetime):
        return TimestampSerializer._timestamp_unixtimestamp(value)
    return _base64(value)


def _plain_json_records(get_records: Callable[..., ActionResult]) -> Callable[..., ActionResult]:
    @functools.wraps(get_records)
    def call(handler: DynamoDBStreamsHandler) -> ActionResult:
        return _PlainJsonRecords(get_records(handler).result)

    call.__rapport_patched__ = True  # type: ignore[attr-defined]
    return call


# requests_are_parsed_shape_by_shape

_ITEM_REQUESTS = frozenset(
    {
        "GetItem",
        "PutItem",
        "UpdateItem",
        "DeleteItem",
        "Query",
        "Scan",
        "BatchGetItem",
        "BatchWriteItem",
        "TransactGetItems",
        "TransactWriteItems",
    }
)
_BINARY_VALUE = re.compile(rb'"BS?"\s*:')  # a binary value's type, as an attribute value's only key


def _plain_json_requests(parse_parameters: Callable[..., None]) -> Callable[..., None]:
    @functools.wraps(parse_parameters)
    def call(handler: DynamoHandler, request: Any) -> None:
        body = request.data
        if handler._get_action() in _ITEM_REQUESTS and body and not _BINARY_VALUE.search(body):
            handler.params = json.loads(body)
            return
        parse_parameters(handler, request)

    call.__rapport_patched__ = True  # type: ignore[attr-defined]
    return call


# every_instance_is_tracked_for_ever


def _untracked(cls: type[Any], *args: Any, **kwargs: Any) -> Any:
    """`object.__new__`: moto's `BaseModel.__new__` also appends the instance to its class's `instances_tracked`."""
    del args, kwargs
    return object.__new__(cls)


# shard_iterators_are_kept_for_ever


def _recent_iterators_only(get_records: Callable[..., dict[str, Any]]) -> Callable[..., dict[str, Any]]:
    @functools.wraps(get_records)
    def call(backend: DynamoDBStreamsBackend, iterator_arn: str, limit: int) -> dict[str, Any]:
        records = get_records(backend, iterator_arn, limit)
        iterators = backend.shard_iterators
        iterators[iterator_arn] = iterators.pop(iterator_arn)  # the least recently used go first
        for stale in list(iterators)[: max(0, len(iterators) - SHARD_ITERATORS_KEPT)]:
            del iterators[stale]
        return records

    return call


def patch_dynamodb() -> None:
    """Idempotent: applies every patch above to moto's classes (in-process mocks and moto's server alike)."""
    if getattr(DynamoDBBackend.transact_write_items, "__rapport_patched__", False):
        return
    setattr(DynamoDBBackend, "transact_write_items", transact_write_items)  # noqa: B010 - mypy forbids assigning a method
    Table.put_item = _touching_put(Table.put_item)  # type: ignore[method-assign]
    Table.delete_item = _touching_delete(Table.delete_item)  # type: ignore[method-assign]
    DynamoDBBackend.update_item = _touching_update(DynamoDBBackend.update_item)  # type: ignore[method-assign]
    Table.query = _querying_a_slice(Table.query)  # type: ignore[method-assign]
    StreamShard.add = _bounded_add(StreamShard.add)  # type: ignore[method-assign]
    ConditionExpressionParser._lex_condition_expression = _lexed_once(  # type: ignore[method-assign,assignment]
        ConditionExpressionParser._lex_condition_expression
    )
    StreamShard.get = _numbered_from_the_oldest(StreamShard.get)  # type: ignore[method-assign]
    Item.__init__ = _measured_once(Item.__init__)  # type: ignore[method-assign]
    for model in UNTRACKED_MODELS:
        model.__new__ = _untracked  # type: ignore[assignment]
        getattr(model, "instances_tracked").clear()  # noqa: B009 - set by moto's metaclass, unknown to mypy
    DynamoResult.execute_result = _plain_json(DynamoResult.execute_result)  # type: ignore[method-assign]
    DynamoHandler.parse_parameters = _plain_json_requests(DynamoHandler.parse_parameters)  # type: ignore[method-assign]
    DynamoDBStreamsHandler.get_records = _plain_json_records(DynamoDBStreamsHandler.get_records)  # type: ignore[method-assign]
    DynamoDBStreamsBackend.get_records = _recent_iterators_only(  # type: ignore[method-assign]
        DynamoDBStreamsBackend.get_records
    )
    for backend, names in ((DynamoDBBackend, _OPERATIONS), (DynamoDBStreamsBackend, _STREAM_OPERATIONS)):
        for name in names:
            setattr(backend, name, _serialized(getattr(backend, name)))
    for name in _WHOLESALE_WRITES:
        setattr(DynamoDBBackend, name, _wholesale(getattr(DynamoDBBackend, name)))
    # data_json_reads_models_while_requests_change_them: moto's servers build routes from `url_paths` when first asked
    moto_api_urls.url_paths[_DATA_JSON] = _serialized(moto_api_urls.url_paths[_DATA_JSON])
