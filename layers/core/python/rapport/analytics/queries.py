"""The committed KPI queries (`queries/<name>.sql`), written once in the SQL Athena (Trino) and DuckDB both run.

Each names the datasets as tables (rapport.analytics.datasets: the Glue tables deployed, DuckDB views locally,
rapport.analytics.sql) and takes the tenant as its `?` parameters, one per table it reads: the tenant column is
what Athena's partition projection needs a value for. Its leading comment says what it answers. Infra makes each
an Athena named query; tests parse each as Trino SQL and run it on DuckDB against a dataset of known answers.
"""

from __future__ import annotations

from functools import cache
from pathlib import Path
from typing import NamedTuple

QUERIES_DIR = Path(__file__).parent / "queries"
COMMENT = "--"


class Query(NamedTuple):
    name: str
    description: str
    sql: str

    @property
    def tenant_parameters(self) -> int:
        """How many `?` the query takes, each the tenant (no query holds a `?` in a literal: tests check)."""
        return self.sql.count("?")


@cache
def queries() -> dict[str, Query]:
    """Every committed query, by name."""
    return {path.stem: _read(path) for path in sorted(QUERIES_DIR.glob("*.sql"))}


def _read(path: Path) -> Query:
    text = path.read_text(encoding="utf-8")
    lines = text.splitlines()
    comments = [line.removeprefix(COMMENT).strip() for line in lines if line.startswith(COMMENT)]
    body = "\n".join(line for line in lines if not line.startswith(COMMENT)).strip()
    return Query(path.stem, " ".join(comments), body)
