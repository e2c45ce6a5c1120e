"""The API functions: one per area of the OpenAPI document, all built alike by the factory."""

from __future__ import annotations

import json
from typing import Any

import pytest

from infra.bytecode import PYTHON_VERSION
from infra.openapi import functions_of, load_routes
from rapport import config
from tests.infra.conftest import Synthesis, worker_areas

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def functions(dev: Synthesis) -> dict[str, dict[str, Any]]:
    """Each API function's properties, by API area."""
    return dev.api_functions()


def test_one_function_per_api_area_and_the_workers(dev: Synthesis, functions: dict[str, dict[str, Any]]) -> None:
    assert sorted(functions) == functions_of(load_routes())
    assert sorted(set(dev.functions()) - set(functions)) == worker_areas()


def test_functions_share_one_shape(functions: dict[str, dict[str, Any]]) -> None:
    for properties in functions.values():
        assert properties["Runtime"] == f"python{PYTHON_VERSION}"
        assert properties["Architectures"] == ["arm64"]
        assert properties["Handler"] == "rapport.api.entry.lambda_handler"
        assert properties["MemorySize"] == 512
        assert properties["Timeout"] == 10
        assert properties["TracingConfig"] == {"Mode": "Active"}
        assert properties["LoggingConfig"]["LogFormat"] == "JSON"


def test_functions_run_on_the_core_and_deps_layers(dev: Synthesis, functions: dict[str, dict[str, Any]]) -> None:
    core = dev.id_of("AWS::Lambda::LayerVersion", "/CoreLayer/Resource")
    deps = dev.id_of("AWS::Lambda::LayerVersion", "/DepsLayer/Resource")
    for properties in functions.values():
        assert properties["Layers"] == [{"Ref": core}, {"Ref": deps}]
    for layer in (core, deps):
        assert dev.resources[layer]["Properties"]["CompatibleRuntimes"] == [f"python{PYTHON_VERSION}"]
        assert dev.resources[layer]["Properties"]["CompatibleArchitectures"] == ["arm64"]


def test_functions_environment(dev: Synthesis, functions: dict[str, dict[str, Any]]) -> None:
    table = dev.id_of("AWS::DynamoDB::Table", "/Data/Table/Resource")
    idempotency = dev.id_of("AWS::DynamoDB::Table", "/Data/IdempotencyTable/Resource")
    keys = {"WEB_FORM_KEYS_TABLE_NAME": {"Ref": dev.id_of("AWS::DynamoDB::Table", "/Data/WebFormKeysTable/Resource")}}
    slugs = {"TENANT_SLUGS_TABLE_NAME": {"Ref": dev.id_of("AWS::DynamoDB::Table", "/Data/TenantSlugsTable/Resource")}}
    inbound_mail = {"INBOUND_MAIL_BUCKET": {"Ref": dev.id_of("AWS::S3::Bucket", "/InboundMail/Bucket/Resource")}}
    # Web-to-lead: the web forms function issues keys into the usage plan; the public one maps keys to tenants.
    extra: dict[str, dict[str, Any]] = {
        "web_forms": {**keys, "USAGE_PLAN_NAME": "Rapport-dev-web-forms"},
        "public_leads": keys,
        # POST /leads/{id}/assign starts the lead assignment state machine
        "users": {
            "ASSIGNMENT_STATE_MACHINE_ARN": {
                "Ref": dev.id_of("AWS::StepFunctions::StateMachine", "/LeadAssignment/Resource")
            }
        },
        # Redelivering a dead delivery starts a run of the webhook delivery state machine
        "webhooks": {
            "WEBHOOK_DELIVERY_STATE_MACHINE_ARN": {
                "Ref": dev.id_of("AWS::StepFunctions::StateMachine", "/WebhookDelivery/Resource")
            }
        },
        # Scheduling or resuming a campaign starts a run of the campaign send machine (its ARN written out, by name:
        # infra/constructs/campaigns.py says why); its test copies go through SES from the stage's sender
        "campaigns": {
            "CAMPAIGN_SEND_STATE_MACHINE_ARN": _state_machine_arn("Rapport-dev-campaign-send"),
            "SENDER_EMAIL": "notifications@dev.rapport.example",
            "SES_CONFIGURATION_SET": "Rapport-dev-notifications",
        },
        # Enrolling contacts in a sequence starts their runs of the sequence enrollment machine (by name, likewise)
        "sequences": {"SEQUENCE_STATE_MACHINE_ARN": _state_machine_arn("Rapport-dev-sequence-enrollment")},
        # The tenant settings claim and release the tenant's slug; the public knowledge base resolves it
        "tenants": slugs,
        "public_kb": slugs,
        # GET /reports/kpis reads the headline figures the analytics export leaves in its bucket
        "orders": {"ANALYTICS_BUCKET": {"Ref": dev.id_of("AWS::S3::Bucket", "/Analytics/Bucket/Resource")}},
        # A case's messages list their attachments with download URLs presigned for the inbound mail bucket
        # GET /exports/{id} presigns the download of the file the export writer made
        "exports": {"EXPORTS_BUCKET": {"Ref": dev.id_of("AWS::S3::Bucket", "/Exports/Bucket/Resource")}},
        # POST /imports presigns the upload of the file the import runner reads, and its reports' downloads
        "imports": {"EXPORTS_BUCKET": {"Ref": dev.id_of("AWS::S3::Bucket", "/Exports/Bucket/Resource")}},
        "cases": inbound_mail,
        "portal": inbound_mail,
    }
    [secret] = dev.of_type("AWS::SecretsManager::Secret")
    tenant_role = dev.id_of("AWS::IAM::Role", "/Functions/TenantData/Role/Resource")
    for area, properties in functions.items():
        assert properties["Environment"]["Variables"] == {
            "TENANT_ROLE_ARN": {"Fn::GetAtt": [tenant_role, "Arn"]},
            "TABLE_NAME": {"Ref": table},
            "IDEMPOTENCY_TABLE_NAME": {"Ref": idempotency},
            "CURSOR_SECRET_ARN": {"Ref": secret},
            "POWERTOOLS_SERVICE_NAME": f"rapport-{area}",
            "POWERTOOLS_METRICS_NAMESPACE": "Rapport",
            "ALLOWED_ORIGIN": "http://localhost:5173",
            **extra.get(area, {}),
        }


def test_every_variable_the_stack_sets_is_a_setting_the_core_reads(dev: Synthesis) -> None:
    """rapport.config is the one reader of the environment: what the stack sets and it does not know is lost."""
    settings = {config.variable(name) for name in config.Config._fields}
    for area, properties in dev.functions().items():
        given = set(properties.get("Environment", {}).get("Variables", {}))
        assert {name for name in given if not name.startswith("POWERTOOLS_")} <= settings, area


def test_only_the_web_forms_function_manages_api_keys_and_only_web_to_lead_touches_the_key_table(
    dev: Synthesis, functions: dict[str, dict[str, Any]]
) -> None:
    keys_table = dev.id_of("AWS::DynamoDB::Table", "/Data/WebFormKeysTable/Resource")
    expected_keys = {"web_forms": {"dynamodb:PutItem", "dynamodb:DeleteItem"}, "public_leads": {"dynamodb:GetItem"}}
    for area, properties in functions.items():
        statements = _statements(dev, properties["Role"]["Fn::GetAtt"][0])
        on_keys = {
            action
            for statement in statements
            if {"Fn::GetAtt": [keys_table, "Arn"]} in _resources(statement)
            for action in _list(statement["Action"])
        }
        assert on_keys == expected_keys.get(area, set()), area
        gateway = {action for s in statements for action in _list(s["Action"]) if action.startswith("apigateway:")}
        assert gateway == ({"apigateway:GET", "apigateway:POST", "apigateway:DELETE"} if area == "web_forms" else set())


def test_only_the_tenants_function_claims_slugs_and_only_the_public_kb_resolves_them(
    dev: Synthesis, functions: dict[str, dict[str, Any]]
) -> None:
    slugs_table = dev.id_of("AWS::DynamoDB::Table", "/Data/TenantSlugsTable/Resource")
    expected = {"tenants": {"dynamodb:PutItem", "dynamodb:DeleteItem"}, "public_kb": {"dynamodb:GetItem"}}
    for area, properties in functions.items():
        on_slugs = {
            action
            for statement in _statements(dev, properties["Role"]["Fn::GetAtt"][0])
            if {"Fn::GetAtt": [slugs_table, "Arn"]} in _resources(statement)
            for action in _list(statement["Action"])
        }
        assert on_slugs == expected.get(area, set()), area


def test_the_web_forms_function_adds_keys_to_its_usage_plan_only(dev: Synthesis) -> None:
    [plan_id] = dev.of_type("AWS::ApiGateway::UsagePlan")
    [policy] = [p for name, p in dev.of_type("AWS::IAM::Policy").items() if "KeyIssuer" in name]
    statements = {s["Action"]: s["Resource"] for s in policy["Properties"]["PolicyDocument"]["Statement"]}
    resources = json.dumps(statements["apigateway:POST"])
    assert '"::/apikeys"' in resources and '"::/usageplans/", {"Ref": "' + plan_id + '"}, "/keys"' in resources
    assert json.dumps(statements["apigateway:DELETE"]).endswith('"::/apikeys/*"]]}')


def test_each_function_logs_to_its_own_group_with_retention(dev: Synthesis, functions: dict[str, dict[str, Any]]):
    groups = {properties["LoggingConfig"]["LogGroup"]["Ref"] for properties in functions.values()}
    assert len(groups) == len(functions)
    for group in groups:
        assert dev.resources[group]["Properties"]["RetentionInDays"] == 14


# A campaign's test copy by SMS is published to a phone number, which is no resource to name.
UNNAMED_RESOURCES = {"campaigns": ["sns:Publish"]}


def test_function_roles_hold_no_managed_policy_and_only_named_grants(dev: Synthesis, functions: dict[str, Any]):
    for area, properties in functions.items():
        _assert_least_privilege(_statements(dev, properties["Role"]["Fn::GetAtt"][0]), UNNAMED_RESOURCES.get(area, []))


def test_no_api_function_puts_events(dev: Synthesis, functions: dict[str, Any]) -> None:
    """An API write's events come from the table's stream: a bus that fails then cannot fail a stored write (a
    public reply on a case is emailed from its `case.message_added` event, by the case events worker)."""
    for area, properties in functions.items():
        statements = _statements(dev, properties["Role"]["Fn::GetAtt"][0])
        targets = [
            resource for s in statements if "events:PutEvents" in _list(s["Action"]) for resource in _resources(s)
        ]
        assert targets == [], area


def _assert_least_privilege(statements: list[dict[str, Any]], unnamed: list[str]) -> None:
    actions = {action for statement in statements for action in _list(statement["Action"])}
    assert {"sts:AssumeRole", "sts:TagSession", "secretsmanager:GetSecretValue"} <= actions
    assert not any(action.endswith("*") for action in actions)
    wildcard = [statement for statement in statements if statement["Resource"] == "*"]
    on_anything = sorted(action for statement in wildcard for action in _list(statement["Action"]))
    assert on_anything == sorted(["xray:PutTelemetryRecords", "xray:PutTraceSegments", *unnamed])


def _statements(synthesis: Synthesis, role_id: str) -> list[dict[str, Any]]:
    assert "ManagedPolicyArns" not in synthesis.resources[role_id]["Properties"]
    return [
        statement
        for policy in synthesis.of_type("AWS::IAM::Policy").values()
        if {"Ref": role_id} in policy["Properties"]["Roles"]
        for statement in policy["Properties"]["PolicyDocument"]["Statement"]
    ]


def _resources(statement: dict[str, Any]) -> list[Any]:
    resource = statement["Resource"]
    return resource if isinstance(resource, list) else [resource]


def _list(value: str | list[str]) -> list[str]:
    return [value] if isinstance(value, str) else value


def _state_machine_arn(name: str) -> dict[str, Any]:
    """The ARN of the state machine `name`, as the stack writes it out (not a reference)."""
    partition, region, account = ({"Ref": f"AWS::{part}"} for part in ("Partition", "Region", "AccountId"))
    return {"Fn::Join": ["", ["arn:", partition, ":states:", region, ":", account, f":stateMachine:{name}"]]}
