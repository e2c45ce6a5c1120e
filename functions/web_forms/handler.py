"""Web forms API: /web-forms, the API keys of a tenant's website forms (admin issues and revokes them)."""

from aws_lambda_powertools.event_handler import Response

from rapport.api.http import (
    PageOf,
    caller,
    create_app,
    create_once,
    entrypoint,
    expected_version,
    no_content,
    page_response,
    record_response,
)
from rapport.api.records import Cursor, IdempotencyKey, IfMatch, Limit, RecordIdParam, responses
from rapport.pagination import DEFAULT_LIMIT
from rapport.web_forms.models import WebForm, WebFormCreate, WebFormCreated
from rapport.web_forms.service import web_forms

TAGS = ["web_forms"]
app = create_app()


@app.post(
    "/web-forms",
    tags=TAGS,
    operation_id="createWebForm",
    summary="Create a web form and its API key (shown once)",
    description="The form's page sends leads to POST /public/leads with the key as `x-api-key`. Each key is "
    "throttled and has a daily quota (the stack's web form usage plan).",
    responses=responses(201, WebFormCreated),
    status_code=201,
)
def create_web_form(body: WebFormCreate, idempotency_key: IdempotencyKey = None) -> Response[WebFormCreated]:
    return create_once(
        app, idempotency_key, lambda: web_forms.create(caller(app), body), lambda form: f"/web-forms/{form.id}"
    )


@app.get(
    "/web-forms",
    tags=TAGS,
    operation_id="listWebForms",
    summary="The tenant's web forms by name, revoked ones included",
    responses=responses(200, PageOf[WebForm]),
)
def list_web_forms(
    limit: Limit = DEFAULT_LIMIT,
    cursor: Cursor = None,
) -> Response[PageOf[WebForm]]:
    return page_response(web_forms.search(caller(app), limit=limit, cursor=cursor))


@app.get(
    "/web-forms/<record_id>",
    tags=TAGS,
    operation_id="getWebForm",
    summary="Read a web form (without its key's value)",
    responses=responses(200, WebForm),
)
def get_web_form(record_id: RecordIdParam) -> Response[WebForm]:
    return record_response(web_forms.get(caller(app), record_id))


@app.delete(
    "/web-forms/<record_id>",
    tags=TAGS,
    operation_id="deleteWebForm",
    summary="Revoke a web form: it stops accepting submissions and its API key is deleted",
    responses=responses(204, None, 412),
    status_code=204,
)
def delete_web_form(record_id: RecordIdParam, if_match: IfMatch = None) -> Response[None]:
    web_forms.revoke(caller(app), record_id, expected_version(if_match, required=False))
    return no_content()


lambda_handler = entrypoint(app)
