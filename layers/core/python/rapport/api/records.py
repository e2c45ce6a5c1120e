"""The routes every record type shares, registered once for each (`/accounts`, `/contacts`, ...).

No `from __future__ import annotations` here: Powertools reads the route functions' annotations to validate
requests and write the OpenAPI document, and these closures annotate with the concrete models.
"""

from collections.abc import Callable, Iterable
from typing import Annotated, Any, NamedTuple

from aws_lambda_powertools.event_handler import APIGatewayRestResolver, Response
from aws_lambda_powertools.event_handler.openapi.params import Header, Path, Query
from pydantic import BaseModel

from rapport.api.http import (
    PageOf,
    Versioned,
    caller,
    create_once,
    expected_version,
    merge_patch_of,
    no_content,
    page_response,
    record_response,
)
from rapport.api.problems import PROBLEM_JSON, PROBLEM_RESPONSES, Problem
from rapport.auth import Caller
from rapport.field_history import RecordChange
from rapport.pagination import DEFAULT_LIMIT, MAX_LIMIT
from rapport.records import RecordService
from rapport.types import RECORD_ID_PATTERN

RecordIdParam = Annotated[str, Path(min_length=1, max_length=64, pattern=RECORD_ID_PATTERN)]
IfMatch = Annotated[str | None, Header(alias="If-Match", description='The ETag you read, e.g. "3"')]
Limit = Annotated[int, Query(ge=1, le=MAX_LIMIT, description="Page size")]
Cursor = Annotated[str | None, Query(max_length=2048, description="next_cursor of the previous page")]
Trash = Annotated[bool, Query(description="List the trash instead")]
IdempotencyKey = Annotated[
    str | None,
    Header(alias="Idempotency-Key", description="Retrying a create with the same key replays its response"),
]


def responses(status: int, model: type[BaseModel] | None, *problem_statuses: int) -> dict[int, Any]:
    """The documented responses of an operation: its success with `model`, and the problems it may give."""
    success: dict[str, Any] = {"description": {200: "OK", 201: "Created", 202: "Accepted", 204: "Done"}[status]}
    if model is not None:
        success["content"] = {"application/json": {"model": model}}
    return {status: success, **problems(*problem_statuses)}


def problems(*statuses: int) -> dict[int, Any]:
    extra = {
        409: "Duplicate (names the existing record), a state that forbids it, or busy (concurrent writes: retry)",
        412: "The record changed since the ETag you sent",
        428: "If-Match is required",
        429: "Too many requests with this API key (its throttle or daily quota)",
    }
    responses = dict(PROBLEM_RESPONSES)
    for status in statuses:
        responses[status] = {"description": extra[status], "content": {PROBLEM_JSON: {"model": Problem}}}
    return responses


def _a(noun: str) -> str:
    return f"{'an' if noun[0] in 'aeiou' else 'a'} {noun}"


def register_record_routes(
    app: APIGatewayRestResolver,
    service: RecordService[Any, Any],
    create_model: type[BaseModel],
    patch_model: type[BaseModel],
    out_model: type[BaseModel],
    *,
    skip: frozenset[str] = frozenset(),
    path: str | None = None,
    area: str | None = None,
) -> None:
    """The shared routes of `service`'s records, but those named in `skip` (e.g. `create`, to write your own), at
    `path` (default: `/<resource>`) in the API area `area` (default: the resource)."""
    base = path or f"/{service.resource}"
    tag = [area or service.resource]
    name = service.label.capitalize()
    item = f"{base}/<record_id>"

    def create(body: create_model, idempotency_key: IdempotencyKey = None) -> Response[out_model]:  # type: ignore[valid-type]
        return create_once(
            app,
            idempotency_key,
            lambda: service.create(caller(app), body),
            lambda record: f"{base}/{record.id}",
            lambda record_id: service.get(caller(app), record_id),
        )

    def read(record_id: RecordIdParam) -> Response[out_model]:  # type: ignore[valid-type]
        return record_response(service.get(caller(app), record_id))

    def update(record_id: RecordIdParam, body: patch_model, if_match: IfMatch = None) -> Response[out_model]:  # type: ignore[valid-type]
        version = expected_version(if_match, required=True)
        assert version is not None
        return record_response(service.update(caller(app), record_id, merge_patch_of(body), version))

    def delete(
        record_id: RecordIdParam,
        if_match: IfMatch = None,
        permanent: Annotated[bool, Query(description="Erase for good (admin only) instead of trashing")] = False,
    ) -> Response[None]:
        version = expected_version(if_match, required=False)
        if permanent:
            service.erase(caller(app), record_id, version)
        else:
            service.delete(caller(app), record_id, version)
        return no_content()

    def restore(record_id: RecordIdParam, if_match: IfMatch = None) -> Response[out_model]:  # type: ignore[valid-type]
        version = expected_version(if_match, required=False)
        return record_response(service.restore(caller(app), record_id, version))

    def history(
        record_id: RecordIdParam, limit: Limit = DEFAULT_LIMIT, cursor: Cursor = None
    ) -> Response[PageOf[RecordChange]]:
        return page_response(service.history(caller(app), record_id, limit=limit, cursor=cursor))

    routes = (
        (app.post, base, create, f"create{name}", f"Create {_a(service.label)}", responses(201, out_model, 409)),
        (app.get, item, read, f"get{name}", f"Read {_a(service.label)}", responses(200, out_model)),
        (
            app.patch,
            item,
            update,
            f"update{name}",
            f"Change {_a(service.label)}",
            responses(200, out_model, 409, 412, 428),
        ),
        (
            app.delete,
            item,
            delete,
            f"delete{name}",
            f"Trash (or erase) {_a(service.label)}",
            responses(204, None, 409, 412),
        ),
        (
            app.post,
            f"{item}/restore",
            restore,
            f"restore{name}",
            f"Restore a trashed {service.label}",
            responses(200, out_model, 409, 412),
        ),
        (
            app.get,
            f"{item}/history",
            history,
            f"list{name}History",
            f"Every change of {_a(service.label)}: who, when, each field before and after, newest first",
            responses(200, PageOf[RecordChange]),
        ),
    )
    for method, rule, function, operation_id, summary, documented in routes:
        if function.__name__ in skip:
            continue
        status = next(iter(documented))
        method(rule, tags=tag, operation_id=operation_id, summary=summary, responses=documented, status_code=status)(
            function
        )


class StatusMove(NamedTuple):
    """A move of a record's status (`schedule`, `pause`, ...): `act(caller, record id, If-Match's version or None)`
    returns the record as moved."""

    verb: str
    summary: str
    act: Callable[[Caller, str, int | None], Versioned]
    description: str | None = None


def register_moves(
    app: APIGatewayRestResolver,
    service: RecordService[Any, Any],
    out_model: type[BaseModel],
    moves: Iterable[StatusMove],
) -> None:
    """Each move as `POST /<resource>/{id}/<verb>` (`<verb><Label>`), If-Match optional: the record as moved, 409
    when its status does not allow the move, 412 when stale."""
    for move in moves:
        _register_move(app, service, out_model, move)


def _register_move(
    app: APIGatewayRestResolver, service: RecordService[Any, Any], out_model: type[BaseModel], move: StatusMove
) -> None:
    def moved(record_id: RecordIdParam, if_match: IfMatch = None) -> Response[Any]:
        return record_response(move.act(caller(app), record_id, expected_version(if_match, required=False)))

    app.post(
        f"/{service.resource}/<record_id>/{move.verb}",
        tags=[service.resource],
        operation_id=f"{move.verb}{service.label.capitalize()}",
        summary=move.summary,
        description=move.description,
        responses=responses(200, out_model, 409, 412),
    )(moved)
