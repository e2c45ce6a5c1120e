"""A tenant's refresh: each dataset's rows, personal fields hashed or dropped, written as one Parquet file that
replaces the tenant's partition of the dataset.

Rows stream to a JSON-lines file on local disk, then DuckDB copies that file into Parquet (`parquet`: it reads and
writes in chunks), so memory stays bounded whatever the tenant's size; the file is then put in the bucket at
`dataset=<name>/tenant=<id>/dt=<day>/data.parquet`, and every other object of the tenant's dataset is deleted: the
partition holds the latest refresh only, so an erased record leaves at the next one. The tenant's headline figures
are then computed over the files just written and put beside them (rapport.analytics.headline).

Personal fields: `hash` (the default) writes HMAC-SHA256 of the trimmed, lower-cased value under a key derived from
the stack's secret (rapport.sealing), so one email hashes alike in contacts and leads and analysts can still join
and count on it, but it cannot be looked up without the secret; `drop` writes none.
"""

from __future__ import annotations

import hmac
import json
import tempfile
from collections.abc import Callable, Iterable, Iterator
from datetime import UTC, date, datetime
from decimal import Decimal
from hashlib import sha256
from pathlib import Path
from typing import TYPE_CHECKING, Any, NamedTuple, Protocol

from rapport import sealing
from rapport.analytics import headline, parquet
from rapport.analytics.datasets import DATASETS, ColumnType, Dataset, Row
from rapport.analytics.headline import Headline, MonthFigures, month_of
from rapport.analytics.queries import queries
from rapport.analytics.sql import open_catalog, run
from rapport.orders.churn import PersonalFields

if TYPE_CHECKING:
    from duckdb import DuckDBPyConnection

HASH_PURPOSE = b"rapport analytics personal fields"
DATASET_PREFIX = "dataset="
EXPORTS = "exports"  # the work folder's copy of what the refresh put in the bucket, laid out as the bucket is


class Bucket(Protocol):
    """Where the exports land (rapport.analytics.bucket.S3Bucket: the analytics bucket)."""

    def put(self, key: str, path: Path) -> None: ...

    def keys(self, prefix: str) -> Iterator[str]: ...

    def delete(self, keys: Iterable[str]) -> None: ...


def partition_prefix(name: str, tenant_id: str) -> str:
    return f"{DATASET_PREFIX}{name}/tenant={tenant_id}/"


def object_key(name: str, tenant_id: str, day: date) -> str:
    return f"{partition_prefix(name, tenant_id)}dt={day.isoformat()}/data.parquet"


class Exported(NamedTuple):
    dataset: str
    rows: int


def export_tenant(tenant_id: str, now: datetime, personal: PersonalFields, bucket: Bucket) -> list[Exported]:
    """Refresh every dataset of the tenant as of `now`, then its headline figures (rapport.analytics.headline)."""
    with tempfile.TemporaryDirectory(prefix="rapport-export-") as folder:
        work = Path(folder)
        done = [export_dataset(found, tenant_id, now.date(), personal, bucket, work) for found in DATASETS]
        with open_catalog(work / EXPORTS) as db:
            figures = headline_of(db, tenant_id, now)
        target = work / "headline.json"
        target.write_text(figures.model_dump_json(), encoding="utf-8")
        bucket.put(headline.headline_key(tenant_id), target)
        return done


def export_dataset(
    dataset: Dataset, tenant_id: str, day: date, personal: PersonalFields, bucket: Bucket, work: Path
) -> Exported:
    key = object_key(dataset.name, tenant_id, day)
    rows_path, parquet_path = work / f"{dataset.name}.jsonl", work / EXPORTS / key
    parquet_path.parent.mkdir(parents=True)
    protect = _protector(dataset, personal)
    count = 0
    with rows_path.open("w", encoding="utf-8") as rows:
        for row in dataset.rows(tenant_id):
            rows.write(json.dumps(protect(row), default=_plain) + "\n")
            count += 1
    parquet.write(dataset.columns, rows_path, parquet_path, work)
    rows_path.unlink()
    bucket.put(key, parquet_path)
    bucket.delete([old for old in bucket.keys(partition_prefix(dataset.name, tenant_id)) if old != key])
    return Exported(dataset.name, count)


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


def headline_of(db: DuckDBPyConnection, tenant_id: str, as_of: datetime) -> Headline:
    """The tenant's headline figures from the committed queries, on a catalog of its exports."""
    months: dict[str, MonthFigures] = {}

    def month(row: dict[str, Any]) -> MonthFigures:
        return months.setdefault(month_of(row["month"]), MonthFigures())

    for row in _rows(db, "revenue_by_month", tenant_id):
        figures = month(row)
        figures.revenue, figures.orders = row["revenue"], row["orders"]
    for row in _rows(db, "new_and_lost_customers", tenant_id):
        figures = month(row)
        figures.new_customers, figures.lost_customers = row["new_customers"], row["lost_customers"]
    deserting = len(_rows(db, "churn_list", tenant_id))
    return Headline(as_of=as_of, months=months, deserting_customers=deserting)


def _rows(db: DuckDBPyConnection, name: str, tenant_id: str) -> list[dict[str, Any]]:
    columns, rows = run(db, queries()[name], tenant_id)
    return [dict(zip(columns, row, strict=True)) for row in rows]


def personal_hash(key: bytes, value: str) -> str:
    return hmac.new(key, value.strip().lower().encode(), sha256).hexdigest()


def _plain(value: Any) -> Any:
    if isinstance(value, Decimal):
        return str(value)
    raise TypeError(f"{type(value).__name__} is not exported")
