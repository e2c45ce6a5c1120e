"""What every API handler shares: the resolver, the caller, versions as ETags, idempotent creates."""

from __future__ import annotations

import base64
import binascii
import json
import re
from collections.abc import Callable
from datetime import timedelta
from http import HTTPStatus
from typing import TYPE_CHECKING, Any, Generic, Protocol, TypeVar
from urllib.parse import urlencode

from aws_lambda_powertools import Logger, Metrics
from aws_lambda_powertools.event_handler import APIGatewayRestResolver, CORSConfig, Response
from aws_lambda_powertools.event_handler.api_gateway import ApiGatewayResolver
from aws_lambda_powertools.event_handler.exceptions import NotFoundError
from aws_lambda_powertools.event_handler.openapi.exceptions import (
    RequestUnsupportedContentType,
    RequestValidationError,
)
from aws_lambda_powertools.logging import correlation_paths
from aws_lambda_powertools.utilities.typing import LambdaContext
from pydantic import BaseModel

from rapport import config
from rapport.api.body import loads as json_loads
from rapport.api.body import problem as body_problem
from rapport.api.filters import refuse_unknown_query_parameters, unsupported_query_parameters
from rapport.api.problems import PROBLEM_JSON, from_validation_error, problem_response, route_not_found
from rapport.auth import Caller, Customer, Identity, customers_only, identity_from_claims, staff_only
from rapport.consent.models import Proof
from rapport.dal import idempotency, tenancy
from rapport.errors import BadRequest, InternalError, PreconditionRequired, RapportError, UnsupportedMediaType
from rapport.pagination import Page
from rapport.types import LazyModel, RecordMeta

if TYPE_CHECKING:  # a type only: the middlewares module is not loaded for it at a cold start
    from aws_lambda_powertools.event_handler.middlewares import NextMiddleware

JSON = "application/json"
# An operation anyone may call, with no token and no API key (`openapi_extensions={PUBLIC_EXTENSION: True}`): the
# OpenAPI document gives it `security: []`, and the stack no authorizer (infra/openapi.py).
PUBLIC_EXTENSION = "x-rapport-public"
# An operation of the customer portal (`openapi_extensions={PORTAL_EXTENSION: True}`): the OpenAPI document gives it
# the `customer` security scheme, and the stack the customer pool's authorizer instead of the staff one.
PORTAL_EXTENSION = "x-rapport-portal"
FORM = "application/x-www-form-urlencoded"
MULTIPART_FORM = "multipart/form-data"
MERGE_PATCH_JSON = "application/merge-patch+json"  # RFC 7396: what every PATCH takes, as does application/json
ItemT = TypeVar("ItemT", bound=BaseModel)
RecordT = TypeVar("RecordT", bound=RecordMeta)
_WHOLE_PATH = r"^{}/*\Z"  # a route's path, then optional slashes, then the end (`$` also matches before "\n")
_IP = re.compile(r"^[0-9A-Fa-f:.]{2,45}$")
_IF_MATCH = re.compile(r'(?:W/)?"?(\d{1,18})"?')

logger = Logger()
metrics = Metrics()
# No Powertools Tracer: the X-Ray SDK builds an X-Ray client when imported, which alone would double the cold
# start. Lambda's active tracing still records each invocation and its AWS calls' latency.


class PageOf(LazyModel, Generic[ItemT]):
    items: list[ItemT]
    next_cursor: str | None


class Resolver(APIGatewayRestResolver):
    """Powertools' REST resolver, matching a route against the whole path: its `^…$` also matched a path with a
    trailing newline (`/contacts/<id>%0A` reached `<id>`)."""

    @staticmethod
    def _compile_regex(rule: str, base_regex: str = _WHOLE_PATH) -> re.Pattern[str]:
        pattern: re.Pattern[str] = ApiGatewayResolver._compile_regex(rule, _WHOLE_PATH)
        return pattern


def create_app(
    cors: CORSConfig | None = None, *, staff: bool = True, customers: bool = False
) -> APIGatewayRestResolver:
    """The resolver every area uses; `cors` for an area that browsers call from elsewhere (public routes).

    The caller is resolved once per request (`resolve_identity`): the routes are staff's, so a customer is a 403 on
    each; an area for `customers` (the portal) refuses staff instead (`resolve_customer`). An area whose routes
    take no token at all (`staff=False`: API Gateway has no authorizer on them, and their own signed tokens say
    whose data they touch) resolves no caller. Every route refuses query parameters it does not
    declare (`rapport.api.filters`); when Powertools' validation fails first, its 400 names them too.
    """
    cors = cors or CORSConfig(
        allow_origin=config.current().allowed_origin,
        allow_headers=["Authorization", "Content-Type", "If-Match", "Idempotency-Key"],
        expose_headers=["ETag", "Location", "Idempotency-Replayed"],
    )
    app = Resolver(
        enable_validation=True,
        cors=cors,
        response_validation_error_http_code=HTTPStatus.INTERNAL_SERVER_ERROR,
        json_body_deserializer=json_loads,
    )
    resolving = [resolve_customer] if customers else [resolve_identity] if staff else []
    app.use(middlewares=[*resolving, refuse_unknown_query_parameters])
    app.exception_handler(RapportError)(problem_response)
    app.exception_handler(RequestValidationError)(
        lambda error: problem_response(from_validation_error(error, unsupported_query_parameters(app)))
    )
    app.exception_handler(RequestUnsupportedContentType)(
        lambda _: problem_response(UnsupportedMediaType("Send the body as application/json."))
    )
    app.exception_handler(Exception)(_internal_error)
    app.exception_handler(NotFoundError)(lambda _: problem_response(route_not_found(app.current_event.path)))
    return app


def _edge_problem(event: dict[str, Any], *, forms: bool) -> RapportError | None:
    """Why the body may not reach the route: a media type other than JSON (multipart, text: Powertools would try
    to parse some of them and fail its own way; a form only where `forms`, for pages' forms), or JSON it cannot
    parse safely (`rapport.api.body`)."""
    raw = event.get("body")
    media_type = _media_type(event)
    if forms and media_type == MULTIPART_FORM:  # even empty: Powertools would look for its boundary
        return _multipart_problem(event, str(raw or ""))
    if not raw or (forms and media_type == FORM):
        return None
    accepted = (JSON, MERGE_PATCH_JSON) if event.get("httpMethod") == "PATCH" else (JSON,)
    if media_type and media_type not in accepted:
        return UnsupportedMediaType(f"Send the body as {' or '.join(accepted)}, not {media_type}.")
    try:
        body = base64.b64decode(raw, validate=True) if event.get("isBase64Encoded") else str(raw).encode()
    except binascii.Error:
        return BadRequest.of("", "The body is marked base64 but is not.", location="body")
    return body_problem(body)


def _multipart_problem(event: dict[str, Any], raw: str) -> RapportError | None:
    """A multipart body Powertools could not split into its parts (no boundary, malformed): a 400, not its error."""
    from email import policy as email_policy  # only here: a function that takes no form never loads it
    from email.parser import BytesParser

    headers = {name.lower(): value for name, value in (event.get("headers") or {}).items()}
    content_type = str(headers.get("content-type"))
    try:
        body = base64.b64decode(raw, validate=True) if event.get("isBase64Encoded") else raw.encode("latin-1")
    except (binascii.Error, UnicodeEncodeError):
        return BadRequest.of("", "The body is not multipart/form-data.", location="body")
    message = BytesParser(policy=email_policy.HTTP).parsebytes(f"Content-Type: {content_type}\r\n\r\n".encode() + body)
    if not message.get_boundary() or not message.is_multipart() or message.defects:
        return BadRequest.of("", "The multipart/form-data body has no boundary or is malformed.", location="body")
    return None


def _media_type(event: dict[str, Any]) -> str:
    headers = {name.lower(): value for name, value in (event.get("headers") or {}).items()}
    return str(headers.get("content-type") or "").split(";")[0].strip().lower()


def _as_json(event: dict[str, Any]) -> dict[str, Any]:
    """The event with a merge patch's media type read as JSON, which is what Powertools parses."""
    if _media_type(event) != MERGE_PATCH_JSON:
        return event
    headers = {name: JSON if name.lower() == "content-type" else value for name, value in event["headers"].items()}
    multi = {
        name: [JSON] if name.lower() == "content-type" else values
        for name, values in (event.get("multiValueHeaders") or {}).items()
    }
    return {**event, "headers": headers, "multiValueHeaders": multi or None}


def _problem_event(error: RapportError) -> dict[str, Any]:
    problem = problem_response(error)
    return {
        "statusCode": problem.status_code,
        "headers": {"Content-Type": PROBLEM_JSON, "Access-Control-Allow-Origin": config.current().allowed_origin},
        "body": problem.body,
        "isBase64Encoded": False,
    }


def _internal_error(error: Exception) -> Response[Any]:
    """A fault of ours (a response breaking its schema included): logged whole, answered without internals."""
    logger.exception("unhandled error")
    return problem_response(InternalError("Something went wrong on our side; the request id is in the logs."))


def entrypoint(
    app: APIGatewayRestResolver, *, forms: bool = False
) -> Callable[[dict[str, Any], LambdaContext], dict[str, Any]]:
    """The Lambda handler for `app`, with structured logs correlated by request id (`correlation_id`), and metrics.
    Each invocation starts its logs' keys afresh: a warm container never logs the previous request's tenant. Its
    requests on tenant data are its caller's tenant's (`resolve_identity`), or refused (rapport.dal.tenancy).
    `forms`: its routes also take HTML forms' bodies (application/x-www-form-urlencoded, multipart/form-data)."""

    @logger.inject_lambda_context(correlation_id_path=correlation_paths.API_GATEWAY_REST, clear_state=True)
    @metrics.log_metrics
    @tenancy.fenced()
    def handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
        refused = _edge_problem(event, forms=forms)
        return _problem_event(refused) if refused else app.resolve(_as_json(event), context)

    return handler


def merge_patch_of(body: BaseModel) -> dict[str, Any]:
    """A validated PATCH body as the merge patch it is: the members sent (nulls included), as JSON."""
    return body.model_dump(mode="json", exclude_unset=True, by_alias=True)


def resolve_identity(app: APIGatewayRestResolver, next_middleware: NextMiddleware) -> Response[Any]:
    """Who is calling, from the token's claims, once per request: every later log line names its tenant and
    caller; a customer may use no staff route (403), and `caller` answers the staff member. The route's DynamoDB
    requests use the caller's tenant's credentials (rapport.dal.tenancy)."""
    authorizer = app.current_event.request_context.authorizer
    claims = authorizer.claims if authorizer else None
    identity = identity_from_claims(claims) if claims else None
    if identity is not None:
        who = {"user_id": identity.user_id} if isinstance(identity, Caller) else {"contact_id": identity.contact_id}
        logger.append_keys(tenant_id=identity.tenant_id, **who)
        staff_only(identity)  # a customer: refused here, whatever the route
    app.append_context(identity=identity)  # type: ignore[no-untyped-call]
    if identity is None:  # web-to-lead binds the tenant its API key names itself
        return next_middleware(app)
    with tenancy.tenant_scope(identity.tenant_id):
        return next_middleware(app)


def resolve_customer(app: APIGatewayRestResolver, next_middleware: NextMiddleware) -> Response[Any]:
    """The customer calling, from the customer pool's token, once per request: a staff token is a 403 on the portal.
    The route's DynamoDB requests use the customer's tenant's credentials (rapport.dal.tenancy)."""
    authorizer = app.current_event.request_context.authorizer
    customer = customers_only(identity_from_claims(authorizer.claims if authorizer else None))
    logger.append_keys(tenant_id=customer.tenant_id, contact_id=customer.contact_id)
    app.append_context(identity=customer)  # type: ignore[no-untyped-call]
    with tenancy.tenant_scope(customer.tenant_id):
        return next_middleware(app)


def customer(app: APIGatewayRestResolver) -> Customer:
    """The customer calling (resolved by `resolve_customer`)."""
    identity: Identity | None = app.context.get("identity")
    return customers_only(identity)


def caller(app: APIGatewayRestResolver) -> Caller:
    """The staff member calling (resolved by `resolve_identity`)."""
    identity: Identity | None = app.context.get("identity")
    return staff_only(identity)


def request_proof(app: APIGatewayRestResolver) -> Proof:
    """The request's IP and user agent, as API Gateway saw them: what shows who made a consent change."""
    identity = app.current_event.request_context.identity
    ip = identity.source_ip if identity and identity.source_ip and _IP.match(identity.source_ip) else None
    agent = (identity.user_agent or "")[:500].strip() if identity else ""
    return Proof(ip=ip, user_agent=agent if agent.isprintable() and agent else None)


def etag(version: int | None) -> str:
    return f'"{version}"'


def expected_version(if_match: str | None, *, required: bool) -> int | None:
    """The version an `If-Match` header names; absent is a 428 where the operation requires it."""
    if if_match is None:
        if required:
            raise PreconditionRequired('Send If-Match: "<version>" with the ETag you read.')
        return None
    matched = _IF_MATCH.fullmatch(if_match.strip())
    if not matched:
        raise BadRequest.of("if-match", 'must be the ETag you read, like "3"', location="header")
    return int(matched.group(1))


class Versioned(Protocol):
    """A record, or a settings document, that carries the version its ETag names."""

    @property
    def version(self) -> int | None: ...

    def model_dump(self, *, mode: str, by_alias: bool) -> dict[str, Any]: ...


def record_response(record: Versioned, status: int = 200, headers: dict[str, str] | None = None) -> Response[Any]:
    return Response(
        status_code=status,
        content_type=JSON,
        body=record.model_dump(mode="json", by_alias=True),
        headers={"ETag": etag(record.version), **(headers or {})},
    )


def page_response(page: Page[Any]) -> Response[Any]:
    body = PageOf[Any](items=page.items, next_cursor=page.next_cursor)
    return Response(status_code=200, content_type=JSON, body=body.model_dump(mode="json"))


def model_response(body: BaseModel) -> Response[Any]:
    """200 with `body` as JSON (a report, a figure: what is neither a record nor a page)."""
    return Response(status_code=200, content_type=JSON, body=body.model_dump(mode="json", by_alias=True))


def no_content() -> Response[Any]:
    return Response(status_code=204, body="")


def create_once(
    app: APIGatewayRestResolver,
    key: str | None,
    create: Callable[[], RecordT],
    location: Callable[[RecordT], str],
    read: Callable[[str], RecordT] | None = None,
) -> Response[RecordT]:
    """201 with the new record and its Location; with an Idempotency-Key, a retry replays the first 201. `read`
    (the record by id) rebuilds that 201 when the create committed but its function died before answering."""

    def created(record: RecordT) -> idempotency.StoredResponse:
        return idempotency.StoredResponse(
            status=201,
            body=record.model_dump_json(),
            headers={"ETag": etag(record.version), "Location": location(record)},
        )

    rebuild = None if read is None else (lambda record_id: created(read(record_id)))
    return respond_once(app, key, lambda: created(create()), rebuild)


def respond_once(
    app: APIGatewayRestResolver,
    key: str | None,
    produce: Callable[[], idempotency.StoredResponse],
    rebuild: idempotency.Rebuild | None = None,
) -> Response[Any]:
    """The response `produce` makes; with an Idempotency-Key, a retry replays the first one (see
    rapport.dal.idempotency: the key is held for as long as this function may still run)."""
    if key is None:
        stored = produce()
    else:
        event = app.current_event
        # The query can change what a create does (POST /leads?on_duplicate=attach), so it is part of the request.
        query = urlencode(sorted((event.query_string_parameters or {}).items()))
        path = f"{event.path}?{query}" if query else event.path
        fingerprint = idempotency.request_hash(event.http_method, path, event.body)
        lease = timedelta(milliseconds=app.lambda_context.get_remaining_time_in_millis())
        identity: Identity | None = app.context.get("identity")
        who = identity.actor if isinstance(identity, Customer) else caller(app).user_id
        tenant_id = identity.tenant_id if isinstance(identity, Customer) else caller(app).tenant_id
        stored = idempotency.run_once(tenant_id, who, key, fingerprint, produce, lease=lease, rebuild=rebuild)
    headers = {**stored.headers, **({"Idempotency-Replayed": "true"} if stored.replayed else {})}
    return Response(status_code=stored.status, content_type=JSON, body=json.loads(stored.body), headers=headers)
