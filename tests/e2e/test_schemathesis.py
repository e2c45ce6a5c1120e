"""Schemathesis against the committed OpenAPI document on the running API: valid and invalid requests to every
operation; no answer is a 5xx, and every answer is one the document allows (status, content type, schema)."""

from __future__ import annotations

from typing import Any

import schemathesis
from hypothesis import HealthCheck, settings
from schemathesis import GenerationMode
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from local.openapi import DOCUMENT
from tests.e2e.conftest import Target

TENANT = "schemathesis"
MAX_EXAMPLES = 25  # per operation: with some seventy operations, about two minutes on two cores
schema = schemathesis.openapi.from_path(DOCUMENT)
schema.config.generation.update(modes=[GenerationMode.POSITIVE, GenerationMode.NEGATIVE])


def no_server_error(
    ctx: schemathesis.CheckContext, response: schemathesis.Response, case: schemathesis.Case[Any]
) -> None:
    """No 5xx, but for one known handler bug: `multipart/form-data` without a boundary answers 500.

    test_api_errors.py::test_multipart_without_a_boundary_is_a_4xx fails (strictly expected) until the handlers
    fix it; then both that xfail and this exception go.
    """
    headers: dict[str, Any] = dict(case.headers or {})
    content_type = str(headers.get("Content-Type", ""))
    if response.status_code == 500 and content_type.startswith("multipart/") and "boundary=" not in content_type:
        return
    not_a_server_error(ctx, response, case)


CHECKS = [
    no_server_error,
    status_code_conformance,
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
]


@schema.parametrize()
@settings(max_examples=MAX_EXAMPLES, deadline=None, suppress_health_check=list(HealthCheck))
def test_every_answer_honours_the_contract(case: schemathesis.Case[Any], target: Target) -> None:
    token = target.token(TENANT, "schemathesis", "admin")
    case.call_and_validate(base_url=target.url, headers={"Authorization": f"Bearer {token}"}, checks=CHECKS)
