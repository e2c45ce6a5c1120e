"""An export's file written in the background, part after part, each part one S3 upload and one write of the
export's progress.

An export reads sections, each a list read a page at a time: a list export one, the list as `GET /<entity>` serves
it to the asker (rapport.exports.entities); a privacy export those of rapport.exports.person. A layout writes them:
CSV rows under a header (after a UTF-8 byte order mark: spreadsheets read the file as UTF-8 then), or one JSON
document with a member per section. A part is whole pages, until it holds `part_size` bytes or the last section
ends. Once a part is uploaded, the export records its ETag, the rows and bytes so far and its position (the section,
the cursor after the part's last page), over the version it was read at. A run is named by the `export.created`
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
from collections.abc import Callable, Mapping, Sequence
from typing import Any, NamedTuple, Protocol

from pydantic import Field

from rapport.auth import Caller, Role
from rapport.dal import repository
from rapport.dal.repository import Record, StaleVersion
from rapport.errors import RapportError
from rapport.exports import person, store
from rapport.exports.entities import exportable
from rapport.exports.files import CONTENT_TYPES, ExportFiles
from rapport.exports.manifest import EXPORT
from rapport.exports.models import ENDED, ExportFormat, ExportStatus, ExportStored, Position, Section
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


class Layout(Protocol):
    """How the sections are written: the text at the start and end of the file and of each section, and of each
    item (`first` in its section or not)."""

    def begin(self) -> str: ...
    def section_begins(self, index: int, name: str) -> str: ...
    def item(self, item: Any, *, first: bool) -> str: ...
    def section_ends(self) -> str: ...
    def end(self) -> str: ...


class CsvRows:
    """A row per item: its `columns`' cells, under a header row."""

    def __init__(self, columns: Sequence[str]) -> None:
        self._columns = columns

    def begin(self) -> str:
        return BOM + _csv_line(self._columns)

    def section_begins(self, index: int, name: str) -> str:
        return ""

    def item(self, item: Any, *, first: bool) -> str:
        return _csv_line([cell(picked(item, column)) for column in self._columns])

    def section_ends(self) -> str:
        return ""

    def end(self) -> str:
        return ""


class JsonDocument:
    """`{"<header member>": ..., "<section>": [items], ...}`: one document, written in pieces."""

    def __init__(self, header: Mapping[str, Any]) -> None:
        self._header = header

    def begin(self) -> str:
        return json.dumps(self._header, ensure_ascii=False)[:-1]

    def section_begins(self, index: int, name: str) -> str:
        return f", {json.dumps(name)}: ["

    def item(self, item: Any, *, first: bool) -> str:
        return ("" if first else ", ") + json.dumps(item, ensure_ascii=False, default=str)

    def section_ends(self) -> str:
        return "]"

    def end(self) -> str:
        return "}"


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


def _csv_line(cells: Sequence[str]) -> str:
    line = io.StringIO()
    csv.writer(line, lineterminator="\r\n").writerow(cells)
    return line.getvalue()


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
    extension = record.data.get("format", ExportFormat.CSV)
    key = store.file_key(record.tenant_id, record.id, extension)
    upload_id = files.begin(key, CONTENT_TYPES[ExportFormat(extension)])
    _save(record, status=ExportStatus.RUNNING.value, run=run, key=key, upload_id=upload_id, started_at=utc_now())


def _reading(record: Record, stored: ExportStored) -> tuple[list[Section], Layout]:
    caller = Caller(record.tenant_id, record.created_by, frozenset(Role(role) for role in stored.roles))
    if stored.subject is not None:
        header = {"contact_id": stored.subject, "tenant_id": record.tenant_id, "asked_at": record.created_at}
        return person.sections(caller, stored.subject), JsonDocument(header)
    entity = exportable(stored.entity)
    keywords = entity.keywords(stored.filter)

    def read(cursor: str | None) -> tuple[list[Any], str | None]:
        page = entity.page(caller, keywords, cursor)
        return [item.model_dump(mode="json") for item in page.items], page.next_cursor

    return [Section(stored.entity, read)], CsvRows(stored.columns or [])


def _write_part(record: Record, files: ExportFiles, part_size: int) -> bool:
    """One part uploaded and recorded; whether it was the last (the file is then made)."""
    stored = ExportStored.model_validate(record.data)
    key, upload_id = stored.key, stored.upload_id
    if key is None or upload_id is None:
        raise ValueError(f"export {record.id} has not begun")
    sections, layout = _reading(record, stored)
    at = stored.position.model_copy()
    text = io.StringIO()
    if not stored.parts:
        text.write(layout.begin())
    count = 0
    while at.section < len(sections) and text.tell() < part_size:
        section = sections[at.section]
        if not at.begun:
            text.write(layout.section_begins(at.section, section.name))
            at.begun, at.written = True, 0
        items, cursor = section.read(at.cursor)
        for item in items:
            text.write(layout.item(item, first=at.written == 0))
            at.written += 1
        count += len(items)
        at.cursor = cursor
        if cursor is None:
            text.write(layout.section_ends())
            at = Position(section=at.section + 1)
    ended = at.section == len(sections)
    if ended:
        text.write(layout.end())
    body = text.getvalue().encode("utf-8")
    parts = [*stored.parts, files.put_part(key, upload_id, len(stored.parts) + 1, body)]
    progress = {
        "parts": parts,
        "position": at.model_dump(exclude_defaults=True),
        "rows": stored.rows + count,
        "bytes": stored.bytes + len(body),
    }
    if not ended:
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
