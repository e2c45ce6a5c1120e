"""Makes moto's DynamoDB behave like DynamoDB under concurrent requests.

moto runs a transaction by copying the table, applying the items and, on a failed condition, putting the
copy back; two requests in flight at once can then undo each other's committed writes. DynamoDB serializes
conflicting writes, and Rapport's uniqueness guards and version checks rely on that, so every DynamoDB
backend call here takes one lock.
"""

from __future__ import annotations

import functools
import threading
from collections.abc import Callable
from typing import Any

from moto.dynamodb.models import DynamoDBBackend

_LOCK = threading.RLock()
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


def serialize_dynamodb() -> None:
    """Idempotent: wraps moto's DynamoDB backend operations in one lock."""
    for name in _OPERATIONS:
        method = getattr(DynamoDBBackend, name, None)
        if method is not None and not getattr(method, "__rapport_locked__", False):
            setattr(DynamoDBBackend, name, _locked(method))
