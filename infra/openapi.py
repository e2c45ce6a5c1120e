"""The API's routes, read from the committed OpenAPI document: the one source of what the API serves."""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

# Not from infra.config, which imports the CDK (a Node.js process): tools read routes without it.
DOCUMENT = Path(__file__).resolve().parent.parent / "functions" / "openapi.json"
HTTP_METHODS = frozenset({"get", "put", "post", "delete", "patch", "head", "options"})
FUNCTION_FIELD = "x-rapport-function"
# Operations whose `security` names this scheme take an API key (x-api-key) instead of a staff token; those whose
# `security` is empty take nothing.
API_KEY_SCHEME = "api_key"
# Operations whose `security` names this scheme are the customer portal's: behind the customer pool's authorizer.
CUSTOMER_SCHEME = "customer"
# The customer authorizer's name in the template: how the local runtime tells it from the staff one.
CUSTOMER_AUTHORIZER = "customers"
_LOCATIONS = {"path": "path", "query": "querystring", "header": "header"}


@dataclass(frozen=True)
class Route:
    path: str
    method: str
    operation_id: str
    function: str
    request_parameters: dict[str, bool]
    api_key: bool = False  # behind an API key and a usage plan instead of the Cognito authorizer
    # No authorizer and no API key (`security: []`): what it serves is public, or its path carries a signed token;
    # anyone may call it, throttled per method.
    open: bool = False
    customer: bool = False  # the customer portal's: the customer pool's authorizer, not the staff one

    @property
    def key(self) -> tuple[str, str]:
        return self.method, self.path


def load_routes(document: Path = DOCUMENT) -> list[Route]:
    spec: dict[str, Any] = json.loads(document.read_text())
    return [
        _route(path, method, operation)
        for path, item in sorted(spec["paths"].items())
        for method, operation in sorted(item.items())
        if method in HTTP_METHODS
    ]


def functions_of(routes: list[Route]) -> list[str]:
    return sorted({route.function for route in routes})


def allowed_methods(routes: list[Route]) -> dict[str, list[str]]:
    """Each path's methods, as its `Allow` header lists them: the operations', and OPTIONS (CORS preflight)."""
    allowed: dict[str, set[str]] = {}
    for route in routes:
        allowed.setdefault(route.path, {"OPTIONS"}).add(route.method)
    return {path: sorted(methods) for path, methods in sorted(allowed.items())}


def _route(path: str, method: str, operation: dict[str, Any]) -> Route:
    if FUNCTION_FIELD not in operation:
        raise ValueError(f"{method.upper()} {path} has no {FUNCTION_FIELD}: regenerate {DOCUMENT.name}")
    return Route(
        path=path,
        method=method.upper(),
        operation_id=str(operation["operationId"]),
        function=str(operation[FUNCTION_FIELD]),
        request_parameters=_request_parameters(operation.get("parameters", [])),
        api_key=any(API_KEY_SCHEME in requirement for requirement in operation.get("security", [])),
        open=operation.get("security") == [],
        customer=any(CUSTOMER_SCHEME in requirement for requirement in operation.get("security", [])),
    )


def _request_parameters(parameters: list[dict[str, Any]]) -> dict[str, bool]:
    """API Gateway's `method.request.<location>.<name>: required` for the operation's parameters."""
    return {
        f"method.request.{_LOCATIONS[parameter['in']]}.{parameter['name']}": bool(parameter.get("required"))
        for parameter in parameters
        if parameter["in"] in _LOCATIONS
    }
