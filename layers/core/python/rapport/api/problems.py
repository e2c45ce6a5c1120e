"""The one mapping from errors to `application/problem+json` responses (RFC 9457)."""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

from aws_lambda_powertools.event_handler import Response
from aws_lambda_powertools.event_handler.openapi.exceptions import RequestValidationError
from pydantic import Field

from rapport.errors import BadRequest, FieldError, InvalidInput, NotFound, RapportError, dotted_path
from rapport.types import LazyModel

PROBLEM_JSON = "application/problem+json"


class FieldProblem(LazyModel):
    field: str = Field(description="Dotted path of the field at fault, e.g. address.country or emails[1]")
    location: str = Field(alias="in", description="body, query, path or header")
    message: str
    code: str


class ExistingRecord(LazyModel):
    type: str
    id: str


class Problem(LazyModel):
    type: str
    title: str
    status: int
    detail: str
    errors: list[FieldProblem] | None = None
    existing: ExistingRecord | None = None


def problem_type(slug: str) -> str:
    return f"urn:rapport:problem:{slug}"


def problem_response(error: RapportError) -> Response[Any]:
    return Response(status_code=error.status, content_type=PROBLEM_JSON, body=json.dumps(problem_body(error)))


def problem_body(error: RapportError) -> dict[str, Any]:
    """The problem document of `error` (also one item's outcome in a batch's answer)."""
    body: dict[str, Any] = {
        "type": problem_type(error.slug),
        "title": error.title,
        "status": error.status,
        "detail": error.detail,
    }
    if error.errors:
        body["errors"] = [_field(entry) for entry in error.errors]
    body.update(error.extensions())
    return body


def _field(entry: FieldError) -> dict[str, str]:
    return {"field": entry.field, "in": entry.location, "message": entry.message, "code": entry.code}


def from_validation_error(error: RequestValidationError, unsupported: Sequence[FieldError] = ()) -> RapportError:
    """Powertools' request validation errors: body faults are 422, query/path/header faults 400, with the query
    parameters the route does not take (`unsupported`) beside them."""
    entries: list[FieldError] = []
    for raw in error.errors():
        location, *path = [str(part) for part in raw["loc"]] or ["body"]
        message = str(raw["msg"]).removeprefix("Value error, ")
        if raw["type"] == "json_invalid":
            path, message = [], "The body is not valid JSON."
        elif raw["type"] == "missing" and location == "body" and not path:
            message = "A JSON body is required."
        entries.append(FieldError(dotted_path(path), message, str(raw["type"]), location))
    entries += unsupported
    if all(entry.location == "body" for entry in entries):
        return InvalidInput("The request body is not valid.", entries)
    return BadRequest("The request's parameters are not valid.", entries)


def route_not_found(path: str) -> RapportError:
    return NotFound(f"No route matches {path}.")


PROBLEM_RESPONSES: dict[int, Any] = {
    status: {"description": title, "content": {PROBLEM_JSON: {"model": Problem}}}
    for status, title in {
        400: "Bad request: invalid query, path or header parameter",
        401: "No valid token",
        403: "Your role may not do this",
        404: "Unknown, or another tenant's record",
        413: "The body is larger than the API takes",
        415: "The body is not application/json",
        422: "Invalid body, with the fields at fault",
        500: "A fault of ours; the request id is in the logs",
    }.items()
}
