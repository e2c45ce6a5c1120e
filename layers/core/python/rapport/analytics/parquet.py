"""JSON-lines rows into Parquet of the datasets' column types, through DuckDB (the exporter's own layer,
layers/analytics: the API functions never import it).

DuckDB reads the rows in chunks and spills to `work` past `MEMORY_LIMIT`, so a tenant of any size is written in
bounded memory. Types are Athena's names (rapport.analytics.datasets.ColumnType), written as the Parquet types
Athena reads them as: strings, int64, doubles, dates, microsecond timestamps and decimal(18,2).
"""

from __future__ import annotations

from pathlib import Path

from rapport.analytics.datasets import Column, ColumnType

MEMORY_LIMIT = "256MB"
DUCKDB_TYPES = {
    ColumnType.STRING: "VARCHAR",
    ColumnType.BIGINT: "BIGINT",
    ColumnType.DOUBLE: "DOUBLE",
    ColumnType.TIMESTAMP: "TIMESTAMP",
    ColumnType.DATE: "DATE",
    ColumnType.MONEY: "DECIMAL(18,2)",
}


def write(columns: tuple[Column, ...], rows: Path, target: Path, work: Path) -> None:
    """Write the JSON-lines file `rows` (one object a line, by column name) as the Parquet file `target`."""
    import duckdb  # imported when first used: the exporter's layer only

    types = ", ".join(f"{_quoted(column.name)}: '{DUCKDB_TYPES[column.type]}'" for column in columns)
    selected = ", ".join(_quoted(column.name) for column in columns)
    with duckdb.connect(config={"memory_limit": MEMORY_LIMIT, "temp_directory": str(work / "spill")}) as db:
        db.execute(
            f"COPY (SELECT {selected} FROM read_json(?, format = 'newline_delimited', columns = {{{types}}})) "  # noqa: S608
            "TO ? (FORMAT parquet, COMPRESSION zstd)",
            [str(rows), str(target)],
        )


def _quoted(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'
