"""Makes moto's DynamoDB behave like DynamoDB under concurrent requests.

moto runs a transaction by copying the table, applying the items and, on a failed condition, putting the
copy back; two requests in flight at once can then undo each other's committed writes. DynamoDB serializes
conflicting writes, and Rapport's uniqueness guards and version checks rely on that, so every DynamoDB
backend call here takes one lock.

Stream reads take the lock too, and follow the table: a failed transaction puts back a copy of the table, its
stream included, so a reader in between would see records of writes that never happened, and moto's shard
iterators, which hold the stream object, would read the discarded one from then on.

That copy is taken once per table: moto deep-copies the table again for every item of the transaction, a cost
that grows with the items times the table size, and made a lead conversion (tens of items) outlast the function's
timeout on a table of a few thousand items.
"""

from __future__ import annotations

import copy
import functools
import threading
from collections.abc import Callable
from typing import Any
from unittest import mock

from moto.dynamodb import models as dynamodb_models
from moto.dynamodb.models import DynamoDBBackend
from moto.dynamodb.models.table import Table
from moto.dynamodbstreams.models import DynamoDBStreamsBackend, ShardIterator

_LOCK = threading.RLock()
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


def _locked(method: Callable[..., Any]) -> Callable[..., Any]:
    @functools.wraps(method)
    def call(*args: Any, **kwargs: Any) -> Any:
        with _LOCK:
            return method(*args, **kwargs)

    call.__rapport_locked__ = True  # type: ignore[attr-defined]
    return call


class _EachTableOnce:
    """The `copy` module as moto's DynamoDB backend sees it during one transaction: its backup of a table, taken
    before any item is applied, is made once however many items name the table."""

    def __init__(self) -> None:
        self._tables: dict[int, Table] = {}

    def deepcopy(self, value: Any, memo: dict[int, Any] | None = None) -> Any:
        if not isinstance(value, Table):
            return copy.deepcopy(value, memo)
        if id(value) not in self._tables:
            self._tables[id(value)] = copy.deepcopy(value, memo)
        return self._tables[id(value)]


def _backing_up_once(transact: Callable[..., Any]) -> Callable[..., Any]:
    @functools.wraps(transact)
    def call(*args: Any, **kwargs: Any) -> Any:
        with mock.patch.object(dynamodb_models, "copy", _EachTableOnce()):
            return transact(*args, **kwargs)

    return call


def _following_the_table(get: Callable[..., Any]) -> Callable[..., Any]:
    @functools.wraps(get)
    def call(self: ShardIterator, *args: Any, **kwargs: Any) -> Any:
        table = self.streams_backend.dynamodb.tables.get(self.stream_shard.table.name)
        if table is not None and table.stream_shard is not None:
            self.stream_shard = table.stream_shard
        return get(self, *args, **kwargs)

    call.__rapport_follows__ = True  # type: ignore[attr-defined]
    return call


def serialize_dynamodb() -> None:
    """Idempotent: wraps moto's DynamoDB and DynamoDB Streams backend operations in one lock."""
    for backend, names in ((DynamoDBBackend, _OPERATIONS), (DynamoDBStreamsBackend, _STREAM_OPERATIONS)):
        for name in names:
            method = getattr(backend, name, None)
            if method is not None and not getattr(method, "__rapport_locked__", False):
                setattr(backend, name, _locked(_backing_up_once(method) if name == "transact_write_items" else method))
    if not getattr(ShardIterator.get, "__rapport_follows__", False):
        ShardIterator.get = _following_the_table(ShardIterator.get)  # type: ignore[method-assign]
