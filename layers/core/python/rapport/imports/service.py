"""Imports: made with the file's name (an upload link in the answer), then validated (a dry run) or started with a
plan, both checked at once against the uploaded file's header (its columns, the mapping's fields, the match, the
importer's rights on the entity); run by rapport.imports.runner; cancelled, or reverted once ended."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from rapport.auth import Action, Caller
from rapport.dal.repository import Guard, IndexKeys, Record
from rapport.errors import Conflict, FieldError, InvalidInput
from rapport.imports import rows, store
from rapport.imports.entities import importable
from rapport.imports.files import HEADER_BYTES, S3_IMPORT_FILES, ImportFiles
from rapport.imports.manifest import IMPORT
from rapport.imports.models import (
    REVERTIBLE,
    STARTABLE,
    Counts,
    Import,
    ImportCreate,
    ImportMode,
    ImportPlan,
    ImportStatus,
    ImportStored,
    Position,
)
from rapport.pagination import Page
from rapport.records import RecordService
from rapport.runs import rows_per_second
from rapport.types import utc_now

CANCELLABLE = frozenset({ImportStatus.VALIDATING, ImportStatus.QUEUED, ImportStatus.RUNNING})
RIGHTS = {
    ImportMode.CREATE: (Action.CREATE,),
    ImportMode.UPDATE: (Action.UPDATE,),
    ImportMode.UPSERT: (Action.CREATE, Action.UPDATE),
}


class ImportService(RecordService[ImportCreate, Import]):
    kind = IMPORT
    resource = "imports"
    label = "import"
    create_model = ImportStored
    out_model = Import

    def __init__(self, files: ImportFiles) -> None:
        self._files = files

    def guards(self, data: Mapping[str, Any]) -> dict[Guard, str]:
        return {}

    def index_keys(self, tenant_id: str, record_id: str, data: Mapping[str, Any], *, deleted: bool) -> IndexKeys:
        return store.index_keys(tenant_id, record_id, deleted=deleted)

    def create(self, caller: Caller, payload: ImportCreate) -> Import:
        caller.require(self.resource, Action.CREATE)
        stored = ImportStored(filename=payload.filename, roles=sorted(caller.roles))
        return self._create(caller.tenant_id, caller.user_id, stored, complete=True)

    def search(self, caller: Caller, *, limit: int, cursor: str | None) -> Page[Import]:
        """The tenant's imports, newest first (ONE Query)."""
        return self.list(caller, store.newest_first(caller.tenant_id), limit=limit, cursor=cursor, bound_to={})

    def validate(self, caller: Caller, import_id: str, plan: ImportPlan, expected_version: int | None) -> Import:
        """A dry run of `plan`: every row read, matched and checked, nothing written but its report."""
        return self._run(caller, import_id, plan, expected_version, dry_run=True)

    def start(self, caller: Caller, import_id: str, plan: ImportPlan, expected_version: int | None) -> Import:
        return self._run(caller, import_id, plan, expected_version, dry_run=False)

    def _run(
        self, caller: Caller, import_id: str, plan: ImportPlan, expected_version: int | None, *, dry_run: bool
    ) -> Import:
        caller.require(self.resource, Action.UPDATE)
        record = self._load(caller, import_id, expected_version)
        entity = importable(plan.entity)
        for action in RIGHTS[plan.mode]:
            caller.require(entity.service.resource, action)
        self._startable(record)
        key = store.file_key(caller.tenant_id, import_id)
        size = self._files.size(key)
        if size is None:
            raise Conflict("The file is not uploaded yet: PUT it to the import's upload_url first.")
        try:
            header = rows.header(self._files.read(key, 0, min(size, HEADER_BYTES)) if size else ())
        except rows.NotCsv as error:
            raise InvalidInput.of("file", str(error), "not_csv") from None
        missing = [column for column in plan.mapping if column not in header.names]
        if missing:
            named = ", ".join(header.names)
            raise InvalidInput(
                "The mapping names columns the file does not have.",
                [FieldError(f"mapping.{column}", f"is not a column of the file; it has {named}") for column in missing],
            )
        match = plan.match or (entity.matches[0] if entity.matches[0] in plan.mapping.values() else None)
        entity.check_plan(caller.tenant_id, plan.mapping, match, needed=plan.mode != ImportMode.CREATE)
        changes = {
            "status": ImportStatus.VALIDATING if dry_run else ImportStatus.QUEUED,
            "plan": plan.model_copy(update={"match": match}).model_dump(mode="json"),
            "dry_run": dry_run,
            "actor": caller.user_id,
            "roles": sorted(caller.roles),
            "headers": header.names,
            "delimiter": header.delimiter,
            "size": size,
            "counts": Counts().model_dump(),
            "position": Position(offset=header.end).model_dump(),
            "run": None,
            "report_key": None,
            "started_at": None,
            "finished_at": None,
            "error": None,
        }
        return self.move_status(caller, record, STARTABLE, changes)

    @staticmethod
    def _startable(record: Record) -> None:
        status = ImportStatus(record.data["status"])
        if status not in STARTABLE:
            raise Conflict(
                f"The import is {status}; only an import awaiting its run, or validated, can be validated or started."
            )

    def cancel(self, caller: Caller, import_id: str, expected_version: int | None) -> Import:
        """A run stops at its next batch; the rows written before stay (revert them)."""
        caller.require(self.resource, Action.UPDATE)
        record = self._load(caller, import_id, expected_version)
        return self.move_status(
            caller, record, CANCELLABLE, {"status": ImportStatus.CANCELLED, "finished_at": utc_now()}
        )

    def revert(self, caller: Caller, import_id: str, expected_version: int | None) -> Import:
        """The records the import created erased and those it updated put back, in the background, as the caller;
        each only if it did not change since the import wrote it."""
        caller.require(self.resource, Action.UPDATE)
        record = self._load(caller, import_id, expected_version)
        if record.data.get("dry_run"):
            raise Conflict("A validation wrote nothing: there is nothing to revert.")
        changes = {
            "status": ImportStatus.REVERTING,
            "actor": caller.user_id,
            "roles": sorted(caller.roles),
            "run": None,
            "finished_at": None,
        }
        return self.move_status(caller, record, REVERTIBLE, changes)

    def out(self, record: Record) -> Import:
        data = record.data
        read = (data.get("counts") or {}).get("read", 0)
        shown: dict[str, Any] = {"rows_per_second": rows_per_second(data, read), "percent": _percent(data)}
        tenant_id, status = record.tenant_id, data["status"]
        if status in (ImportStatus.AWAITING_UPLOAD, ImportStatus.VALIDATED):
            shown["upload_url"] = self._files.upload_url(store.file_key(tenant_id, record.id))
        if data.get("report_key"):
            stem = data["filename"].rsplit(".", 1)[0]
            shown["report_url"] = self._files.download_url(data["report_key"], f"{stem}-report.csv")
            errors_key = store.file_key(tenant_id, record.id, "-errors")
            shown["errors_url"] = self._files.download_url(errors_key, f"{stem}-errors.csv")
        imported = super().out(record)
        return imported.model_copy(update=shown)


def _percent(data: Mapping[str, Any]) -> float | None:
    """The share of the file's bytes behind the run's position (after its header: 0, at its end: 100)."""
    size, offset = data.get("size"), (data.get("position") or {}).get("offset", 0)
    if not size or data.get("status") in (ImportStatus.REVERTING, ImportStatus.REVERTED):
        return None
    return round(100 * float(offset) / float(size), 1)


imports = ImportService(S3_IMPORT_FILES)
