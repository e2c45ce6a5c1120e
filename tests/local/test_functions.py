from __future__ import annotations

import os

import pytest

from local.runtime.aws import role_resources
from local.runtime.functions import function_config, function_resources
from local.runtime.template import CloudAssembly, Physical, Resolver, UnresolvedReference


@pytest.fixture
def resolver(assembly: CloudAssembly) -> Resolver:
    resolver = Resolver("eu-west-1", "Stack", {"Table": Physical("Stack-Table")})
    resolver.physical.update(function_resources(assembly, "eu-west-1"))
    resolver.physical.update(role_resources(assembly))
    return resolver


def test_a_function_runs_with_its_template_environment_and_lambdas_variables(
    assembly: CloudAssembly, resolver: Resolver, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("CURSOR_SECRET", "must-not-leak")
    config = function_config(assembly, resolver, "http://127.0.0.1:4566", "ThingsFunction")
    environment = config.environment
    assert environment["TABLE_NAME"] == "Stack-Table"
    assert environment["GREETING"] == "hello"
    # the role it assumes through moto's STS, in the account moto keeps the tables in
    assert environment["TENANT_ROLE_ARN"] == "arn:aws:iam::123456789012:role/TenantDataRole"
    assert environment["AWS_ENDPOINT_URL"] == "http://127.0.0.1:4566"
    assert environment["AWS_REGION"] == environment["AWS_DEFAULT_REGION"] == "eu-west-1"
    assert environment["AWS_LAMBDA_FUNCTION_NAME"] == config.name == "Stack-ThingsFunction"
    assert environment["AWS_LAMBDA_FUNCTION_MEMORY_SIZE"] == "256"
    assert environment["_HANDLER"] == "handler.lambda_handler"
    assert "CURSOR_SECRET" not in environment
    assert config.timeout == 5
    assert config.arn == "arn:aws:lambda:eu-west-1:123456789012:function:Stack-ThingsFunction"


def test_the_code_and_own_layers_are_on_the_path_and_a_layer_of_distributions_is_not(
    assembly: CloudAssembly, resolver: Resolver
) -> None:
    config = function_config(assembly, resolver, "http://127.0.0.1:4566", "ThingsFunction")
    assert config.code_dir == assembly.directory / "asset.abc123"
    assert config.environment["PYTHONPATH"].split(os.pathsep) == [
        str(assembly.directory / "asset.abc123"),
        str(assembly.directory / "asset.core" / "python"),
    ]


def test_a_variable_the_runtime_provides_is_its_value_not_the_templates_which_names_what_does_not_run_locally(
    assembly: CloudAssembly, resolver: Resolver
) -> None:
    variables = assembly.properties("ThingsFunction")["Environment"]["Variables"]
    variables["PUBLIC_URL"] = {"Fn::Join": ["", ["https://", {"Ref": "RestApi"}, ".execute-api.amazonaws.com/"]]}
    with pytest.raises(UnresolvedReference, match="RestApi"):
        function_config(assembly, resolver, "http://127.0.0.1:4566", "ThingsFunction")
    provided = {"PUBLIC_URL": "http://localhost:3000", "NOT_DECLARED": "x"}
    config = function_config(assembly, resolver, "http://127.0.0.1:4566", "ThingsFunction", provided=provided)
    assert config.environment["PUBLIC_URL"] == "http://localhost:3000"
    assert config.environment["TABLE_NAME"] == "Stack-Table"
    assert "NOT_DECLARED" not in config.environment, "only what the template declares"
