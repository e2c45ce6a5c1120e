"""What an import is asked for, and what it tells while it runs."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Annotated

from pydantic import Field, StringConstraints

from rapport.exports.models import Column, EntityName
from rapport.types import LazyModel, RecordMeta, SingleLine, StrictModel

MAX_COLUMNS = 200
MAX_FILE_BYTES = 1024 * 1024 * 1024
Header = Annotated[str, StringConstraints(min_length=1, max_length=200), SingleLine]
Filename = Annotated[str, StringConstraints(min_length=1, max_length=200, pattern=r"^[^/\\]+$"), SingleLine]


class ImportMode(StrEnum):
    CREATE = "create"  # every row a new record; a row whose match (or any unique value) is taken fails
    UPDATE = "update"  # every row updates the record it matches; a row that matches none is skipped
    UPSERT = "upsert"  # a row updates the record it matches, or is created


class ImportStatus(StrEnum):
    AWAITING_UPLOAD = "awaiting_upload"  # PUT the file to `upload_url`, then validate or start
    VALIDATING = "validating"  # a dry run: nothing is written but the report
    VALIDATED = "validated"  # the dry run's report is ready; start it (or validate again)
    QUEUED = "queued"
    RUNNING = "running"
    COMPLETED = "completed"
    FAILED = "failed"  # see `error`: the file could not be read at all
    CANCELLED = "cancelled"  # rows written before stay (revert them)
    REVERTING = "reverting"
    REVERTED = "reverted"


RUNNING = frozenset({ImportStatus.VALIDATING, ImportStatus.QUEUED, ImportStatus.RUNNING, ImportStatus.REVERTING})
STARTABLE = frozenset({ImportStatus.AWAITING_UPLOAD, ImportStatus.VALIDATED})
REVERTIBLE = frozenset({ImportStatus.COMPLETED, ImportStatus.CANCELLED})


class ImportCreate(StrictModel):
    filename: Filename = Field(description="The file's name, as the user knows it", examples=["contacts.csv"])


class ImportPlan(StrictModel):
    """How the rows become records: the same for a dry run (validate) and the import (start)."""

    entity: EntityName = Field(description="`contacts`, `accounts`, `leads` or `products`", examples=["contacts"])
    mapping: dict[Header, Column] = Field(
        min_length=1,
        max_length=MAX_COLUMNS,
        description='The file\'s column (its header) each field is read from: `{"E-mail": "email", "City": '
        '"address.city", "Tier": "custom.tier"}`; columns not named are ignored',
    )
    mode: ImportMode = ImportMode.CREATE
    match: EntityName | None = Field(
        default=None,
        description="The unique field rows are matched to records by (update and upsert): contacts `email` or "
        "`phone`, accounts `domain`, leads `email`, products `sku`; it must be mapped",
        examples=["email"],
    )


class Counts(LazyModel):
    read: int = Field(default=0, description="Rows read so far")
    created: int = 0
    updated: int = 0
    unchanged: int = Field(default=0, description="Rows that matched a record already holding their values")
    merged: int = Field(default=0, description="Rows that repeat an earlier row's match, merged into its record")
    skipped: int = Field(default=0, description="Rows with no match (update), or no value at all")
    failed: int = Field(default=0, description="Rows refused: the report says why")
    reverted: int = Field(default=0, description="Records removed or put back by a revert")
    kept: int = Field(default=0, description="Records a revert left, because they changed after the import")


class Position(LazyModel):
    """Where the runner goes on: the byte of the file after the last row written, that row's number (the header
    is row 1), the batches recorded (rapport.imports.store) and, in a revert, the batches undone."""

    offset: int = 0
    row: int = 1
    batches: int = 0
    undone: int = 0


class ImportStored(ImportCreate):
    status: ImportStatus = ImportStatus.AWAITING_UPLOAD
    plan: ImportPlan | None = None
    dry_run: bool = False
    actor: str | None = Field(default=None, description="Who started the run (validated, started, reverted)")
    roles: list[str] = Field(default_factory=list, description="The actor's roles, which rows are written as")
    headers: list[str] | None = None
    size: int | None = Field(default=None, description="The file's size in bytes, once uploaded")
    delimiter: str | None = None
    counts: Counts = Field(default_factory=Counts)
    position: Position = Field(default_factory=Position)
    run: str | None = None
    report_key: str | None = None
    started_at: datetime | None = None
    finished_at: datetime | None = None
    error: str | None = None


class Import(RecordMeta):
    filename: str
    status: ImportStatus
    plan: ImportPlan | None = None
    dry_run: bool = Field(default=False, description="Whether the last run was a validation (nothing written)")
    headers: list[str] | None = Field(default=None, description="The file's header row, once read")
    counts: Counts = Field(default_factory=Counts)
    percent: float | None = Field(default=None, description="How much of the file the run has read, by its bytes")
    rows_per_second: float | None = Field(default=None, description="Rows read a second since the run started")
    started_at: datetime | None = None
    finished_at: datetime | None = None
    error: str | None = None
    upload_url: str | None = Field(
        default=None,
        description="While awaiting the upload: PUT the CSV here (valid 15 minutes; read the import again for a "
        "new one), with `Content-Type: text/csv`",
    )
    report_url: str | None = Field(
        default=None,
        description="Once a run ended: a CSV with a row per row of the file (`row`, `outcome`, `id`, `field`, "
        "`reason`, then the row's own cells), valid 15 minutes",
    )
    errors_url: str | None = Field(
        default=None,
        description="The same for the rows that failed only: fix them and import this file again",
    )
