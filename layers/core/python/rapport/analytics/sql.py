"""The datasets as DuckDB views over a folder of exported Parquet files laid out as the bucket is
(`dataset=<name>/tenant=<id>/dt=<day>/data.parquet`), with the `tenant` and `dt` columns Athena's tables have:
the SQL that runs on Athena runs here unchanged."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

from rapport.analytics.datasets import DATASETS, Dataset
from rapport.analytics.parquet import DUCKDB_TYPES
from rapport.analytics.queries import Query

if TYPE_CHECKING:
    from duckdb import DuckDBPyConnection

PARTITION_COLUMNS = ("tenant", "dt")


def open_catalog(root: Path) -> DuckDBPyConnection:
    """An in-memory DuckDB with a view per dataset over the files under `root` (an empty one where none are)."""
    import duckdb  # the exporter's layer and the venv only

    db = duckdb.connect()
    for dataset in DATASETS:
        db.execute(f"CREATE VIEW {dataset.name} AS {_source(dataset, root)}")
    return db


def _source(dataset: Dataset, root: Path) -> str:
    files = sorted((root / f"dataset={dataset.name}").glob("tenant=*/dt=*/*.parquet"))
    if not files:
        columns = [f'CAST(NULL AS {DUCKDB_TYPES[column.type]}) AS "{column.name}"' for column in dataset.columns]
        columns += [f"CAST(NULL AS VARCHAR) AS {name}" for name in PARTITION_COLUMNS]
        return f"SELECT {', '.join(columns)} WHERE false"
    listed = ", ".join("'" + str(path).replace("'", "''") + "'" for path in files)  # quoted: a literal each
    partitions = ", ".join(f"'{name}': 'VARCHAR'" for name in PARTITION_COLUMNS)
    return f"SELECT * FROM read_parquet([{listed}], hive_partitioning = true, hive_types = {{{partitions}}})"  # noqa: S608


def run(db: DuckDBPyConnection, query: Query, tenant_id: str) -> tuple[list[str], list[tuple[Any, ...]]]:
    """The query's column names and rows for the tenant."""
    result = db.execute(query.sql, [tenant_id] * query.tenant_parameters)
    return [column[0] for column in result.description], result.fetchall()
