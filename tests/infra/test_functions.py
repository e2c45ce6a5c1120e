"""The API functions: one per area of the OpenAPI document, all built alike by the factory."""

from __future__ import annotations

from typing import Any

import pytest

from infra.openapi import functions_of, load_routes
from tests.infra.conftest import Synthesis

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def functions(dev: Synthesis) -> dict[str, dict[str, Any]]:
    """Each API function's properties, by API area."""
    return dev.api_functions()


def _id(synthesis: Synthesis, resource_type: str, path_suffix: str) -> str:
    [name] = [
        name
        for name, resource in synthesis.of_type(resource_type).items()
        if resource["Metadata"]["aws:cdk:path"].endswith(path_suffix)
    ]
    return name


def test_one_function_per_api_area_and_the_workers(dev: Synthesis, functions: dict[str, dict[str, Any]]) -> None:
    assert sorted(functions) == functions_of(load_routes())
    assert sorted(set(dev.functions()) - set(functions)) == ["publisher"]


def test_functions_share_one_shape(functions: dict[str, dict[str, Any]]) -> None:
    for properties in functions.values():
        assert properties["Runtime"] == "python3.14"
        assert properties["Architectures"] == ["arm64"]
        assert properties["Handler"] == "handler.lambda_handler"
        assert properties["MemorySize"] == 512
        assert properties["Timeout"] == 10
        assert properties["TracingConfig"] == {"Mode": "Active"}
        assert properties["LoggingConfig"]["LogFormat"] == "JSON"


def test_functions_run_on_the_core_and_deps_layers(dev: Synthesis, functions: dict[str, dict[str, Any]]) -> None:
    core = _id(dev, "AWS::Lambda::LayerVersion", "/CoreLayer/Resource")
    deps = _id(dev, "AWS::Lambda::LayerVersion", "/DepsLayer/Resource")
    for properties in functions.values():
        assert properties["Layers"] == [{"Ref": core}, {"Ref": deps}]
    for layer in (core, deps):
        assert dev.resources[layer]["Properties"]["CompatibleRuntimes"] == ["python3.14"]
        assert dev.resources[layer]["Properties"]["CompatibleArchitectures"] == ["arm64"]


def test_functions_environment(dev: Synthesis, functions: dict[str, dict[str, Any]]) -> None:
    table = _id(dev, "AWS::DynamoDB::Table", "/Data/Table/Resource")
    idempotency = _id(dev, "AWS::DynamoDB::Table", "/Data/IdempotencyTable/Resource")
    [secret] = dev.of_type("AWS::SecretsManager::Secret")
    for area, properties in functions.items():
        assert properties["Environment"]["Variables"] == {
            "TABLE_NAME": {"Ref": table},
            "IDEMPOTENCY_TABLE_NAME": {"Ref": idempotency},
            "CURSOR_SECRET_ARN": {"Ref": secret},
            "POWERTOOLS_SERVICE_NAME": f"rapport-{area}",
            "POWERTOOLS_METRICS_NAMESPACE": "Rapport",
            "ALLOWED_ORIGIN": "http://localhost:5173",
        }


def test_each_function_logs_to_its_own_group_with_retention(dev: Synthesis, functions: dict[str, dict[str, Any]]):
    groups = {properties["LoggingConfig"]["LogGroup"]["Ref"] for properties in functions.values()}
    assert len(groups) == len(functions)
    for group in groups:
        assert dev.resources[group]["Properties"]["RetentionInDays"] == 14


def test_function_roles_hold_no_managed_policy_and_only_named_grants(dev: Synthesis, functions: dict[str, Any]):
    for properties in functions.values():
        _assert_least_privilege(_statements(dev, properties["Role"]["Fn::GetAtt"][0]))


def _assert_least_privilege(statements: list[dict[str, Any]]) -> None:
    actions = {action for statement in statements for action in _list(statement["Action"])}
    assert "dynamodb:Scan" not in actions
    assert {"dynamodb:Query", "dynamodb:PutItem", "secretsmanager:GetSecretValue", "kms:Decrypt"} <= actions
    assert not any(action.endswith("*") for action in actions)
    wildcard = [statement for statement in statements if statement["Resource"] == "*"]
    assert [sorted(_list(statement["Action"])) for statement in wildcard] == [
        ["xray:PutTelemetryRecords", "xray:PutTraceSegments"]
    ]


def _statements(synthesis: Synthesis, role_id: str) -> list[dict[str, Any]]:
    assert "ManagedPolicyArns" not in synthesis.resources[role_id]["Properties"]
    return [
        statement
        for policy in synthesis.of_type("AWS::IAM::Policy").values()
        if {"Ref": role_id} in policy["Properties"]["Roles"]
        for statement in policy["Properties"]["PolicyDocument"]["Statement"]
    ]


def _list(value: str | list[str]) -> list[str]:
    return [value] if isinstance(value, str) else value
