"""`rapport analytics query` and `rapport analytics kpi`: SQL over the running `rapport local`'s exports.

The exporter (`rapport schedule run` its hourly rule, or wait for it) writes the same Parquet files to the local S3
as it does deployed; these commands copy the analytics bucket's exports to a temporary folder and run the SQL
through DuckDB over them, each dataset a table with the `tenant` and `dt` columns Athena's have
(rapport.analytics.sql): SQL written here runs on Athena unchanged.
"""

from __future__ import annotations

import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from duckdb import DuckDBPyConnection

from rapport.analytics.export import DATASET_PREFIX
from rapport.analytics.queries import Query
from rapport.analytics.sql import open_catalog, run

BUCKET_MARK = "-analyticsbucket"  # the local runtime names a bucket `<stack>-<logical id>` (local/runtime/mail.py)


class NoExports(Exception):
    pass


def the_bucket(s3: Any) -> str:
    names = [bucket["Name"] for bucket in s3.list_buckets()["Buckets"] if BUCKET_MARK in bucket["Name"]]
    if len(names) != 1:
        raise NoExports(f"expected the stack's one analytics bucket, found {len(names)}: is the stack current?")
    return str(names[0])


def download(s3: Any, bucket: str, root: Path) -> int:
    """Copy every export of the bucket under `root`, keeping its key's layout; how many files."""
    count = 0
    for page in s3.get_paginator("list_objects_v2").paginate(Bucket=bucket, Prefix=DATASET_PREFIX):
        for found in page.get("Contents", []):
            target = root / found["Key"]
            target.parent.mkdir(parents=True, exist_ok=True)
            s3.download_file(bucket, found["Key"], str(target))
            count += 1
    if not count:
        raise NoExports("no exports yet: run the hourly export first (rapport schedule run <its rule>)")
    return count


@contextmanager
def catalog(s3: Any) -> Iterator[DuckDBPyConnection]:
    """DuckDB over a copy of the exports, for as long as the context lasts."""
    with tempfile.TemporaryDirectory(prefix="rapport-analytics-") as folder:
        root = Path(folder)
        download(s3, the_bucket(s3), root)
        with open_catalog(root) as db:
            yield db


def answer(s3: Any, sql: str) -> tuple[list[str], list[tuple[Any, ...]]]:
    with catalog(s3) as db:
        result = db.execute(sql)
        return [column[0] for column in result.description], result.fetchall()


def kpi(s3: Any, query: Query, tenant_id: str) -> tuple[list[str], list[tuple[Any, ...]]]:
    with catalog(s3) as db:
        return run(db, query, tenant_id)


def table(columns: list[str], rows: list[tuple[Any, ...]]) -> str:
    """The rows as an aligned text table under their column names."""
    cells = [columns, *[["" if value is None else str(value) for value in row] for row in rows]]
    widths = [max(len(line[index]) for line in cells) for index in range(len(columns))]
    lines = ["  ".join(cell.ljust(width) for cell, width in zip(line, widths, strict=True)).rstrip() for line in cells]
    return "\n".join([lines[0], "  ".join("-" * width for width in widths), *lines[1:]])
