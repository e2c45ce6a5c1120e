"""Leads API: /leads and the tenant's /scoring-rules."""

from typing import Annotated, Any

from aws_lambda_powertools.event_handler import Response
from aws_lambda_powertools.event_handler.openapi.params import Query

from rapport.api.http import (
    JSON,
    PageOf,
    caller,
    create_app,
    entrypoint,
    etag,
    expected_version,
    page_response,
    respond_once,
)
from rapport.api.records import (
    Cursor,
    IdempotencyKey,
    IfMatch,
    Limit,
    RecordIdParam,
    Trash,
    register_record_routes,
    responses,
)
from rapport.api.settings import register_settings_routes
from rapport.conversion.models import Conversion, ConvertLead
from rapport.dal.idempotency import StoredResponse
from rapport.leads.models import (
    Lead,
    LeadAttached,
    LeadCreate,
    LeadPatch,
    LeadStatus,
    OnDuplicate,
)
from rapport.leads.service import FILTERS, leads, scoring_rules
from rapport.pagination import DEFAULT_LIMIT

app = create_app()
register_record_routes(app, leads, LeadCreate, LeadPatch, Lead, skip=frozenset({"create"}))

_ATTACHED: dict[str, Any] = {
    "description": "on_duplicate=attach met an existing contact or open lead: the submission is now an interaction "
    "in its timeline (a lead also counts it as engagement). Location names that record; no lead was created.",
    "content": {JSON: {"model": LeadAttached}},
}
_CREATE_RESPONSES: dict[int, Any] = {**responses(201, Lead, 409), 200: _ATTACHED}
_LOCATIONS = {"contact": "/contacts", "lead": "/leads"}


@app.post(
    "/leads",
    tags=["leads"],
    operation_id="createLead",
    summary="Create a lead (a duplicate is refused, or attached to the existing record)",
    description="A lead whose email is a contact's, or an open lead's, is a duplicate: 409 naming it in "
    "`existing`, or with `on_duplicate=attach`, 200 with the interaction recorded on it. `score` is computed "
    "from the tenant's scoring rules and cannot be sent.",
    responses=_CREATE_RESPONSES,
    status_code=201,
)
def create_lead(
    body: LeadCreate,
    on_duplicate: Annotated[
        OnDuplicate, Query(description="refuse: 409 on a duplicate; attach: record it on the existing record")
    ] = OnDuplicate.REFUSE,
    idempotency_key: IdempotencyKey = None,
) -> Response[Lead | LeadAttached]:
    def produce() -> StoredResponse:
        outcome = leads.create_or_attach(caller(app), body, on_duplicate)
        if isinstance(outcome, LeadAttached):
            existing = outcome.attached_to
            location = f"{_LOCATIONS[existing.type]}/{existing.id}"
            return StoredResponse(status=200, body=outcome.model_dump_json(), headers={"Location": location})
        headers = {"ETag": etag(outcome.version), "Location": f"/leads/{outcome.id}"}
        return StoredResponse(status=201, body=outcome.model_dump_json(), headers=headers)

    return respond_once(app, idempotency_key, produce)


@app.post(
    "/leads/<record_id>/convert",
    tags=["leads"],
    operation_id="convertLead",
    summary="Convert a lead into a contact (and account, and deal) in one transaction",
    description="Links to the contact holding the lead's email and to its account or the account of the email's "
    "domain instead of duplicating them, filling only their empty fields; makes the rest from the lead; opens the "
    "deal if asked; moves the lead's interactions into the contact's timeline. A converted lead is a 409 naming "
    "its contact, also for conversions of it sent at the same time as the one that won. If-Match is optional: "
    "with it, a lead changed since that version is a 412.",
    responses=responses(200, Conversion, 409, 412),
)
def convert_lead(
    record_id: RecordIdParam, body: ConvertLead, idempotency_key: IdempotencyKey = None, if_match: IfMatch = None
) -> Response[Conversion]:
    version = expected_version(if_match, required=False)

    def produce() -> StoredResponse:
        # Conversion joins the accounts, contacts, deals and activities services: loaded by the conversions that
        # need them, not by every cold start of the leads API.
        from rapport.conversion.service import convert

        outcome = convert(caller(app), record_id, body, version)
        return StoredResponse(status=200, body=outcome.model_dump_json(), headers={})

    return respond_once(app, idempotency_key, produce)


@app.get(
    "/leads",
    tags=["leads"],
    operation_id="listLeads",
    summary="List leads by score, highest first, or find them by email or name",
    description=f"Filter combinations (any other is a 400): {FILTERS.described()}. `q` lists by the word matched, "
    "then score; a page may then hold fewer than `limit` leads and still have a next_cursor.",
    responses=responses(200, PageOf[Lead]),
)
def list_leads(
    status: Annotated[LeadStatus | None, Query(description="Only leads in this status")] = None,
    owner_id: Annotated[str | None, Query(min_length=1, max_length=128, pattern=r"^[A-Za-z0-9@._:+-]+$")] = None,
    min_score: Annotated[int | None, Query(ge=0, le=100, description="Only leads scoring at least this")] = None,
    email: Annotated[str | None, Query(min_length=3, max_length=254, description="The lead's email")] = None,
    q: Annotated[
        str | None,
        Query(
            min_length=1,
            max_length=100,
            description="Words starting words of the first name, last name or company, case and accents aside",
        ),
    ] = None,
    deleted: Trash = False,
    limit: Limit = DEFAULT_LIMIT,
    cursor: Cursor = None,
) -> Response[PageOf[Lead]]:
    page = leads.search(
        caller(app),
        status=status,
        owner_id=owner_id,
        min_score=min_score,
        email=email,
        q=q,
        deleted=deleted,
        limit=limit,
        cursor=cursor,
    )
    return page_response(page)


register_settings_routes(
    app,
    scoring_rules,
    "/scoring-rules",
    tag="leads",
    name="ScoringRules",
    reads="The tenant's lead scoring rules (the defaults, version 0, until saved)",
    replaces="Replace the tenant's lead scoring rules",
    description="Leads are rescored with the new rules when they are next written (edited, or engaged).",
)


lambda_handler = entrypoint(app)
