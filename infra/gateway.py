"""What API Gateway answers itself (gateway responses, a method a path does not serve), as the functions' problems
(rapport.errors: the same type, title and status; tests/infra checks them against it, tests/local that the local
gateway answers them). Plain definitions, no CDK: infra.constructs.api makes them resources.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, replace
from typing import Any

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
