"""A tenant's refresh: each dataset's rows, personal fields hashed or dropped, written as one Parquet file that
replaces the tenant's partition of the dataset.

Rows stream to a JSON-lines file on local disk, then DuckDB copies that file into Parquet (`parquet`: it reads and
writes in chunks), so memory stays bounded whatever the tenant's size; the file is then put in the bucket at
`dataset=<name>/tenant=<id>/dt=<day>/data.parquet`, and every other object of the tenant's dataset is deleted: the
partition holds the latest refresh only, so an erased record leaves at the next one.

Personal fields: `hash` (the default) writes HMAC-SHA256 of the trimmed, lower-cased value under a key derived from
the stack's secret (rapport.sealing), so one email hashes alike in contacts and leads and analysts can still join
and count on it, but it cannot be looked up without the secret; `drop` writes none.
"""

from __future__ import annotations

import hmac
import json
import tempfile
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime
from decimal import Decimal
from hashlib import sha256
from pathlib import Path
from typing import Any, Protocol

from rapport import sealing
from rapport.analytics import parquet
from rapport.analytics.datasets import DATASETS, ColumnType, Dataset, Row
from rapport.orders.churn import PersonalFields

HASH_PURPOSE = b"rapport analytics personal fields"
DATASET_PREFIX = "dataset="


class Bucket(Protocol):
    """Where the exports land (rapport.analytics.bucket.S3Bucket: the analytics bucket)."""

    def put(self, key: str, path: Path) -> None: ...

    def keys(self, prefix: str) -> Iterator[str]: ...

    def delete(self, keys: Iterable[str]) -> None: ...


def partition_prefix(name: str, tenant_id: str) -> str:
    return f"{DATASET_PREFIX}{name}/tenant={tenant_id}/"


def object_key(name: str, tenant_id: str, day: date) -> str:
    return f"{partition_prefix(name, tenant_id)}dt={day.isoformat()}/data.parquet"


@dataclass(frozen=True)
class Exported:
    dataset: str
    rows: int
    key: str


def export_tenant(tenant_id: str, now: datetime, personal: PersonalFields, bucket: Bucket) -> list[Exported]:
    """Refresh every dataset of the tenant as of `now`."""
    with tempfile.TemporaryDirectory(prefix="rapport-export-") as work:
        return [export_dataset(found, tenant_id, now.date(), personal, bucket, Path(work)) for found in DATASETS]


def export_dataset(
    dataset: Dataset, tenant_id: str, day: date, personal: PersonalFields, bucket: Bucket, work: Path
) -> Exported:
    rows_path, parquet_path = work / f"{dataset.name}.jsonl", work / f"{dataset.name}.parquet"
    protect = _protector(dataset, personal)
    count = 0
    with rows_path.open("w", encoding="utf-8") as rows:
        for row in dataset.rows(tenant_id):
            rows.write(json.dumps(protect(row), default=_plain) + "\n")
            count += 1
    parquet.write(dataset.columns, rows_path, parquet_path, work)
    key = object_key(dataset.name, tenant_id, day)
    bucket.put(key, parquet_path)
    bucket.delete([old for old in bucket.keys(partition_prefix(dataset.name, tenant_id)) if old != key])
    return Exported(dataset.name, count, key)


def _protector(dataset: Dataset, personal: PersonalFields) -> Callable[[Row], Row]:
    """What a row is written as: personal fields hashed or dropped, instants as UTC without a zone (Athena's
    `timestamp`)."""
    fields = [column.name for column in dataset.columns if column.personal]
    times = [column.name for column in dataset.columns if column.type == ColumnType.TIMESTAMP]
    key = sealing.key(HASH_PURPOSE, sealing.secrets()[0]) if personal == PersonalFields.HASH else b""

    def protect(row: Row) -> Row:
        for name in fields:
            value = row.get(name)
            row[name] = None if value is None or personal == PersonalFields.DROP else personal_hash(key, str(value))
        for name in times:
            if row.get(name) is not None:
                row[name] = utc_naive(str(row[name]))
        return row

    return protect


def utc_naive(instant: str) -> str:
    return datetime.fromisoformat(instant).astimezone(UTC).replace(tzinfo=None).isoformat(sep=" ")


def personal_hash(key: bytes, value: str) -> str:
    return hmac.new(key, value.strip().lower().encode(), sha256).hexdigest()


def _plain(value: Any) -> Any:
    if isinstance(value, Decimal):
        return str(value)
    raise TypeError(f"{type(value).__name__} is not exported")
