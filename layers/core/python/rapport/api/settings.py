"""The routes of a settings document, registered once for each (`/currency-rates`, `/scoring-rules`, ...,
`/notification-templates/{name}/{channel}`): `GET` answers it with its `ETag`, `PUT` replaces it and requires
`If-Match`, `GET .../history` lists its saves (rapport.settings states the rule); a kind with a document per key
may also list them all.

No `from __future__ import annotations` here: Powertools reads the route functions' annotations to validate
requests and write the OpenAPI document, and these closures annotate with the concrete models. A document per key
is named by path parameters (`keyed_by`), which the closures take as keyword arguments under the signature
Powertools reads.
"""

import inspect
from collections.abc import Callable, Mapping
from typing import Any

from aws_lambda_powertools.event_handler import APIGatewayRestResolver, Response
from pydantic import BaseModel, create_model

from rapport.api.http import JSON, PageOf, caller, expected_version, page_response, record_response
from rapport.api.records import Cursor, IfMatch, Limit, responses
from rapport.pagination import DEFAULT_LIMIT
from rapport.settings import SettingsDocument, SettingsVersion

RULE = 'PUT needs `If-Match` with the ETag read (`"0"` before the first save): 428 without, 412 when stale.'


def _taking(path: Mapping[str, Any], function: Callable[..., Any], **parameters: Any) -> Callable[..., Any]:
    """`function` as a route whose signature has the path parameters `path` (name: annotation) before
    `parameters` (name: (annotation, default))."""
    keyword = inspect.Parameter.KEYWORD_ONLY
    signature = [inspect.Parameter(name, keyword, annotation=annotation) for name, annotation in path.items()]
    signature += [
        inspect.Parameter(name, keyword, annotation=annotation, default=default)
        for name, (annotation, default) in parameters.items()
    ]
    function.__signature__ = inspect.Signature(signature, return_annotation=function.__annotations__["return"])  # type: ignore[attr-defined]
    return function


def register_settings_routes(
    app: APIGatewayRestResolver,
    document: SettingsDocument[Any],
    path: str,
    *,
    tag: str,
    name: str,
    reads: str,
    replaces: str,
    description: str | None = None,
    conflicts: bool = False,
    keyed_by: Mapping[str, Any] | None = None,
    collection: str | None = None,
) -> None:
    """`GET` and `PUT` `path` (operations `get<name>`, `put<name>`) and `GET <path>/history` (`list<name>History`);
    `conflicts` when a save may be refused (409). A document per key: `keyed_by` names the path parameters, and
    `collection` the path that lists every key's document (`list<name>s`)."""
    content_model, document_model = document.content, document.document
    keyed_by = keyed_by or {}

    def read(**path: Any) -> Response[document_model]:  # type: ignore[valid-type]
        return record_response(document.get(caller(app), document.key_of(**path)))

    def replace(body: content_model, if_match: IfMatch = None, **path: Any) -> Response[document_model]:  # type: ignore[valid-type]
        version = expected_version(if_match, required=False)
        return record_response(document.replace(caller(app), body, version, document.key_of(**path)))

    def history(limit: int, cursor: str | None, **path: Any) -> Response[PageOf[SettingsVersion]]:
        return page_response(document.history(caller(app), document.key_of(**path), limit=limit, cursor=cursor))

    app.get(path, tags=[tag], operation_id=f"get{name}", summary=reads, responses=responses(200, document_model))(
        _taking(keyed_by, read)
    )
    app.put(
        path,
        tags=[tag],
        operation_id=f"put{name}",
        summary=replaces,
        description=f"{description} {RULE}" if description else RULE,
        responses=responses(200, document_model, *((409,) if conflicts else ()), 412, 428),
    )(_taking(keyed_by, replace, body=(content_model, inspect.Parameter.empty), if_match=(IfMatch, None)))
    app.get(
        f"{path}/history",
        tags=[tag],
        operation_id=f"list{name}History",
        summary=f"Who saved the {document.label}, when, and what each save changed, newest first",
        responses=responses(200, PageOf[SettingsVersion]),
    )(_taking(keyed_by, history, limit=(Limit, DEFAULT_LIMIT), cursor=(Cursor, None)))
    if collection is not None:
        _register_collection(app, document, collection, tag=tag, name=name)


def _register_collection(
    app: APIGatewayRestResolver, document: SettingsDocument[Any], path: str, *, tag: str, name: str
) -> None:
    every: type[BaseModel] = create_model(f"{name}s", items=(list[document.document], ...))  # type: ignore[name-defined]

    def listed() -> Response[every]:
        body = every(items=[shown.body for shown in document.listed(caller(app))])
        response: Response[Any] = Response(status_code=200, content_type=JSON, body=body.model_dump(mode="json"))
        return response

    app.get(
        path,
        tags=[tag],
        operation_id=f"list{name}s",
        summary=f"Every {document.label}: the tenant's own, or the defaults",
        responses=responses(200, every),
    )(listed)
