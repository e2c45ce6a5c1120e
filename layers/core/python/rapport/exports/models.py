"""What an export is asked for and what it tells while it runs."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Annotated

from pydantic import Field, StringConstraints

from rapport.types import RecordMeta, SingleLine, StrictModel

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


class ExportStored(ExportCreate):
    status: ExportStatus = ExportStatus.QUEUED
    columns: list[Column] | None = None
    roles: list[str] = Field(default_factory=list, description="The asker's roles, which the writer reads as")
    rows: int = Field(default=0, description="Records written so far")
    bytes: int = Field(default=0, description="Size of the file written so far")
    parts: list[str] = Field(default_factory=list, description="The ETags of the file's parts uploaded so far")
    run: str | None = Field(default=None, description="The writer's run that took it (rapport.exports.writer)")
    upload_id: str | None = None
    cursor: str | None = None
    key: str | None = None
    started_at: datetime | None = None
    finished_at: datetime | None = None
    error: str | None = None


class Export(RecordMeta):
    entity: str
    filter: dict[str, str] = Field(default_factory=dict)
    columns: list[str]
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
