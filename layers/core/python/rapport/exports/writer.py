"""An export's file written in the background, part after part, each part one S3 upload and one write of the
export's progress.

A part is whole pages of the list, as `GET /<entity>` serves them to the asker (rapport.exports.entities), until it
holds `part_size` bytes or the list ends; the first begins with a UTF-8 byte order mark (spreadsheets read the file
as UTF-8 then) and the header. Once a part is uploaded, the export records its ETag, the rows and bytes so far and
the cursor after the part's last page, over the version it was read at. A run is named by the `export.created`
event that began it (its `event_id`, which a redelivery keeps): an invocation cut short (a timeout) is run again,
by the same event or continuation, from the last part recorded, sending its part again (S3 keeps the last part
sent under a number); a second run finds the export taken and writes nothing; a cancel moves the version under the
writer, whose next write fails and forgets the parts. S3 needs every part but the last to hold at least 5 MiB;
PART_SIZE does.

A cell is its value as text: nothing for a null, `true`/`false`, numbers as JSON writes them, lists and objects as
compact JSON; text starting with `=`, `+`, `-`, `@`, a tab or a carriage return is written after a `'`, so that no
spreadsheet runs it as a formula (OWASP's CSV injection advice).
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Callable, Mapping
from typing import Any, NamedTuple

from pydantic import Field

from rapport.auth import Caller, Role
from rapport.dal import repository
from rapport.dal.repository import Record, StaleVersion
from rapport.errors import RapportError
from rapport.exports import store
from rapport.exports.entities import exportable
from rapport.exports.files import ExportFiles
from rapport.exports.manifest import EXPORT
from rapport.exports.models import ENDED, ExportStatus, ExportStored
from rapport.types import LazyModel, utc_now

PART_SIZE = 8 * 1024 * 1024
SOURCE = "rapport.exports"
CONTINUED = "export.continued"
BOM = "\ufeff"
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
WRITER = "export-writer"


class Continuation(LazyModel):
    """Where a writer goes on: the export and its run (its progress says from where)."""

    tenant_id: str
    export_id: str
    run: str = Field(description="The event_id of the export.created event that began it")


class Progress(NamedTuple):
    """What an invocation did: whether the run goes on in another (the export is neither written nor ended), and
    the parts it wrote."""

    going_on: bool
    parts: int


def cell(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return json.dumps(value)
    if isinstance(value, str):
        return f"'{value}" if value.startswith(FORMULA_STARTS) else value
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"), sort_keys=True)


def picked(data: Mapping[str, Any], column: str) -> Any:
    """The value at `column`'s path in a record's JSON (None where the path ends early)."""
    value: Any = data
    for name in column.split("."):
        if not isinstance(value, Mapping):
            return None
        value = value.get(name)
    return value


def write(
    tenant_id: str,
    export_id: str,
    run: str,
    files: ExportFiles,
    go_on: Callable[[], bool],
    *,
    part_size: int = PART_SIZE,
) -> Progress:
    """Write the export's next parts, as its run `run`, from the last part recorded, while `go_on()` says there is
    time for another. A queued export is taken by the run that begins it; another run (a second delivery of the
    event that asked for it) finds it taken and writes nothing."""
    record = repository.get(tenant_id, EXPORT, export_id)
    if record is None:
        return Progress(False, 0)
    status = ExportStatus(record.data["status"])
    if status == ExportStatus.CANCELLED:
        _forget_parts(record, files)
    if status in ENDED or (status == ExportStatus.RUNNING and record.data.get("run") != run):
        return Progress(False, 0)
    try:
        if status == ExportStatus.QUEUED:
            _begin(record, files, run)
        written = 0
        while True:
            ended = _write_part(record, files, part_size)
            written += 1
            if ended or not go_on():
                return Progress(not ended, written)
    except StaleVersion:
        _after_move(tenant_id, export_id, files)
        return Progress(False, 0)
    except RapportError as error:  # what the asker may read, or list, changed since: the export cannot be made
        _fail(record, files, error.detail)
        return Progress(False, 0)


def _begin(record: Record, files: ExportFiles, run: str) -> None:
    key = store.file_key(record.tenant_id, record.id)
    upload_id = files.begin(key)
    _save(record, status=ExportStatus.RUNNING.value, run=run, key=key, upload_id=upload_id, started_at=utc_now())


def _write_part(record: Record, files: ExportFiles, part_size: int) -> bool:
    """One part uploaded and recorded; whether it was the last (the file is then made)."""
    stored = ExportStored.model_validate(record.data)
    key, upload_id, columns = stored.key, stored.upload_id, stored.columns
    if key is None or upload_id is None or columns is None:
        raise ValueError(f"export {record.id} has not begun")
    entity = exportable(stored.entity)
    caller = Caller(record.tenant_id, record.created_by, frozenset(Role(role) for role in stored.roles))
    keywords = entity.keywords(stored.filter)
    buffer = io.StringIO()
    rows = csv.writer(buffer, lineterminator="\r\n")
    if not stored.parts:
        buffer.write(BOM)
        rows.writerow(columns)
    cursor, count = stored.cursor, 0
    while True:
        page = entity.page(caller, keywords, cursor)
        for item in page.items:
            json_record = item.model_dump(mode="json")
            rows.writerow([cell(picked(json_record, column)) for column in columns])
        count += len(page.items)
        cursor = page.next_cursor
        if cursor is None or buffer.tell() >= part_size:
            break
    body = buffer.getvalue().encode("utf-8")
    parts = [*stored.parts, files.put_part(key, upload_id, len(stored.parts) + 1, body)]
    progress = {"parts": parts, "cursor": cursor, "rows": stored.rows + count, "bytes": stored.bytes + len(body)}
    if cursor is not None:
        _save(record, **progress)
        return False
    files.finish(key, upload_id, parts)
    _save(record, **progress, status=ExportStatus.COMPLETED.value, finished_at=utc_now(), upload_id=None)
    return True


def _after_move(tenant_id: str, export_id: str, files: ExportFiles) -> None:
    """Someone else wrote the export: when that was its cancelling, its parts are forgotten."""
    record = repository.get(tenant_id, EXPORT, export_id)
    if record is not None and record.data["status"] == ExportStatus.CANCELLED:
        _forget_parts(record, files)


def _forget_parts(record: Record, files: ExportFiles) -> None:
    if record.data.get("upload_id"):
        files.abort(record.data["key"], record.data["upload_id"])
        _save(record, upload_id=None)


def _fail(record: Record, files: ExportFiles, reason: str) -> None:
    if record.data.get("upload_id"):
        files.abort(record.data["key"], record.data["upload_id"])
    _save(record, status=ExportStatus.FAILED.value, error=reason, finished_at=utc_now(), upload_id=None)


def _save(record: Record, **changes: Any) -> None:
    """The export with `changes`, over the version read (StaleVersion if it moved); `record` then is as written."""
    data = {**record.data, **changes}
    record.data = {name: value for name, value in data.items() if value is not None}
    record.updated_at, record.updated_by = utc_now(), WRITER
    repository.write(record, store.index_keys(record.tenant_id, record.id, deleted=record.deleted))
