"""Exports API: /exports (the files are written by functions/export_writer)."""

from aws_lambda_powertools.event_handler import Response

from rapport.api.http import PageOf, caller, create_app, create_once, entrypoint, page_response
from rapport.api.records import (
    Cursor,
    IdempotencyKey,
    Limit,
    RecordIdParam,
    StatusMove,
    register_moves,
    register_record_routes,
    responses,
)
from rapport.exports.models import Export, ExportCreate
from rapport.exports.service import exports
from rapport.pagination import DEFAULT_LIMIT

WRITTEN_ONCE = frozenset({"update", "delete", "restore", "history"})  # an export is asked for, then it runs

app = create_app()
register_record_routes(app, exports, ExportCreate, ExportCreate, Export, skip=WRITTEN_ONCE)
register_moves(
    app,
    exports,
    Export,
    [StatusMove("cancel", "Stop a queued or running export; no file is made", exports.cancel)],
)


@app.post(
    "/contacts/<record_id>/privacy-export",
    tags=["exports"],
    operation_id="exportContactData",
    summary="A copy of everything Rapport keeps about a contact (a privacy access request), as a JSON file",
    description="Written in the background like any export: follow it, and download the file, at the Location "
    "(GET /exports/{id}).",
    responses=responses(201, Export),
)
def export_contact_data(record_id: RecordIdParam, idempotency_key: IdempotencyKey = None) -> Response[Export]:
    return create_once(
        app,
        idempotency_key,
        lambda: exports.privacy_export(caller(app), record_id),
        lambda export: f"/exports/{export.id}",
        lambda export_id: exports.get(caller(app), export_id),
    )


@app.get(
    "/exports",
    tags=["exports"],
    operation_id="listExports",
    summary="The tenant's exports, newest first",
    responses=responses(200, PageOf[Export]),
)
def list_exports(limit: Limit = DEFAULT_LIMIT, cursor: Cursor = None) -> Response[PageOf[Export]]:
    return page_response(exports.search(caller(app), limit=limit, cursor=cursor))


lambda_handler = entrypoint(app)
