"""Writes the OpenAPI document from the handlers' routes: `python -m local.openapi [--check]`.

Each API area is one function (`functions/<area>/handler.py`); its operations carry the area as their tag,
which is how the CDK stack knows which function serves which route.
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

from rapport.api.http import JSON, MERGE_PATCH_JSON
from rapport.api.problems import PROBLEM_JSON, PROBLEM_RESPONSES

ROOT = Path(__file__).resolve().parent.parent
DOCUMENT = ROOT / "functions" / "openapi.json"
AREAS = (
    "accounts",
    "contacts",
    "pipelines",
    "deals",
    "sales",
    "activities",
    "tasks",
    "appointments",
    "leads",
    "web_forms",
    "public_leads",
    "users",
    "notifications",
)
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
                "Bearer <token>`; public routes (security `api_key`) a web form's API key as `x-api-key`. "
                "Errors are application/problem+json.",
                security_schemes={
                    "cognito": {"type": "http", "scheme": "bearer", "bearerFormat": "JWT"},
                    "api_key": {"type": "apiKey", "in": "header", "name": "x-api-key"},
                },
                security=[{"cognito": []}],
            )
        )
        document = _merge(document, schema) if document else schema
    for item in document["paths"].values():
        patch = item.get("patch", {}).get("requestBody")
        if patch:  # the edge takes a merge patch as either media type (rapport.api.http)
            patch["content"][MERGE_PATCH_JSON] = patch["content"][JSON]
    for operation in _operations(document):
        operation["x-rapport-function"] = operation["tags"][0]
        # Powertools documents its own body for response validation failures; ours answer a problem.
        operation["responses"]["500"] = PROBLEM_RESPONSES[500] | {
            "content": {PROBLEM_JSON: {"schema": {"$ref": "#/components/schemas/Problem"}}}
        }
    _drop_unreferenced_schemas(document)
    return document


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


def _merge(into: dict[str, Any], other: dict[str, Any]) -> dict[str, Any]:
    for path, operations in other["paths"].items():
        into["paths"].setdefault(path, {}).update(operations)
    into["components"]["schemas"].update(other.get("components", {}).get("schemas", {}))
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
