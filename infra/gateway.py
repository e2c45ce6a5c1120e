"""What API Gateway answers itself (gateway responses, a method a path does not serve, a CORS preflight), as the
functions' problems (rapport.errors: the same type, title and status; tests/infra checks them against it, tests/local
that the local gateway answers them). Plain definitions, no CDK: infra.constructs.api makes them resources.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, replace
from typing import Any, NamedTuple

from infra.openapi import Route, allowed_methods

PROBLEM_JSON = "application/problem+json"

# Errors API Gateway answers itself, as the functions' problems (rapport.errors: the same type, title and status;
# tests/infra checks them against it). An unknown route reaches API Gateway as a missing token: a 404, as a route
# a function does not know. Every 4xx type is listed, so DEFAULT_4XX only catches types API Gateway adds later.
MESSAGE = "$context.error.messageString"  # API Gateway's message, a JSON string already
VALIDATION_ERROR = "$context.error.validationErrorString"  # which parameter it found missing (not quoted)
PROBLEM_TYPE = "urn:rapport:problem:{slug}"


@dataclass(frozen=True)
class GatewayProblem:
    status: int
    slug: str
    title: str
    detail: str = MESSAGE  # a JSON value, or a context variable that is one
    errors_in: str | None = None  # where the request failed API Gateway's validation: its `errors` entry

    def template(self) -> str:
        """The body, as a gateway response's mapping template (simple substitution only, no VTL)."""
        problem: dict[str, Any] = {
            "type": PROBLEM_TYPE.format(slug=self.slug),
            "title": self.title,
            "status": self.status,
            "detail": _DETAIL,
        }
        if self.errors_in:
            # API Gateway does not say which field, only what failed: the entry names the part of the request.
            problem["errors"] = [{"field": "", "in": self.errors_in, "message": VALIDATION_ERROR, "code": "invalid"}]
        return json.dumps(problem).replace(json.dumps(_DETAIL), self.detail)


_DETAIL = "<detail>"
_UNAUTHENTICATED = GatewayProblem(401, "unauthenticated", "Unauthenticated")
_FORBIDDEN = GatewayProblem(403, "forbidden", "Forbidden")
_NOT_FOUND = GatewayProblem(404, "not-found", "Not found")
_BAD_REQUEST = GatewayProblem(400, "bad-request", "Bad request")
_TOO_MANY = GatewayProblem(429, "too-many-requests", "Too many requests")
_INTERNAL = GatewayProblem(500, "internal", "Internal error")
GATEWAY_PROBLEMS: dict[str, GatewayProblem] = {
    "UNAUTHORIZED": _UNAUTHENTICATED,
    "ACCESS_DENIED": _FORBIDDEN,
    "EXPIRED_TOKEN": _FORBIDDEN,
    "INVALID_SIGNATURE": _FORBIDDEN,
    "INVALID_API_KEY": _FORBIDDEN,
    "WAF_FILTERED": _FORBIDDEN,
    "MISSING_AUTHENTICATION_TOKEN": replace(_NOT_FOUND, detail='"No route has this path."'),
    "RESOURCE_NOT_FOUND": _NOT_FOUND,
    "BAD_REQUEST_PARAMETERS": replace(_BAD_REQUEST, errors_in="query"),
    "BAD_REQUEST_BODY": _BAD_REQUEST,  # a body it cannot read: nothing more to say than its message
    "REQUEST_TOO_LARGE": GatewayProblem(413, "too-large", "Payload too large"),
    "UNSUPPORTED_MEDIA_TYPE": GatewayProblem(415, "unsupported-media-type", "Unsupported media type"),
    "THROTTLED": _TOO_MANY,
    "QUOTA_EXCEEDED": _TOO_MANY,
    "DEFAULT_4XX": _BAD_REQUEST,
    "API_CONFIGURATION_ERROR": _INTERNAL,
    "AUTHORIZER_CONFIGURATION_ERROR": _INTERNAL,
    "AUTHORIZER_FAILURE": _INTERNAL,
    "INTEGRATION_FAILURE": replace(_INTERNAL, status=504),
    "INTEGRATION_TIMEOUT": replace(_INTERNAL, status=504),
    "DEFAULT_5XX": replace(_INTERNAL, status=502),  # a function that failed, or answered what is not a response
}
# Only public routes give these, so a website's script may read them.
PUBLIC_GATEWAY_ERRORS = frozenset({"INVALID_API_KEY", "QUOTA_EXCEEDED"})
# A known path asked with another method: 405 with `Allow`, from a mock integration on the path's ANY method
# (API Gateway prefers a path's own methods to its ANY). The body is JSON's, whatever the request sent.
METHOD_NOT_ALLOWED = GatewayProblem(405, "method-not-allowed", "Method not allowed")
JSON_MEDIA_TYPES = ("application/json", "application/merge-patch+json")
# The same mock answers a CORS preflight (OPTIONS) with 204 and the path's CORS headers: one method a path instead of
# two, as a route stack may hold only 500 resources. A mock's status is what its request template renders; its
# integration response is the one whose selection pattern matches that status (the 405 is the default one).
PREFLIGHT_STATUS = 204
MOCK_REQUEST_TEMPLATE = (
    f'#if($context.httpMethod == "OPTIONS"){{"statusCode": {PREFLIGHT_STATUS}}}'
    f'#else{{"statusCode": {METHOD_NOT_ALLOWED.status}}}#end'
)


@dataclass(frozen=True)
class Preflight:
    """A path's answer to a CORS preflight: the headers CDK's `addCorsPreflight` gives for one allowed origin."""

    origin: str
    methods: tuple[str, ...]
    headers: tuple[str, ...]
    expose: tuple[str, ...] = ()
    max_age_seconds: int = 600

    def response_headers(self) -> dict[str, str]:
        headers = {"Access-Control-Allow-Headers": ",".join(self.headers), "Access-Control-Allow-Origin": self.origin}
        if self.origin != "*":
            headers["Vary"] = "Origin"  # a response for one origin must not be cached for another
        headers["Access-Control-Allow-Methods"] = ",".join(self.methods)
        headers["Access-Control-Max-Age"] = str(self.max_age_seconds)
        if self.expose:
            headers["Access-Control-Expose-Headers"] = ",".join(self.expose)
        return headers


def staff_preflight(allowed_origin: str, methods: list[str]) -> Preflight:
    """Staff routes are called from the console's origin only, with its token."""
    return Preflight(
        allowed_origin,
        tuple(methods),
        ("Authorization", "Content-Type", "If-Match", "Idempotency-Key"),
        ("ETag", "Location"),
    )


# Public routes are called from tenants' websites, anywhere: the API key, not the origin, authorizes them.
WEB_TO_LEAD_PREFLIGHT = Preflight("*", ("POST", "OPTIONS"), ("Content-Type", "X-Api-Key"))
# Open routes are read from anywhere, and cached: a client revalidates with the ETag it has.
OPEN_PREFLIGHT = Preflight("*", ("GET", "POST", "OPTIONS"), ("If-None-Match",), ("ETag", "Cache-Control"))


def path_preflights(routes: list[Route], allowed_origin: str) -> dict[str, Preflight]:
    """Each path's preflight: the staff one where a staff route is, else web-to-lead's where a route takes an API
    key, else the open one."""
    staff = staff_preflight(allowed_origin, sorted({route.method for route in routes}))
    kinds: dict[str, set[Preflight]] = {}
    for route in routes:
        kind = OPEN_PREFLIGHT if route.open else WEB_TO_LEAD_PREFLIGHT if route.api_key else staff
        kinds.setdefault(route.path, set()).add(kind)
    precedence = (staff, WEB_TO_LEAD_PREFLIGHT, OPEN_PREFLIGHT)
    return {path: next(p for p in precedence if p in found) for path, found in sorted(kinds.items())}


class PathMock(NamedTuple):
    """A path's ANY method, a mock: a preflight's answer (204 and `preflight`'s headers), and a refusal of any method
    the path does not serve (405, `refusal`'s headers and `refusal_body`), selected by MOCK_REQUEST_TEMPLATE."""

    preflight: dict[str, str]
    refusal: dict[str, str]
    refusal_body: str


def path_mocks(routes: list[Route], allowed_origin: str) -> dict[str, PathMock]:
    """Each path's mock: its preflight's headers; for a refusal, `Allow` (the path's methods, and OPTIONS)."""
    preflights = path_preflights(routes, allowed_origin)
    mocks = {}
    for path, allowed in allowed_methods(routes).items():
        preflight = preflights[path].response_headers()
        refusal = {
            "Allow": ", ".join(allowed),
            "Content-Type": PROBLEM_JSON,
            "Access-Control-Allow-Origin": preflight["Access-Control-Allow-Origin"],
        }
        mocks[path] = PathMock(preflight, refusal, method_not_allowed(path, allowed).template())
    return mocks


def gateway_responses(allowed_origin: str) -> dict[str, tuple[int, dict[str, str], str]]:
    """Each gateway response: its status, headers (header -> value) and body template."""
    responses = {}
    for response_type, problem in GATEWAY_PROBLEMS.items():
        origin = "*" if response_type in PUBLIC_GATEWAY_ERRORS else allowed_origin
        headers = {"Access-Control-Allow-Origin": origin, "Content-Type": PROBLEM_JSON}
        responses[response_type] = (problem.status, headers, problem.template())
    return responses


def method_not_allowed(path: str, allowed: list[str]) -> GatewayProblem:
    served = ", ".join(allowed)
    return replace(METHOD_NOT_ALLOWED, detail=json.dumps(f"{path} serves {served}."))
