"""The customer value worker in the template: the rule on the order events, its retries and dead-letter queue; the
retention workflow: its state machine (the ASL file), the rule on deserting customers, their roles."""

from __future__ import annotations

import json
from typing import Any

import pytest
from retention.handler import ACTIONS as RETENTION_ACTIONS

from infra.constructs import customer_value as construct
from rapport.orders.churn import ChurnStatus
from rapport.orders.manifest import CUSTOMER_STANDING
from rapport.orders.value import REFRESHED_BY
from tests.infra.conftest import Synthesis

pytestmark = pytest.mark.slow


def test_the_infra_constant_equals_the_domain_s() -> None:
    assert construct.REFRESHED_BY == REFRESHED_BY


def test_the_order_events_reach_the_worker_with_retries_and_its_own_dead_letter_queue(dev: Synthesis) -> None:
    rule = dev.one("AWS::Events::Rule", "/CustomerValue/OrderEvents/Resource")["Properties"]
    assert rule["EventPattern"] == {"source": ["rapport"], "detail-type": list(REFRESHED_BY)}
    [target] = rule["Targets"]
    function = dev.id_of("AWS::Lambda::Function", "/Functions/customer_value/Function/Resource")
    queue = dev.id_of("AWS::SQS::Queue", "/CustomerValue/CustomerValueDeadLetters/Resource")
    assert target["Arn"] == {"Fn::GetAtt": [function, "Arn"]}
    assert target["DeadLetterConfig"]["Arn"] == {"Fn::GetAtt": [queue, "Arn"]}
    assert target["RetryPolicy"]["MaximumRetryAttempts"] == construct.RETRY_ATTEMPTS


def test_the_worker_reads_and_writes_the_table(dev: Synthesis) -> None:
    variables = dev.functions()["customer_value"]["Environment"]["Variables"]
    assert variables["TABLE_NAME"] == {"Ref": dev.id_of("AWS::DynamoDB::Table", "/Data/Table/Resource")}


def test_the_daily_ranking_reaches_its_worker_with_retries_and_its_own_dead_letter_queue(dev: Synthesis) -> None:
    rule = dev.one("AWS::Events::Rule", "/CustomerValue/DailyRanking/Resource")["Properties"]
    assert rule["ScheduleExpression"] == f"cron(0 {construct.RANKING_HOUR_UTC} * * ? *)"
    [target] = rule["Targets"]
    function = dev.id_of("AWS::Lambda::Function", "/Functions/customer_ranking/Function/Resource")
    queue = dev.id_of("AWS::SQS::Queue", "/CustomerValue/CustomerRankingDeadLetters/Resource")
    assert target["Arn"] == {"Fn::GetAtt": [function, "Arn"]}
    assert target["DeadLetterConfig"]["Arn"] == {"Fn::GetAtt": [queue, "Arn"]}


def test_the_ranking_reads_the_tenant_registry_and_the_table(dev: Synthesis) -> None:
    variables = dev.functions()["customer_ranking"]["Environment"]["Variables"]
    assert variables["TABLE_NAME"] == {"Ref": dev.id_of("AWS::DynamoDB::Table", "/Data/Table/Resource")}
    tenants = dev.id_of("AWS::DynamoDB::Table", "/Followups/TenantsTable/Resource")
    assert variables["TENANTS_TABLE_NAME"] == {"Ref": tenants}
    statements = [
        statement
        for policy in dev.of_type("AWS::IAM::Policy").values()
        if "customerranking" in str(policy["Properties"]["Roles"]).lower()
        for statement in policy["Properties"]["PolicyDocument"]["Statement"]
    ]
    registry = {"Fn::GetAtt": [tenants, "Arn"]}
    on_registry = [s["Action"] for s in statements if registry in (s["Resource"], *list(s["Resource"]))]
    assert on_registry == ["dynamodb:Query"]


def _retention(dev: Synthesis) -> tuple[str, dict[str, Any]]:
    machine_id = dev.id_of("AWS::StepFunctions::StateMachine", "/CustomerValue/CustomerRetention/Resource")
    return machine_id, dev.of_type("AWS::StepFunctions::StateMachine")[machine_id]["Properties"]


def test_the_retention_is_the_asl_file_calling_its_worker_for_each_step_the_worker_serves(dev: Synthesis) -> None:
    _, properties = _retention(dev)
    definition = json.loads(construct.RETENTION_DEFINITION.read_text())
    assert json.loads(properties["DefinitionString"]) == definition
    worker = dev.id_of("AWS::Lambda::Function", "/Functions/retention/Function/Resource")
    assert properties["DefinitionSubstitutions"] == {"RetentionFunctionArn": {"Fn::GetAtt": [worker, "Arn"]}}
    assert properties["TracingConfiguration"] == {"Enabled": True}
    states = definition["States"]
    tasks = [name for name, state in states.items() if state["Type"] == "Task"]
    assert [states[name]["Parameters"]["Payload"]["action"] for name in tasks] == list(RETENTION_ACTIONS)
    for name in tasks:
        assert states[name]["Parameters"]["FunctionName"] == "${RetentionFunctionArn}"
        assert all(retry["BackoffRate"] > 1 for retry in states[name]["Retry"])
        assert states[name]["Catch"] == [{"ErrorEquals": ["NotFound"], "ResultPath": "$.error", "Next": "CustomerGone"}]
    # the run's own execution is how a retried start step tells itself from a second run of the episode
    assert states["Start"]["Parameters"]["Payload"]["execution.$"] == "$$.Execution.Id"
    assert states["Started?"]["Default"] == "NotStarted"
    assert states["WaitForPurchase"] == {
        "Type": "Wait",
        "TimestampPath": "$.start.result.wait_until",
        "Next": "Conclude",
    }
    # the machine may invoke its worker, and nothing else of Lambda
    role = properties["RoleArn"]["Fn::GetAtt"][0]
    invoked = [
        statement["Resource"]
        for policy in dev.of_type("AWS::IAM::Policy").values()
        if {"Ref": role} in policy["Properties"]["Roles"]
        for statement in policy["Properties"]["PolicyDocument"]["Statement"]
        if statement["Action"] == "lambda:InvokeFunction"
    ]
    assert invoked == [[{"Fn::GetAtt": [worker, "Arn"]}, {"Fn::Join": ["", [{"Fn::GetAtt": [worker, "Arn"]}, ":*"]]}]]


def test_a_customer_becoming_deserting_starts_it_with_its_episode_through_a_role_and_a_dead_letter_queue(
    dev: Synthesis,
) -> None:
    machine_id, _ = _retention(dev)
    rule = dev.one("AWS::Events::Rule", "/CustomerValue/CustomerDeserting/Resource")["Properties"]
    assert rule["EventPattern"] == construct.RETENTION_PATTERN
    assert rule["EventPattern"]["detail-type"] == [f"{CUSTOMER_STANDING.entity}.churn_changed"]
    assert rule["EventPattern"]["detail"]["record"]["churn"]["status"] == [ChurnStatus.DESERTING.value]
    [target] = rule["Targets"]
    queue = dev.id_of("AWS::SQS::Queue", "/CustomerValue/DesertingDeadLetters/Resource")
    assert target["Arn"] == {"Ref": machine_id}
    assert target["DeadLetterConfig"]["Arn"] == {"Fn::GetAtt": [queue, "Arn"]}
    assert set(target["InputTransformer"]["InputPathsMap"].values()) == {
        "$.detail.tenant_id",
        "$.detail.entity_id",
        "$.detail.record.churn.since",
    }
    role = target["RoleArn"]["Fn::GetAtt"][0]
    [statement] = [
        statement
        for policy in dev.of_type("AWS::IAM::Policy").values()
        if {"Ref": role} in policy["Properties"]["Roles"]
        for statement in policy["Properties"]["PolicyDocument"]["Statement"]
    ]
    assert statement["Action"] == "states:StartExecution" and statement["Resource"] == {"Ref": machine_id}


def test_the_retention_worker_is_fenced_to_the_tenant_and_asks_the_notifier_by_the_bus(dev: Synthesis) -> None:
    variables = dev.functions()["retention"]["Environment"]["Variables"]
    assert variables["TABLE_NAME"] == {"Ref": dev.id_of("AWS::DynamoDB::Table", "/Data/Table/Resource")}
    assert "EVENT_BUS_NAME" in variables
    role = dev.functions()["retention"]["Role"]["Fn::GetAtt"][0]
    actions = {
        action
        for policy in dev.of_type("AWS::IAM::Policy").values()
        if {"Ref": role} in policy["Properties"]["Roles"]
        for statement in policy["Properties"]["PolicyDocument"]["Statement"]
        for action in ([statement["Action"]] if isinstance(statement["Action"], str) else statement["Action"])
    }
    assert {"events:PutEvents", "sts:AssumeRole"} <= actions
    assert not any(action.startswith("dynamodb:") for action in actions)  # the tables only as the step's tenant
