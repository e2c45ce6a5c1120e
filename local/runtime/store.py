"""The data folder: what survives a restart of `rapport local`.

moto keeps everything in memory, so the tables' items are written to `<data dir>/tables/<logical id>.json`
within seconds of any write and at shutdown, and loaded at start. Secrets (the cursor signing key, the local
token signing key) are kept beside them, so cursors and tokens stay valid across restarts.
"""

from __future__ import annotations

import functools
import json
import logging
import os
import secrets
import string
import threading
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

from moto.dynamodb.models import DynamoDBBackend

log = logging.getLogger("rapport.local")
SAVE_EVERY = 2.0  # seconds: a save rescans every table, so writes are saved together, at most this often
_WRITTEN = threading.Event()
_WRITES = (
    "put_item",
    "update_item",
    "delete_item",
    "transact_write_items",
    "execute_statement",
    "execute_transaction",
    "batch_execute_statement",
)


def watch_writes() -> threading.Event:
    """Idempotent: the returned event is set whenever moto's DynamoDB backend is asked to write."""
    for name in _WRITES:
        method = getattr(DynamoDBBackend, name, None)
        if method is not None and not getattr(method, "__rapport_watched__", False):
            setattr(DynamoDBBackend, name, _watched(method))
    return _WRITTEN


def _watched(method: Callable[..., Any]) -> Callable[..., Any]:
    @functools.wraps(method)
    def call(*args: Any, **kwargs: Any) -> Any:
        try:
            return method(*args, **kwargs)
        finally:
            _WRITTEN.set()

    call.__rapport_watched__ = True  # type: ignore[attr-defined]
    return call


class DataDir:
    """The files under the data folder."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._tables = path / "tables"
        self._secrets = path / "secrets"

    def is_empty(self) -> bool:
        return not any(self._tables.glob("*.json"))

    def items(self, logical_id: str) -> list[dict[str, Any]]:
        file = self._tables / f"{logical_id}.json"
        if not file.is_file():
            return []
        items: list[dict[str, Any]] = json.loads(file.read_text())["items"]
        return items

    def save_items(self, logical_id: str, table_name: str, items: Iterable[dict[str, Any]]) -> None:
        _write(self._tables / f"{logical_id}.json", json.dumps({"table": table_name, "items": list(items)}))

    def secret(self, name: str, generate: Callable[[], str]) -> str:
        """The secret kept under `name`, made by `generate` the first time."""
        file = self._secrets / name
        if not file.is_file():
            _write(file, generate())
        return file.read_text()


def random_password(length: int, *, punctuation: bool) -> str:
    alphabet = string.ascii_letters + string.digits + (string.punctuation if punctuation else "")
    return "".join(secrets.choice(alphabet) for _ in range(length))


def _write(file: Path, text: str) -> None:
    """Atomically: a crash mid-save leaves the previous file, never half of one."""
    file.parent.mkdir(parents=True, exist_ok=True)
    partial = file.with_suffix(file.suffix + ".partial")
    partial.write_text(text)
    partial.chmod(0o600)
    os.replace(partial, file)


class Saver:
    """Saves the tables' items to the data folder shortly after writes, and when stopped."""

    def __init__(self, data: DataDir, tables: dict[str, str], dynamodb: Any) -> None:
        self._data = data
        self._tables = tables  # logical id -> table name
        self._dynamodb = dynamodb
        self._written = watch_writes()
        self._stopping = threading.Event()
        self._thread = threading.Thread(target=self._run, name="saver", daemon=True)

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        self._stopping.set()
        self._thread.join()
        self.save()

    def save(self) -> None:
        for logical_id, name in self._tables.items():
            pages = self._dynamodb.get_paginator("scan").paginate(TableName=name, ConsistentRead=True)
            self._data.save_items(logical_id, name, (item for page in pages for item in page["Items"]))

    def _run(self) -> None:
        while not self._stopping.is_set():
            if not self._written.wait(timeout=0.5):
                continue
            self._stopping.wait(SAVE_EVERY)
            self._written.clear()
            try:
                self.save()
            except Exception:
                log.exception("could not save the local data to %s", self._data.path)
