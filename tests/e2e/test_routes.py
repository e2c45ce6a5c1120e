"""Every route of the committed OpenAPI document is in the stack and guarded before any function runs."""

from __future__ import annotations

import json
from typing import Any

import pytest
import requests

from tests.e2e.conftest import Target
from tools.openapi import DOCUMENT

RECORD_ID = "01JD5Y7M7ZV1W4T5C9H2K3N4P6"
# Every operation but the open ones (`security: []`: the public knowledge base, the pages of messages' links),
# which take no credentials by design and are tested with their areas.
OPERATIONS = [
    pytest.param(method.upper(), path, operation, id=operation["operationId"])
    for path, item in json.loads(DOCUMENT.read_text())["paths"].items()
    for method, operation in item.items()
    if operation.get("security") != []
]


@pytest.mark.parametrize(("method", "path", "operation"), OPERATIONS)
def test_a_request_without_credentials_is_refused_by_the_gateway(
    target: Target, method: str, path: str, operation: dict[str, Any]
) -> None:
    response = requests.request(method, target.url + path.replace("{record_id}", RECORD_ID), json={}, timeout=30)
    by_api_key = {"api_key": []} in operation.get("security", [])
    assert response.status_code == (403 if by_api_key else 401), response.text
    assert response.headers["x-amzn-ErrorType"] == ("ForbiddenException" if by_api_key else "UnauthorizedException")
