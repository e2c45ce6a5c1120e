"""Cases API: /cases, a case's conversation, /service-settings, /reports/service."""

from datetime import UTC, datetime
from typing import Annotated, Any

from aws_lambda_powertools.event_handler import Response
from aws_lambda_powertools.event_handler.openapi.params import Query

from rapport.api.http import PageOf, caller, create_app, entrypoint, model_response, page_response, respond_once
from rapport.api.records import (
    Cursor,
    IdempotencyKey,
    Limit,
    RecordIdParam,
    register_record_routes,
    responses,
)
from rapport.api.settings import register_settings_routes
from rapport.cases import reports
from rapport.cases.models import NUMBER_PATTERN, Case, CaseCreate, CaseMessage, CaseMessageCreate, CasePatch, CaseStatus
from rapport.cases.service import FILTERS, ME, cases
from rapport.cases.settings import SERVICE_SETTINGS
from rapport.dal.idempotency import StoredResponse
from rapport.pagination import DEFAULT_LIMIT
from rapport.types import RECORD_ID_PATTERN

app = create_app()
register_record_routes(app, cases, CaseCreate, CasePatch, Case)
register_settings_routes(
    app,
    SERVICE_SETTINGS,
    "/service-settings",
    tag="cases",
    name="ServiceSettings",
    reads="The tenant's service queues, case routing rules, business-hours calendars and SLA policies (until saved: "
    "no queue, Monday-Friday 09:00-17:00 UTC, no policy)",
    replaces="Replace the tenant's service settings (admin, manager)",
    description="Queues with their members (capacity, turn order), manager and strategy; routing rules in order "
    "(the first matching the case's type, priority, channel and account tags picks the queue) and the default queue; "
    "business-hours calendars and SLA policies (the first whose conditions a case meets times it). A rule, default or "
    "escalation naming no queue, a policy naming no calendar, a name used twice or a member listed twice is a 422.",
)
RecordFilter = Annotated[str | None, Query(min_length=1, max_length=64, pattern=RECORD_ID_PATTERN)]


@app.get(
    "/cases",
    tags=["cases"],
    operation_id="listCases",
    summary="List cases, newest first (the SLA work list soonest due first), filtered",
    description=f"Filter combinations (any other is a 400): {FILTERS.described()}. owner_id may be `me`.",
    responses=responses(200, PageOf[Case]),
)
def list_cases(
    number: Annotated[
        str | None, Query(pattern=NUMBER_PATTERN, description="CS-<n>: the case with that number")
    ] = None,
    queue: Annotated[str | None, Query(min_length=1, max_length=64, pattern=r"^[A-Za-z0-9_-]+$")] = None,
    owner_id: Annotated[
        str | None,
        Query(min_length=1, max_length=128, pattern=r"^[A-Za-z0-9@._:+-]+$", description=f"A user id, or {ME}"),
    ] = None,
    status: Annotated[CaseStatus | None, Query(description="With queue (required) or owner_id")] = None,
    contact_id: RecordFilter = None,
    account_id: RecordFilter = None,
    breach_before: Annotated[
        str | None,
        Query(
            min_length=1,
            max_length=40,
            description="An instant: the SLA work list, cases with a running target due before it, soonest first",
        ),
    ] = None,
    limit: Limit = DEFAULT_LIMIT,
    cursor: Cursor = None,
) -> Response[PageOf[Case]]:
    page = cases.search(
        caller(app),
        number=number,
        queue=queue,
        owner_id=owner_id,
        status=status.value if status else None,
        contact_id=contact_id,
        account_id=account_id,
        breach_before=breach_before,
        limit=limit,
        cursor=cursor,
    )
    return page_response(page)


@app.post(
    "/cases/<record_id>/messages",
    tags=["cases"],
    operation_id="addCaseMessage",
    summary="Add a staff message to a case: a public reply (emailed to the customer) or an internal note",
    responses=responses(201, CaseMessage, 409),
    status_code=201,
)
def add_case_message(
    record_id: RecordIdParam, body: CaseMessageCreate, idempotency_key: IdempotencyKey = None
) -> Response[CaseMessage]:
    def produce() -> StoredResponse:
        message = cases.add_message(caller(app), record_id, body)
        return StoredResponse(status=201, body=message.model_dump_json())

    return respond_once(app, idempotency_key, produce)


@app.get(
    "/cases/<record_id>/messages",
    tags=["cases"],
    operation_id="listCaseMessages",
    summary="A case's conversation, oldest first (internal notes included)",
    responses=responses(200, PageOf[CaseMessage]),
)
def list_case_messages(
    record_id: RecordIdParam, limit: Limit = DEFAULT_LIMIT, cursor: Cursor = None
) -> Response[PageOf[CaseMessage]]:
    return page_response(cases.messages(caller(app), record_id, limit=limit, cursor=cursor))


@app.get(
    "/reports/service",
    tags=["cases"],
    operation_id="getServiceReport",
    summary="Per queue and agent: cases opened and resolved, response and resolution times, SLA, backlog, reopens",
    description=reports.REPORT,
    responses=responses(200, reports.ServiceReport),
)
def get_service_report(
    period: Annotated[
        str, Query(min_length=7, max_length=7, description="A quarter like 2026-Q4 or a month like 2026-11")
    ],
) -> Response[Any]:
    return model_response(reports.service_report(caller(app), period, now=datetime.now(UTC)))


lambda_handler = entrypoint(app)
