"""The routes of a settings document, registered once for each (`/currency-rates`, `/scoring-rules`, ...):
`GET` answers it with its `ETag`, `PUT` replaces it and requires `If-Match` (rapport.settings states the rule).

No `from __future__ import annotations` here: Powertools reads the route functions' annotations to validate
requests and write the OpenAPI document, and these closures annotate with the concrete models.
"""

from typing import Any

from aws_lambda_powertools.event_handler import APIGatewayRestResolver, Response

from rapport.api.http import caller, expected_version, record_response
from rapport.api.records import IfMatch, responses
from rapport.settings import SettingsDocument


def register_settings_routes(
    app: APIGatewayRestResolver,
    document: SettingsDocument[Any, Any],
    path: str,
    *,
    tag: str,
    name: str,
    reads: str,
    replaces: str,
    description: str | None = None,
    conflicts: bool = False,
) -> None:
    """`GET` and `PUT` `path` (operations `get<name>`, `put<name>`); `conflicts` when a save may be refused (409)."""
    content_model, document_model = document.content, document.document

    def read() -> Response[document_model]:  # type: ignore[valid-type]
        return record_response(document.get(caller(app)))

    def replace(body: content_model, if_match: IfMatch = None) -> Response[document_model]:  # type: ignore[valid-type]
        return record_response(document.replace(caller(app), body, expected_version(if_match, required=False)))

    rule = 'PUT needs `If-Match` with the ETag read (`"0"` before the first save): 428 without, 412 when stale.'
    app.get(path, tags=[tag], operation_id=f"get{name}", summary=reads, responses=responses(200, document_model))(read)
    app.put(
        path,
        tags=[tag],
        operation_id=f"put{name}",
        summary=replaces,
        description=f"{description} {rule}" if description else rule,
        responses=responses(200, document_model, *((409,) if conflicts else ()), 412, 428),
    )(replace)
