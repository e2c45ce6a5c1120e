"""Writes the OpenAPI document from the handlers' routes: `python -m tools.openapi [--check]`.

Each API area is one function (`functions/<area>/handler.py`); its operations carry the area as their tag,
which is how the CDK stack knows which function serves which route.

The document also carries OpenAPI links, derived from the paths and response schemas (`_add_links`), so that a
client (and schemathesis' stateful tests) can follow a record from the answer that names it: a response whose
body has the `id` of a record of `/things` (a create, a read, a change) links to every operation on
`/things/{record_id}…` with that id, and with its ETag as `If-Match` where the operation takes one; a body field
`<kind>_id` naming a record of another collection (a conversion's `contact_id`) links to that record's
operations the same way, without the ETag.
"""

from __future__ import annotations

import argparse
import importlib
import json
import os
import re
import sys
from pathlib import Path
from typing import Any

from rapport import contexts
from rapport.api.http import JSON, MERGE_PATCH_JSON, PORTAL_EXTENSION, PUBLIC_EXTENSION
from rapport.api.problems import PROBLEM_JSON, PROBLEM_RESPONSES

ROOT = Path(__file__).resolve().parent.parent
DOCUMENT = ROOT / "functions" / "openapi.json"
AREAS = tuple(area.name for area in contexts.areas())  # each context declares its own (rapport.contexts)
TITLE = "Rapport CRM API"
VERSION = "1.0.0"


def build() -> dict[str, Any]:
    for name in ("TABLE_NAME", "IDEMPOTENCY_TABLE_NAME", "CURSOR_SECRET"):
        os.environ.setdefault(name, "openapi")
    document: dict[str, Any] = {}
    for area in AREAS:
        app = importlib.import_module(f"{area}.handler").app
        schema = json.loads(
            app.get_openapi_json_schema(
                title=TITLE,
                version=VERSION,
                description="Rapport's REST API. Staff routes take a Cognito ID token as `Authorization: "
                "Bearer <token>`; the customer portal (`/portal/...`, security `customer`) a customer pool's ID "
                "token the same way; web-to-lead (security `api_key`) a web form's API key as `x-api-key`; routes with "
                "no security (`/public/{tenant_slug}/...`) nothing. Errors are application/problem+json.",
                security_schemes={
                    "cognito": {"type": "http", "scheme": "bearer", "bearerFormat": "JWT"},
                    "api_key": {"type": "apiKey", "in": "header", "name": "x-api-key"},
                    "customer": {"type": "http", "scheme": "bearer", "bearerFormat": "JWT"},
                },
                security=[{"cognito": []}],
            )
        )
        document = _merge(document, schema, area) if document else schema
    for item in document["paths"].values():
        patch = item.get("patch", {}).get("requestBody")
        if patch:  # the edge takes a merge patch as either media type (rapport.api.http)
            patch["content"][MERGE_PATCH_JSON] = patch["content"][JSON]
    for operation in _operations(document):
        operation["x-rapport-function"] = operation["tags"][0]
        if operation.pop(PUBLIC_EXTENSION, False):
            operation["security"] = []
        if operation.pop(PORTAL_EXTENSION, False):
            operation["security"] = [{"customer": []}]
        # Powertools documents its own body for response validation failures; ours answer a problem.
        operation["responses"]["500"] = PROBLEM_RESPONSES[500] | {
            "content": {PROBLEM_JSON: {"schema": {"$ref": "#/components/schemas/Problem"}}}
        }
        # Powertools documents a `-> Response` handler's 204 as a JSON null; a 204 has no body at all.
        if "204" in operation["responses"]:
            operation["responses"]["204"].pop("content", None)
    _drop_unreferenced_schemas(document)
    _add_links(document)
    return document


RECORD_PARAMETER = "record_id"


def _add_links(document: dict[str, Any]) -> None:
    paths: dict[str, dict[str, Any]] = document["paths"]
    collections = {path for path in paths if f"{path}/{{{RECORD_PARAMETER}}}" in paths}
    for path, item in paths.items():
        for operation in item.values():
            answer = _record_response(document, operation)
            if answer is None:
                continue
            status, fields = answer
            links: dict[str, Any] = {}
            own = next((c for c in collections if path == c or path.startswith(f"{c}/{{{RECORD_PARAMETER}}}")), "")
            if "id" in fields and own:
                links |= _links_to(paths, own, "$response.body#/id", with_etag=True)
            for field in sorted(fields):
                other = "/" + field.removesuffix("_id").replace("_", "-") + "s"
                if field.endswith("_id") and other in collections and other != own:
                    links |= _links_to(paths, other, f"$response.body#/{field}", with_etag=False, suffix=field)
            if links:
                operation["responses"][status]["links"] = links


def _record_response(document: dict[str, Any], operation: dict[str, Any]) -> tuple[str, set[str]] | None:
    """The operation's success status whose JSON body is one object, and that object's fields."""
    for status in ("201", "200"):
        response = operation["responses"].get(status, {})
        schema = response.get("content", {}).get("application/json", {}).get("schema", {})
        reference = schema.get("$ref", "")
        if reference.startswith("#/components/schemas/"):
            resolved = document["components"]["schemas"][reference.rpartition("/")[2]]
            return status, set(resolved.get("properties", {}))
    return None


def _links_to(
    paths: dict[str, dict[str, Any]], collection: str, record_id: str, *, with_etag: bool, suffix: str = ""
) -> dict[str, Any]:
    links = {}
    for path, item in paths.items():
        if not path.startswith(f"{collection}/{{{RECORD_PARAMETER}}}"):
            continue
        for target in item.values():
            parameters = {f"path.{RECORD_PARAMETER}": record_id}
            headers = {parameter["name"] for parameter in target.get("parameters", []) if parameter["in"] == "header"}
            if with_etag and "if-match" in headers:
                parameters["header.if-match"] = "$response.header.ETag"
            name = f"{target['operationId']}.{suffix}" if suffix else target["operationId"]
            links[name] = {"operationId": target["operationId"], "parameters": parameters}
    return links


def _drop_unreferenced_schemas(document: dict[str, Any]) -> None:
    schemas = document["components"]["schemas"]
    reachable: set[str] = set()
    frontier: list[Any] = [document["paths"]]
    while frontier:
        for name in re.findall(r'#/components/schemas/([^"]+)"', json.dumps(frontier.pop())):
            if name not in reachable:
                reachable.add(name)
                frontier.append(schemas[name])
    for name in set(schemas) - reachable:
        del schemas[name]


def _merge(into: dict[str, Any], other: dict[str, Any], area: str) -> dict[str, Any]:
    """`other` (one area's document) merged into `into`. Two areas may each have a model of the same name (an
    appointment's Channel, a notification's Channel): the later one's is renamed after its area, so that
    neither area's operations end up pointing at the other's schema."""
    schemas = into["components"]["schemas"]
    incoming = other.get("components", {}).get("schemas", {})
    clashes = sorted(name for name, schema in incoming.items() if name in schemas and schemas[name] != schema)
    if clashes:
        prefix = "".join(word.capitalize() for word in area.split("_"))
        text = json.dumps(other)
        for name in clashes:
            text = text.replace(f'"#/components/schemas/{name}"', f'"#/components/schemas/{prefix}{name}"')
        other = json.loads(text)
        incoming = other["components"]["schemas"]
        for name in clashes:
            incoming[f"{prefix}{name}"] = incoming.pop(name)
    for path, operations in other["paths"].items():
        into["paths"].setdefault(path, {}).update(operations)
    schemas.update(incoming)
    return into


def _operations(document: dict[str, Any]) -> list[dict[str, Any]]:
    return [operation for item in document["paths"].values() for operation in item.values()]


def render() -> str:
    return json.dumps(build(), indent=2, sort_keys=True) + "\n"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--check", action="store_true", help="fail if the committed document is stale")
    arguments = parser.parse_args()
    text = render()
    if arguments.check:
        if DOCUMENT.read_text() != text:
            print(f"{DOCUMENT} is stale: run `make openapi`", file=sys.stderr)
            return 1
        return 0
    DOCUMENT.write_text(text)
    print(f"wrote {DOCUMENT}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
