"""The customer portal: /portal, for customers signed in through the customer pool (staff tokens are refused).

Every route answers about the caller's own records only (rapport.portal.service): anything else is a 404.
"""

from typing import Annotated

from aws_lambda_powertools.event_handler import Response
from aws_lambda_powertools.event_handler.openapi.params import Query

from rapport.api.http import (
    PORTAL_EXTENSION,
    PageOf,
    create_app,
    customer,
    entrypoint,
    expected_version,
    merge_patch_of,
    model_response,
    page_response,
    record_response,
    request_proof,
    respond_once,
)
from rapport.api.records import Cursor, IdempotencyKey, IfMatch, Limit, RecordIdParam, responses
from rapport.contacts.models import ContactConsent
from rapport.dal.idempotency import StoredResponse
from rapport.kb.models import PublicArticle
from rapport.pagination import DEFAULT_LIMIT
from rapport.portal import service
from rapport.portal.models import (
    PortalAppointment,
    PortalCase,
    PortalCaseCreate,
    PortalConsentChange,
    PortalMessage,
    PortalMessageCreate,
    PortalProfile,
    PortalProfilePatch,
)

TAGS = ["portal"]
PORTAL = {PORTAL_EXTENSION: True}
app = create_app(customers=True)


@app.get(
    "/portal/me",
    tags=TAGS,
    operation_id="getPortalProfile",
    summary="Your profile: name, email, phone, address",
    openapi_extensions=PORTAL,
    responses=responses(200, PortalProfile),
)
def get_profile() -> Response[PortalProfile]:
    return record_response(service.me(customer(app)))


@app.patch(
    "/portal/me",
    tags=TAGS,
    operation_id="updatePortalProfile",
    summary="Change your name, phone or address (a JSON merge patch, with If-Match)",
    openapi_extensions=PORTAL,
    responses=responses(200, PortalProfile, 409, 412, 428),
)
def update_profile(body: PortalProfilePatch, if_match: IfMatch = None) -> Response[PortalProfile]:
    version = expected_version(if_match, required=True)
    assert version is not None
    return record_response(service.update_me(customer(app), merge_patch_of(body), version))


@app.get(
    "/portal/me/consent",
    tags=TAGS,
    operation_id="getPortalConsent",
    summary="What you agreed to receive, per channel and topic",
    openapi_extensions=PORTAL,
    responses=responses(200, ContactConsent),
)
def get_consent() -> Response[ContactConsent]:
    return model_response(service.my_consent(customer(app)))


@app.put(
    "/portal/me/consent",
    tags=TAGS,
    operation_id="putPortalConsent",
    summary="Opt in to or out of a channel, or one of the tenant's topics on it (recorded with source portal)",
    openapi_extensions=PORTAL,
    responses=responses(200, ContactConsent, 409),
)
def put_consent(body: PortalConsentChange) -> Response[ContactConsent]:
    return model_response(service.record_consent(customer(app), body, request_proof(app)))


@app.get(
    "/portal/cases",
    tags=TAGS,
    operation_id="listPortalCases",
    summary="Your cases, newest first (account managers: `scope=account`, their account's)",
    openapi_extensions=PORTAL,
    responses=responses(200, PageOf[PortalCase]),
)
def list_cases(
    scope: Annotated[
        str | None, Query(pattern=r"^account$", description="account: your account's cases (account managers)")
    ] = None,
    limit: Limit = DEFAULT_LIMIT,
    cursor: Cursor = None,
) -> Response[PageOf[PortalCase]]:
    return page_response(service.list_cases(customer(app), account=scope is not None, limit=limit, cursor=cursor))


@app.post(
    "/portal/cases",
    tags=TAGS,
    operation_id="createPortalCase",
    summary="Open a case: it is routed and timed like any other",
    openapi_extensions=PORTAL,
    responses=responses(201, PortalCase, 409),
    status_code=201,
)
def create_case(body: PortalCaseCreate, idempotency_key: IdempotencyKey = None) -> Response[PortalCase]:
    def produce() -> StoredResponse:
        case = service.open_case(customer(app), body)
        return StoredResponse(status=201, body=case.model_dump_json(), headers={"Location": f"/portal/cases/{case.id}"})

    return respond_once(app, idempotency_key, produce)


@app.get(
    "/portal/cases/<record_id>",
    tags=TAGS,
    operation_id="getPortalCase",
    summary="One of your cases",
    openapi_extensions=PORTAL,
    responses=responses(200, PortalCase),
)
def get_case(record_id: RecordIdParam) -> Response[PortalCase]:
    return model_response(service.get_case(customer(app), record_id))


@app.post(
    "/portal/cases/<record_id>/close",
    tags=TAGS,
    operation_id="closePortalCase",
    summary="Close your case",
    openapi_extensions=PORTAL,
    responses=responses(200, PortalCase, 409, 412),
)
def close_case(record_id: RecordIdParam) -> Response[PortalCase]:
    return model_response(service.close_case(customer(app), record_id))


@app.post(
    "/portal/cases/<record_id>/reopen",
    tags=TAGS,
    operation_id="reopenPortalCase",
    summary="Reopen your resolved or closed case",
    openapi_extensions=PORTAL,
    responses=responses(200, PortalCase, 409, 412),
)
def reopen_case(record_id: RecordIdParam) -> Response[PortalCase]:
    return model_response(service.reopen_case(customer(app), record_id))


@app.get(
    "/portal/cases/<record_id>/messages",
    tags=TAGS,
    operation_id="listPortalCaseMessages",
    summary="Your case's conversation, oldest first: your messages and the replies to you",
    openapi_extensions=PORTAL,
    responses=responses(200, PageOf[PortalMessage]),
)
def list_messages(
    record_id: RecordIdParam, limit: Limit = DEFAULT_LIMIT, cursor: Cursor = None
) -> Response[PageOf[PortalMessage]]:
    return page_response(service.messages(customer(app), record_id, limit=limit, cursor=cursor))


@app.post(
    "/portal/cases/<record_id>/messages",
    tags=TAGS,
    operation_id="addPortalCaseMessage",
    summary="Write on your case (a closed case: reopen it first)",
    openapi_extensions=PORTAL,
    responses=responses(201, PortalMessage, 409),
    status_code=201,
)
def add_message(
    record_id: RecordIdParam, body: PortalMessageCreate, idempotency_key: IdempotencyKey = None
) -> Response[PortalMessage]:
    def produce() -> StoredResponse:
        message = service.post_message(customer(app), record_id, body)
        return StoredResponse(status=201, body=message.model_dump_json())

    return respond_once(app, idempotency_key, produce)


@app.get(
    "/portal/kb/articles",
    tags=TAGS,
    operation_id="listPortalArticles",
    summary="The published public articles, those linked to your cases first, then by title; or found by words",
    openapi_extensions=PORTAL,
    responses=responses(200, PageOf[PublicArticle]),
)
def list_articles(
    q: Annotated[str | None, Query(min_length=1, max_length=200, description="Words of the title or tags")] = None,
    limit: Limit = DEFAULT_LIMIT,
    cursor: Cursor = None,
) -> Response[PageOf[PublicArticle]]:
    return page_response(service.kb_articles(customer(app), q, limit=limit, cursor=cursor))


@app.get(
    "/portal/appointments",
    tags=TAGS,
    operation_id="listPortalAppointments",
    summary="Your scheduled appointments, by start",
    openapi_extensions=PORTAL,
    responses=responses(200, PageOf[PortalAppointment]),
)
def list_appointments(limit: Limit = DEFAULT_LIMIT, cursor: Cursor = None) -> Response[PageOf[PortalAppointment]]:
    return page_response(service.appointments(customer(app), limit=limit, cursor=cursor))


lambda_handler = entrypoint(app)
