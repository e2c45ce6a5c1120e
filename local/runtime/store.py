"""The data folder: what survives a restart of `rapport local`, or a `kill -9`.

moto keeps everything in memory. Every change of a table's items is written to `<data dir>/state.sqlite3`
(SQLite in WAL mode, `synchronous=FULL`) in one transaction per DynamoDB request, committed while that request
holds moto's lock, before moto answers it: a write the API acknowledged is on disk, and its stream record
(the event it yields) is readable only once it is. SQLite's checkpoints compact the log; a start loads the items
straight into moto's tables. The same file keeps the other state the stack makes at run time (`documents`: API
keys, sent emails...). Secrets (the cursor signing key, the local token signing key) are files beside it, so
cursors and tokens stay valid across restarts.
"""

from __future__ import annotations

import json
import logging
import os
import secrets
import sqlite3
import string
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from moto.dynamodb.models.table import Table

from local.awsmock import Change, on_write

log = logging.getLogger("rapport.local")
DATABASE = "state.sqlite3"
BATCH_CHANGES = 500
_SCHEMA = (
    "CREATE TABLE IF NOT EXISTS items (tbl TEXT, pk TEXT, sk TEXT, item TEXT NOT NULL, PRIMARY KEY (tbl, pk, sk))"
    " WITHOUT ROWID",
    "CREATE TABLE IF NOT EXISTS documents (kind TEXT, name TEXT, body TEXT NOT NULL, PRIMARY KEY (kind, name))"
    " WITHOUT ROWID",
)


class DataDir:
    """The files under the data folder."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._secrets = path / "secrets"
        self._legacy_tables = path / "tables"  # before the database, one JSON file of items per table

    def open(self) -> Database:
        self.path.mkdir(parents=True, exist_ok=True)
        return Database(self.path / DATABASE)

    def legacy_items(self, logical_id: str) -> list[dict[str, Any]]:
        """The table's items as an earlier version kept them (a JSON file per table), if it did."""
        file = self._legacy_tables / f"{logical_id}.json"
        return list(json.loads(file.read_text())["items"]) if file.is_file() else []

    def retire_legacy_tables(self) -> None:
        if self._legacy_tables.is_dir():
            self._legacy_tables.rename(self._legacy_tables.with_name("tables.imported"))

    def secret(self, name: str, generate: Callable[[], str]) -> str:
        """The secret kept under `name`, made by `generate` the first time."""
        file = self._secrets / name
        if not file.is_file():
            _write(file, generate())
        return file.read_text()


class Database:
    """`state.sqlite3`: the tables' items by logical id, and documents by kind and name."""

    def __init__(self, file: Path) -> None:
        self.file = file
        self._connection = sqlite3.connect(file, check_same_thread=False, isolation_level=None)
        self._connection.execute("PRAGMA journal_mode=WAL")
        self._connection.execute("PRAGMA synchronous=FULL")
        for statement in _SCHEMA:
            self._connection.execute(statement)
        file.chmod(0o600)
        self._lock = threading.Lock()
        self._batch: int | None = None  # changes written since the batch's last commit, while batching

    def is_empty(self) -> bool:
        return self._connection.execute("SELECT 1 FROM items LIMIT 1").fetchone() is None

    def items(self, logical_id: str) -> Iterator[str]:
        """The table's items (DynamoDB JSON text), streamed."""
        cursor = self._connection.execute("SELECT item FROM items WHERE tbl = ?", (logical_id,))
        for (item,) in cursor:
            yield item

    def count(self, logical_id: str) -> int:
        (count,) = self._connection.execute("SELECT count(*) FROM items WHERE tbl = ?", (logical_id,)).fetchone()
        return int(count)

    def write_changes(self, logical_id: str, table: Table, changes: list[Change]) -> None:
        """One transaction, fsynced on commit: the items as they are now (deleted ones removed)."""
        puts, deletes = [], []
        for hash_key, range_key, item in changes:
            key = (logical_id, _key_text(hash_key.to_json()), _key_text(range_key.to_json() if range_key else None))
            if item is None:
                deletes.append(key)
            else:
                puts.append((*key, item))
        with self._lock:
            if not self._batch:
                self._connection.execute("BEGIN IMMEDIATE")
            self._connection.executemany("DELETE FROM items WHERE tbl = ? AND pk = ? AND sk = ?", deletes)
            self._connection.executemany("INSERT OR REPLACE INTO items VALUES (?, ?, ?, ?)", puts)
            if self._batch is None:
                self._connection.execute("COMMIT")
            else:
                self._batch += 1
                if self._batch >= BATCH_CHANGES:
                    self._connection.execute("COMMIT")
                    self._batch = 0

    @contextmanager
    def batched(self) -> Iterator[None]:
        """Within it, item changes are committed `BATCH_CHANGES` requests at a time (a bulk load), and at its end."""
        with self._lock:
            self._batch = 0
        try:
            yield
        finally:
            with self._lock:
                if self._batch:
                    self._connection.execute("COMMIT")
                self._batch = None

    def import_items(self, logical_id: str, items: list[dict[str, Any]], key_names: tuple[str, str | None]) -> None:
        hash_name, range_name = key_names
        rows = [
            (
                logical_id,
                _key_text(item[hash_name]),
                _key_text(item.get(range_name) if range_name else None),
                json.dumps(item),
            )
            for item in items
        ]
        with self._transaction() as connection:
            connection.executemany("INSERT OR REPLACE INTO items VALUES (?, ?, ?, ?)", rows)

    def documents(self, kind: str) -> dict[str, Any]:
        rows = self._connection.execute("SELECT name, body FROM documents WHERE kind = ?", (kind,))
        return {name: json.loads(body) for name, body in rows}

    def count_documents(self, kind: str) -> int:
        (count,) = self._connection.execute("SELECT count(*) FROM documents WHERE kind = ?", (kind,)).fetchone()
        return int(count)

    def put_document(self, kind: str, name: str, body: Any) -> None:
        with self._transaction() as connection:
            connection.execute("INSERT OR REPLACE INTO documents VALUES (?, ?, ?)", (kind, name, json.dumps(body)))

    def delete_document(self, kind: str, name: str) -> None:
        with self._transaction() as connection:
            connection.execute("DELETE FROM documents WHERE kind = ? AND name = ?", (kind, name))

    def close(self) -> None:
        with self._lock:
            self._connection.close()

    def _transaction(self) -> _Transaction:
        return _Transaction(self._connection, self._lock)


class _Transaction:
    def __init__(self, connection: sqlite3.Connection, lock: threading.Lock) -> None:
        self._connection = connection
        self._lock = lock
        self._joined = False

    def __enter__(self) -> sqlite3.Connection:
        self._lock.acquire()
        self._joined = self._connection.in_transaction  # a batch's: it commits
        if not self._joined:
            self._connection.execute("BEGIN IMMEDIATE")
        return self._connection

    def __exit__(self, error_type: type[BaseException] | None, *_: object) -> None:
        try:
            if not self._joined:
                self._connection.execute("ROLLBACK" if error_type else "COMMIT")
        finally:
            self._lock.release()


def _key_text(value: Any) -> str:
    return "" if value is None else json.dumps(value, sort_keys=True)


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


def persist_tables(database: Database, logical_ids: dict[str, str]) -> Callable[[], None]:
    """Writes every change of the tables named in `logical_ids` (table name -> logical id) to the database,
    before moto answers the request that made it; returns a function that stops it."""

    def write(table: Table, changes: list[Change]) -> None:
        logical_id = logical_ids.get(table.name)
        if logical_id is not None:
            database.write_changes(logical_id, table, changes)

    return on_write(write)
