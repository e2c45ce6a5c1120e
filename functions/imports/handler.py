"""Imports API: /imports (the rows are written by functions/import_runner)."""

from aws_lambda_powertools.event_handler import Response

from rapport.api.http import PageOf, caller, create_app, entrypoint, expected_version, page_response, record_response
from rapport.api.records import (
    Cursor,
    IfMatch,
    Limit,
    RecordIdParam,
    StatusMove,
    register_moves,
    register_record_routes,
    responses,
)
from rapport.imports.models import Import, ImportCreate, ImportPlan
from rapport.imports.service import imports
from rapport.pagination import DEFAULT_LIMIT

WRITTEN_BY_ITS_RUNS = frozenset({"update", "delete", "restore", "history"})

app = create_app()
register_record_routes(app, imports, ImportCreate, ImportCreate, Import, skip=WRITTEN_BY_ITS_RUNS)
register_moves(
    app,
    imports,
    Import,
    [
        StatusMove("cancel", "Stop a running import (or validation) at its next batch", imports.cancel),
        StatusMove(
            "revert",
            "Undo an ended import: the records it created erased, those it updated put back",
            imports.revert,
            "In the background, like the import: a record changed since the import wrote it is kept, and counted "
            "in `counts.kept`.",
        ),
    ],
)

PLAN_CHECKS = (
    "The file must be uploaded; the mapping's columns must be the file's, its fields the entity's, and the match "
    "one of the entity's unique fields, mapped. 409 unless the import awaits its run or is validated."
)


@app.post(
    "/imports/<record_id>/validate",
    tags=["imports"],
    operation_id="validateImport",
    summary="A dry run: every row read, matched and checked as the import would, nothing written",
    description=f"{PLAN_CHECKS} The report (`report_url`) says what each row would come to.",
    responses=responses(200, Import, 409, 412),
)
def validate_import(record_id: RecordIdParam, body: ImportPlan, if_match: IfMatch = None) -> Response[Import]:
    return record_response(imports.validate(caller(app), record_id, body, expected_version(if_match, required=False)))


@app.post(
    "/imports/<record_id>/start",
    tags=["imports"],
    operation_id="startImport",
    summary="Import the file's rows, in the background",
    description=f"{PLAN_CHECKS} Follow it at GET /imports/{{id}}: its status, counts and rate.",
    responses=responses(200, Import, 409, 412),
)
def start_import(record_id: RecordIdParam, body: ImportPlan, if_match: IfMatch = None) -> Response[Import]:
    return record_response(imports.start(caller(app), record_id, body, expected_version(if_match, required=False)))


@app.get(
    "/imports",
    tags=["imports"],
    operation_id="listImports",
    summary="The tenant's imports, newest first",
    responses=responses(200, PageOf[Import]),
)
def list_imports(limit: Limit = DEFAULT_LIMIT, cursor: Cursor = None) -> Response[PageOf[Import]]:
    return page_response(imports.search(caller(app), limit=limit, cursor=cursor))


lambda_handler = entrypoint(app)
