"""API Gateway, locally: an HTTP request becomes a REST API Lambda proxy event, the function's result the response.

In API Gateway's order: route (an unknown route is a MISSING_AUTHENTICATION_TOKEN; a method a known path does not
serve, and a CORS preflight, meet the path's ANY: a mock, answered as local.runtime.api evaluates it), the Cognito
authorizer (401 before any function runs) or the API key (`x-api-key`, INVALID_API_KEY; usage plan throttles and quotas
are not enforced locally), required parameters (BAD_REQUEST_PARAMETERS), then the integration. A function
that fails or answers with a malformed proxy response is a 502, as API Gateway gives it.
"""

from __future__ import annotations

import base64
import fnmatch
import logging
import secrets
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any
from urllib.parse import parse_qsl, unquote

from local.runtime.api import ERROR_TYPES, Method, Mock, RestApi
from local.runtime.template import ACCOUNT_ID
from local.runtime.tokens import CUSTOMER_AUTHORIZER, UNAUTHORIZED, InvalidToken, TokenIssuer, rest_api_claims
from local.runtime.workers import FunctionError

log = logging.getLogger("rapport.local")
Invoke = Callable[[str, Any], Any]
ApiKeys = Callable[[str], str | None]  # an API key's value -> its id, if it is enabled and in a usage plan


@dataclass(frozen=True)
class HttpRequest:
    method: str
    target: str  # the raw request target: path and query, percent-encoded
    headers: list[tuple[str, str]]
    body: bytes = b""
    source_ip: str = "127.0.0.1"
    port: int = 3000

    def header(self, name: str) -> str | None:
        values = [value for key, value in self.headers if key.lower() == name.lower()]
        return values[-1] if values else None


@dataclass(frozen=True)
class HttpResponse:
    status: int
    headers: list[tuple[str, str]] = field(default_factory=list)
    body: bytes = b""


class MalformedResponse(Exception):
    pass


class Refused(Exception):
    """API Gateway answers the request itself, with its gateway response of `response_type` (and `validation`,
    what its request validation found wrong)."""

    def __init__(self, response_type: str, status: int, message: str, validation: str = "") -> None:
        super().__init__(message)
        self.response_type = response_type
        self.status = status
        self.validation = validation


class ApiGateway:
    def __init__(
        self,
        api: RestApi,
        invoke: Invoke,
        issuer: TokenIssuer,
        labels: dict[str, str],
        api_keys: ApiKeys | None = None,
    ) -> None:
        self._api = api
        self._invoke = invoke
        self._issuers = {CUSTOMER_AUTHORIZER: issuer.for_customers()}
        self._issuer = issuer
        self._labels = labels  # function logical id -> readable name, for the log
        self._api_keys = api_keys or (lambda _: None)

    def handle(self, request: HttpRequest) -> HttpResponse:
        started = time.perf_counter()
        request_id = str(uuid.uuid4())
        response, served_by = self._handle(request, request_id)
        elapsed = (time.perf_counter() - started) * 1000
        log.info("%s %s -> %d (%s, %.0f ms)", request.method, request.target, response.status, served_by, elapsed)
        trace = f"Root=1-{int(time.time()):08x}-{secrets.token_hex(12)}"
        extra = [("x-amzn-RequestId", request_id), ("x-amz-apigw-id", secrets.token_urlsafe(12)[:16])]
        return HttpResponse(response.status, [*response.headers, *extra, ("X-Amzn-Trace-Id", trace)], response.body)

    def refuse(self, response_type: str, status: int, message: str) -> HttpResponse:
        """API Gateway's own answer to a request it cannot take (its body unreadable, say)."""
        return self._error(response_type, status, message, str(uuid.uuid4()))[0]

    def _handle(self, request: HttpRequest, request_id: str) -> tuple[HttpResponse, str]:
        matched = self._api.match(request.method, request.target.partition("?")[0])
        if matched is None:
            return self._error("MISSING_AUTHENTICATION_TOKEN", 403, "Missing Authentication Token", request_id)
        method, path_parameters = matched
        if isinstance(method.integration, Mock):
            return self._mock(method.integration, request, request_id)
        function = method.integration
        try:
            event = self._event(method, request, path_parameters, request_id)
        except Refused as refused:
            return self._error(refused.response_type, refused.status, str(refused), request_id, refused.validation)
        label = self._labels.get(function, function)
        try:
            return proxy_response(self._invoke(function, event)), label
        except FunctionError as error:
            log.error("%s failed: %s", label, error)
        except MalformedResponse as error:
            log.error("%s: malformed Lambda proxy response: %s", label, error)
        return self._error("DEFAULT_5XX", 502, "Internal server error", request_id)[0], label

    def _event(
        self, method: Method, request: HttpRequest, path_parameters: dict[str, str], request_id: str
    ) -> dict[str, Any]:
        """The proxy event, once the authorizer, the API key and the required parameters admit the request."""
        claims = None
        if method.authorizer is not None:
            try:
                issuer = self._issuers.get(method.authorizer.name, self._issuer)
                claims = self._authorize(issuer, request.header(method.authorizer.header))
            except InvalidToken as refused:
                raise Refused("UNAUTHORIZED", 401, str(refused)) from refused
        api_key = self._api_key(request) if method.api_key_required else None
        event = proxy_event(self._api, method, request, path_parameters, claims, request_id, api_key)
        missing = method.missing(event["headers"] or {}, event["queryStringParameters"] or {})
        if missing:
            message = f"Missing required request parameters: [{', '.join(missing)}]"
            raise Refused("BAD_REQUEST_PARAMETERS", 400, message, message)
        return event

    def _mock(self, mock: Mock, request: HttpRequest, request_id: str) -> tuple[HttpResponse, str]:
        """A mock integration's answer: the integration response its request template's status selects. A request
        of a media type it refuses is API Gateway's 415; a status no response is selected for, its 500."""
        media_type = (request.header("Content-Type") or "application/json").split(";")[0].strip().lower()
        status = mock.status(media_type, request.method)
        if status is None:
            return self._error("UNSUPPORTED_MEDIA_TYPE", 415, "Unsupported Media Type", request_id)
        response = mock.response(status)
        if response is None:
            log.error("no integration response of the mock is selected for %d", status)
            return self._error("API_CONFIGURATION_ERROR", 500, "Internal server error", request_id)
        body = response.body.replace("$context.requestId", request_id).encode()
        return HttpResponse(response.status, list(response.headers.items()), body), "mock"

    def _api_key(self, request: HttpRequest) -> tuple[str, str]:
        """The request's `x-api-key` and its id, when it is an enabled key of one of the stack's usage plans."""
        value = request.header("x-api-key")
        key_id = self._api_keys(value) if value else None
        if value is None or key_id is None:
            raise Refused("INVALID_API_KEY", 403, "Forbidden")
        return value, key_id

    @staticmethod
    def _authorize(issuer: TokenIssuer, header: str | None) -> dict[str, str]:
        """The claims of the token `issuer` issued (the staff pool's, or the customer pool's on the portal)."""
        if not header:
            raise InvalidToken(UNAUTHORIZED)
        token = header.removeprefix("Bearer ").strip()
        return rest_api_claims(issuer.verify(token))

    def _error(
        self, response_type: str, status: int, message: str, request_id: str, validation: str = ""
    ) -> tuple[HttpResponse, str]:
        status, response = self._api.gateway_response(response_type, status)
        headers = {"Content-Type": "application/json", **response.headers}
        if response_type in ERROR_TYPES:
            headers["x-amzn-ErrorType"] = ERROR_TYPES[response_type]
        body = response.render(message, request_id, response_type, validation).encode()
        return HttpResponse(status, list(headers.items()), body), "gateway"


def proxy_event(
    api: RestApi,
    method: Method,
    request: HttpRequest,
    path_parameters: dict[str, str],
    claims: dict[str, str] | None,
    request_id: str,
    api_key: tuple[str, str] | None = None,
) -> dict[str, Any]:
    """The REST API proxy integration's event for the request."""
    path, _, query = request.target.partition("?")
    headers = _multi([*request.headers, *_forwarding_headers(request)])
    parameters = _multi(parse_qsl(query, keep_blank_values=True))
    body, is_base64 = _event_body(api, request)
    now = datetime.now(UTC)
    context: dict[str, Any] = {
        "resourceId": method.resource_id,
        "resourcePath": method.resource,
        "httpMethod": request.method,
        "extendedRequestId": secrets.token_urlsafe(12)[:16],
        "requestTime": now.strftime("%d/%b/%Y:%H:%M:%S +0000"),
        "path": f"/{api.stage}{unquote(path)}",
        "accountId": ACCOUNT_ID,
        "protocol": "HTTP/1.1",
        "stage": api.stage,
        "domainPrefix": "localhost",
        "requestTimeEpoch": int(now.timestamp() * 1000),
        "requestId": request_id,
        "identity": _identity(request, api_key),
        "domainName": request.header("Host") or "localhost",
        "apiId": api.logical_id.lower()[:10],
    }
    if claims is not None:
        context["authorizer"] = {"claims": claims}
    return {
        "resource": method.resource,
        "path": unquote(path),
        "httpMethod": request.method,
        "headers": {name: values[-1] for name, values in headers.items()} or None,
        "multiValueHeaders": headers or None,
        "queryStringParameters": {name: values[-1] for name, values in parameters.items()} or None,
        "multiValueQueryStringParameters": parameters or None,
        "pathParameters": {name: unquote(value) for name, value in path_parameters.items()} or None,
        "stageVariables": None,
        "requestContext": context,
        "body": body,
        "isBase64Encoded": is_base64,
    }


def _multi(pairs: list[tuple[str, str]]) -> dict[str, list[str]]:
    values: dict[str, list[str]] = {}
    for name, value in pairs:
        values.setdefault(name, []).append(value)
    return values


def _forwarding_headers(request: HttpRequest) -> list[tuple[str, str]]:
    return [
        ("X-Amzn-Trace-Id", f"Root=1-{int(time.time()):08x}-{secrets.token_hex(12)}"),
        ("X-Forwarded-For", request.source_ip),
        ("X-Forwarded-Port", str(request.port)),
        ("X-Forwarded-Proto", "http"),
    ]


def _identity(request: HttpRequest, api_key: tuple[str, str] | None = None) -> dict[str, str | None]:
    unset = ("cognitoIdentityPoolId", "accountId", "cognitoIdentityId", "caller", "principalOrgId", "accessKey")
    more = ("cognitoAuthenticationType", "cognitoAuthenticationProvider", "userArn", "user")
    return {
        **dict.fromkeys(unset + more),
        "sourceIp": request.source_ip,
        "userAgent": request.header("User-Agent"),
        **({"apiKey": api_key[0], "apiKeyId": api_key[1]} if api_key else {}),
    }


def _event_body(api: RestApi, request: HttpRequest) -> tuple[str | None, bool]:
    """The body as text, or base64 when its Content-Type is one of the API's binary media types."""
    if not request.body:
        return None, False
    content_type = (request.header("Content-Type") or "").split(";")[0].strip()
    if any(fnmatch.fnmatch(content_type, pattern) for pattern in api.binary_media_types):
        return base64.b64encode(request.body).decode("ascii"), True
    return request.body.decode("utf-8", errors="replace"), False


def proxy_response(result: Any) -> HttpResponse:
    """The HTTP response for a function's proxy result; MalformedResponse where API Gateway gives a 502."""
    if not isinstance(result, dict) or not isinstance(result.get("statusCode"), int):
        raise MalformedResponse("no integer statusCode")
    body = result.get("body")
    if body is not None and not isinstance(body, str):
        raise MalformedResponse("body is not a string")
    headers: list[tuple[str, str]] = []
    for name, values in (result.get("multiValueHeaders") or {}).items():
        headers.extend((name, str(value)) for value in values)
    for name, value in (result.get("headers") or {}).items():
        if (name, str(value)) not in headers:
            headers.append((name, str(value)))
    if not any(name.lower() == "content-type" for name, _ in headers):
        headers.append(("Content-Type", "application/json"))
    raw = base64.b64decode(body) if body and result.get("isBase64Encoded") else (body or "").encode()
    return HttpResponse(result["statusCode"], headers, raw)
