"""What the stack is built from: routes read from an OpenAPI document, and stage settings from context."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from aws_cdk import App, RemovalPolicy

from infra.config import project_context, stage_config
from infra.openapi import Route, functions_of, load_routes

pytestmark = pytest.mark.slow  # the CDK's jsii starts a node process


def _document(tmp_path: Path, operation: dict[str, Any]) -> Path:
    document = tmp_path / "openapi.json"
    document.write_text(json.dumps({"paths": {"/things/{record_id}": {"get": operation, "parameters": []}}}))
    return document


def test_an_operation_becomes_a_route_with_its_parameters(tmp_path: Path) -> None:
    parameters = [
        {"in": "path", "name": "record_id", "required": True},
        {"in": "query", "name": "limit"},
        {"in": "header", "name": "if-match", "required": False},
        {"in": "cookie", "name": "ignored"},
    ]
    operation = {"operationId": "getThing", "x-rapport-function": "things", "parameters": parameters}
    assert load_routes(_document(tmp_path, operation)) == [
        Route(
            path="/things/{record_id}",
            method="GET",
            operation_id="getThing",
            function="things",
            request_parameters={
                "method.request.path.record_id": True,
                "method.request.querystring.limit": False,
                "method.request.header.if-match": False,
            },
        )
    ]


def test_an_operation_secured_by_the_api_key_scheme_is_a_public_route(tmp_path: Path) -> None:
    operation = {"operationId": "getThing", "x-rapport-function": "things", "security": [{"api_key": []}]}
    [route] = load_routes(_document(tmp_path, operation))
    assert route.api_key is True
    operation["security"] = [{"cognito": []}]
    [route] = load_routes(_document(tmp_path, operation))
    assert route.api_key is False


def test_an_operation_without_its_function_is_refused(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="x-rapport-function"):
        load_routes(_document(tmp_path, {"operationId": "getThing"}))


def test_the_committed_document_names_the_functions_that_exist() -> None:
    functions = Path(__file__).resolve().parents[2] / "functions"
    for area in functions_of(load_routes()):
        assert (functions / area / "handler.py").is_file(), area


def test_stages_come_from_context() -> None:
    prod = stage_config(App(context={**project_context(), "stage": "prod"}))
    assert prod.name == "prod"
    assert prod.removal_policy == RemovalPolicy.RETAIN
    dev = stage_config(App(context=project_context()))
    assert (dev.name, dev.removal_policy) == ("dev", RemovalPolicy.DESTROY)


def test_an_unknown_stage_is_refused() -> None:
    with pytest.raises(ValueError, match=r"unknown stage 'qa'.*\['dev', 'prod'\]"):
        stage_config(App(context={**project_context(), "stage": "qa"}))
