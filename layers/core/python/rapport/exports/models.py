"""What an export is asked for and what it tells while it runs."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from enum import StrEnum
from typing import Annotated, Any, NamedTuple

from pydantic import Field, StringConstraints

from rapport.types import LazyModel, RecordMeta, SingleLine, StrictModel

MAX_COLUMNS = 200
Column = Annotated[
    str,
    Field(
        min_length=1,
        max_length=200,
        pattern=r"^[a-z][a-z0-9_]*(\.[A-Za-z0-9_-]+)*$",
        description="A field of the records (`email`), or a path into one (`address.city`, `custom.industry`)",
        examples=["email"],
    ),
]
EntityName = Annotated[str, StringConstraints(pattern=r"^[a-z][a-z_]{0,39}$")]
# A query parameter's value, as the list route takes it: text (`"true"`, `"50"`), read by the route's types.
FilterValue = Annotated[str, StringConstraints(min_length=1, max_length=200), SingleLine]


class ExportStatus(StrEnum):
    QUEUED = "queued"  # asked for; the writer has not begun
    RUNNING = "running"
    COMPLETED = "completed"  # the file is ready: `download_url`
    FAILED = "failed"  # see `error`
    CANCELLED = "cancelled"


ENDED = frozenset({ExportStatus.COMPLETED, ExportStatus.FAILED, ExportStatus.CANCELLED})


class ExportCreate(StrictModel):
    entity: EntityName = Field(
        description="Which records: `contacts`, `accounts`, `leads`, ...",
        examples=["contacts"],
    )
    filter: dict[str, FilterValue] = Field(
        default_factory=dict,
        description="The list route's query parameters as `GET /<entity>` takes them, values as text "
        '(`{"tag": "vip", "deleted": "true"}`); none: every live record',
    )
    columns: list[Column] | None = Field(
        default=None,
        min_length=1,
        max_length=MAX_COLUMNS,
        description="The file's columns, in order; none: every field of the records",
    )


class ExportFormat(StrEnum):
    CSV = "csv"  # a list's records, a row each
    JSON = "json"  # a person's data (POST /contacts/{id}/privacy-export), a document of sections


class Position(LazyModel):
    """Where the writer goes on: in its `section`th section (a list export has one), after `cursor` (None: from its
    start), the section begun or not, with `written` items in it so far."""

    section: int = 0
    cursor: str | None = None
    begun: bool = False
    written: int = 0


class Section(NamedTuple):
    """A list an export writes: `read(cursor)` is the page after `cursor` (None: the first), as JSON, and the
    cursor after it (None: the last)."""

    name: str
    read: Callable[[str | None], tuple[list[Any], str | None]]


class ExportStored(ExportCreate):
    status: ExportStatus = ExportStatus.QUEUED
    format: ExportFormat = ExportFormat.CSV
    subject: str | None = Field(default=None, description="The contact whose data a privacy export holds")
    columns: list[Column] | None = None
    roles: list[str] = Field(default_factory=list, description="The asker's roles, which the writer reads as")
    rows: int = Field(default=0, description="Records written so far")
    bytes: int = Field(default=0, description="Size of the file written so far")
    parts: list[str] = Field(default_factory=list, description="The ETags of the file's parts uploaded so far")
    run: str | None = Field(default=None, description="The writer's run that took it (rapport.exports.writer)")
    upload_id: str | None = None
    position: Position = Field(default_factory=Position)
    key: str | None = None
    started_at: datetime | None = None
    finished_at: datetime | None = None
    error: str | None = None


class Export(RecordMeta):
    entity: str
    filter: dict[str, str] = Field(default_factory=dict)
    columns: list[str] | None = Field(default=None, description="A CSV file's columns")
    format: ExportFormat = ExportFormat.CSV
    subject: str | None = Field(default=None, description="A privacy export's contact")
    status: ExportStatus
    rows: int = Field(default=0, description="Records written so far")
    bytes: int = Field(default=0, description="Size of the file written so far")
    rows_per_second: float | None = Field(default=None, description="Rows written a second since it started")
    started_at: datetime | None = None
    finished_at: datetime | None = None
    error: str | None = None
    download_url: str | None = Field(
        default=None,
        description="Once completed: a link to the CSV, valid 15 minutes (read the export again for a new one)",
    )
    filename: str | None = None
