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


CHECKS = [
    not_a_server_error,
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
