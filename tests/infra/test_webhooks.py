"""Webhooks: the dispatcher's rule, the delivery state machine (the committed ASL file) and its attempt worker, and
who may start a delivery run."""

from __future__ import annotations

import json
from typing import Any

import pytest

from infra.constructs import webhooks as construct
from rapport import config
from rapport.webhooks import service, transport
from tests.infra.conftest import Synthesis

pytestmark = pytest.mark.slow


def _machine(dev: Synthesis) -> tuple[str, dict[str, Any]]:
    logical_id = dev.id_of("AWS::StepFunctions::StateMachine", "/Webhooks/WebhookDelivery/Resource")
    return logical_id, dev.resources[logical_id]["Properties"]


def _statements(dev: Synthesis, area: str) -> list[dict[str, Any]]:
    return [
        statement
        for policy in dev.of_type("AWS::IAM::Policy").values()
        if f"{area}Role" in json.dumps(policy["Properties"]["Roles"]).replace("_", "")
        for statement in policy["Properties"]["PolicyDocument"]["Statement"]
    ]


def test_the_infra_constants_equal_the_domains() -> None:
    assert construct.OWN_EVENTS == service.OWN_EVENTS
    assert construct.ATTEMPT_TIMEOUT.to_seconds() > transport.CONNECT_TIMEOUT_S + transport.READ_TIMEOUT_S


def test_the_definition_is_the_asl_file_with_the_attempt_worker_substituted(dev: Synthesis) -> None:
    _, properties = _machine(dev)
    assert json.loads(properties["DefinitionString"]) == json.loads(construct.DEFINITION.read_text())
    worker = dev.id_of("AWS::Lambda::Function", "/Functions/webhook_deliveries/Function/Resource")
    assert properties["DefinitionSubstitutions"] == {"DeliveriesFunctionArn": {"Fn::GetAtt": [worker, "Arn"]}}
    assert properties["TracingConfiguration"] == {"Enabled": True}
    assert properties["LoggingConfiguration"]["Level"] == "ALL"


def test_the_run_attempts_then_waits_the_back_off_the_attempt_returns_until_it_ends() -> None:
    states = json.loads(construct.DEFINITION.read_text())["States"]
    attempt = states["Attempt"]
    assert attempt["Parameters"]["FunctionName"] == "${DeliveriesFunctionArn}"
    assert set(attempt["Parameters"]["Payload"]) == {"tenant_id.$", "webhook_id.$", "delivery_id.$", "run.$"}
    assert all(retry["BackoffRate"] > 1 for retry in attempt["Retry"])
    assert attempt["Catch"][0]["Next"] == "AttemptFailed"
    [again] = states["Again?"]["Choices"]
    assert (again["Variable"], again["StringEquals"], again["Next"]) == ("$.next.outcome", "retry", "BackOff")
    assert states["Again?"]["Default"] == "Done"
    assert states["BackOff"] == {"Type": "Wait", "SecondsPath": "$.next.wait_seconds", "Next": "Attempt"}


def test_every_domain_event_but_the_webhooks_own_reaches_the_dispatcher_with_a_dead_letter_queue(
    dev: Synthesis,
) -> None:
    [rule] = [
        rule["Properties"]
        for rule in dev.of_type("AWS::Events::Rule").values()
        if rule["Metadata"]["aws:cdk:path"].endswith("/Webhooks/WebhookEvents/Resource")
    ]
    assert rule["EventPattern"] == {"source": ["rapport"], "detail-type": [{"anything-but": {"prefix": "webhook."}}]}
    [target] = rule["Targets"]
    dispatcher = dev.id_of("AWS::Lambda::Function", "/Functions/webhook_dispatcher/Function/Resource")
    assert target["Arn"] == {"Fn::GetAtt": [dispatcher, "Arn"]}
    queue = dev.id_of("AWS::SQS::Queue", "/Webhooks/WebhookDispatcherDeadLetters/Resource")
    assert target["DeadLetterConfig"]["Arn"] == {"Fn::GetAtt": [queue, "Arn"]}
    assert target["RetryPolicy"]["MaximumRetryAttempts"] == construct.RETRY_ATTEMPTS


def test_only_the_dispatcher_and_the_webhooks_api_start_delivery_runs(dev: Synthesis) -> None:
    machine_id, _ = _machine(dev)
    starters = {
        area
        for area, properties in dev.functions().items()
        if construct.STATE_MACHINE_VARIABLE in properties["Environment"]["Variables"]
    }
    assert starters == {"webhook_dispatcher", "webhooks"}
    for area in ("webhookdispatcher", "webhooks"):
        allowed = [s for s in _statements(dev, area) if s["Action"] == "states:StartExecution"]
        assert [s["Resource"] for s in allowed] == [{"Ref": machine_id}], area


def test_the_attempt_worker_unseals_secrets_and_may_ask_for_notifications(dev: Synthesis) -> None:
    variables = dev.functions()["webhook_deliveries"]["Environment"]["Variables"]
    assert {"TABLE_NAME", "CURSOR_SECRET_ARN", "EVENT_BUS_NAME"} <= set(variables)
    actions = json.dumps([s["Action"] for s in _statements(dev, "webhookdeliveries")])
    assert "secretsmanager:GetSecretValue" in actions
    assert "events:PutEvents" in actions


@pytest.mark.parametrize("stage", ["dev", "prod"])
def test_no_deployed_function_may_deliver_to_http_localhost(stage: str, request: pytest.FixtureRequest) -> None:
    synthesis: Synthesis = request.getfixturevalue(stage)
    variable = "WEBHOOKS_ALLOW_HTTP_LOCALHOST"
    assert config.variable("webhooks_allow_http_localhost") == variable
    for area, properties in synthesis.functions().items():
        assert variable not in properties["Environment"]["Variables"], area
