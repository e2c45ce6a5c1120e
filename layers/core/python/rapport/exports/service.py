"""Exports: asked for with the entity, the list route's filter and the columns, all checked at once (the filter by
reading the first record as the asker, so a filter the list refuses, or an entity the asker may not read, is
refused now and not in the background); written by rapport.exports.writer; read with a fresh download link once
its file is ready."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from rapport.auth import Action, Caller
from rapport.contacts.service import contacts
from rapport.dal.repository import Guard, IndexKeys, Record
from rapport.exports import store
from rapport.exports.entities import exportable
from rapport.exports.files import CONTENT_TYPES, S3_EXPORT_FILES, ExportFiles
from rapport.exports.manifest import EXPORT
from rapport.exports.models import Export, ExportCreate, ExportFormat, ExportStatus, ExportStored
from rapport.pagination import Page
from rapport.records import RecordService
from rapport.runs import rows_per_second
from rapport.types import utc_now

CANCELLABLE = frozenset({ExportStatus.QUEUED, ExportStatus.RUNNING})


class ExportService(RecordService[ExportCreate, Export]):
    kind = EXPORT
    resource = "exports"
    label = "export"
    create_model = ExportStored
    out_model = Export

    def __init__(self, files: ExportFiles) -> None:
        self._files = files

    def guards(self, data: Mapping[str, Any]) -> dict[Guard, str]:
        return {}

    def index_keys(self, tenant_id: str, record_id: str, data: Mapping[str, Any], *, deleted: bool) -> IndexKeys:
        return store.index_keys(tenant_id, record_id, deleted=deleted)

    def create(self, caller: Caller, payload: ExportCreate) -> Export:
        caller.require(self.resource, Action.CREATE)
        entity = exportable(payload.entity)
        keywords = entity.keywords(payload.filter)
        entity.page(caller, keywords, None, limit=1)
        stored = ExportStored(
            entity=payload.entity,
            filter=payload.filter,
            columns=entity.columns(caller.tenant_id, payload.columns),
            roles=sorted(caller.roles),
        )
        return self._create(caller.tenant_id, caller.user_id, stored, complete=True)

    def privacy_export(self, caller: Caller, contact_id: str) -> Export:
        """A copy of everything kept about the contact (rapport.exports.person), as a JSON file: asked for by
        whoever may export, read as them (a 404 for a contact they cannot read)."""
        caller.require(self.resource, Action.CREATE)
        contacts.get(caller, contact_id)
        stored = ExportStored(
            entity="contacts", format=ExportFormat.JSON, subject=contact_id, roles=sorted(caller.roles)
        )
        return self._create(caller.tenant_id, caller.user_id, stored, complete=True)

    def search(self, caller: Caller, *, limit: int, cursor: str | None) -> Page[Export]:
        """The tenant's exports, newest first (ONE Query)."""
        return self.list(caller, store.newest_first(caller.tenant_id), limit=limit, cursor=cursor, bound_to={})

    def cancel(self, caller: Caller, export_id: str, expected_version: int | None) -> Export:
        """A queued or running export stops (its writer forgets the parts at its next one); 409 once it ended."""
        caller.require(self.resource, Action.UPDATE)
        record = self._load(caller, export_id, expected_version)
        return self.move_status(
            caller, record, CANCELLABLE, {"status": ExportStatus.CANCELLED, "finished_at": utc_now()}
        )

    def out(self, record: Record) -> Export:
        data = record.data
        shown: dict[str, Any] = {"rows_per_second": rows_per_second(data, data["rows"])}
        if data["status"] == ExportStatus.COMPLETED and data.get("key"):
            file_format = ExportFormat(data.get("format", ExportFormat.CSV))
            named = f"contact-{data['subject']}" if data.get("subject") else data["entity"]
            filename = f"{named}-{record.created_at[:10]}-{record.id}.{file_format.value}"
            url = self._files.download_url(data["key"], filename, CONTENT_TYPES[file_format])
            shown |= {"filename": filename, "download_url": url}
        exported = super().out(record)
        return exported.model_copy(update=shown)


exports = ExportService(S3_EXPORT_FILES)
