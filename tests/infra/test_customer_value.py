"""The customer value worker in the template: the rule on the order events, its retries and dead-letter queue."""

from __future__ import annotations

import pytest

from infra.constructs import customer_value as construct
from rapport.orders.value import REFRESHED_BY
from tests.infra.conftest import Synthesis

pytestmark = pytest.mark.slow


def _id(dev: Synthesis, resource_type: str, path_suffix: str) -> str:
    [name] = [
        name
        for name, resource in dev.of_type(resource_type).items()
        if resource["Metadata"]["aws:cdk:path"].endswith(path_suffix)
    ]
    return name


def test_the_infra_constant_equals_the_domain_s() -> None:
    assert construct.REFRESHED_BY == REFRESHED_BY


def test_the_order_events_reach_the_worker_with_retries_and_its_own_dead_letter_queue(dev: Synthesis) -> None:
    rule = dev.one("AWS::Events::Rule", "/CustomerValue/OrderEvents/Resource")["Properties"]
    assert rule["EventPattern"] == {"source": ["rapport"], "detail-type": list(REFRESHED_BY)}
    [target] = rule["Targets"]
    function = _id(dev, "AWS::Lambda::Function", "/Functions/customer_value/Function/Resource")
    queue = _id(dev, "AWS::SQS::Queue", "/CustomerValue/CustomerValueDeadLetters/Resource")
    assert target["Arn"] == {"Fn::GetAtt": [function, "Arn"]}
    assert target["DeadLetterConfig"]["Arn"] == {"Fn::GetAtt": [queue, "Arn"]}
    assert target["RetryPolicy"]["MaximumRetryAttempts"] == construct.RETRY_ATTEMPTS


def test_the_worker_reads_and_writes_the_table(dev: Synthesis) -> None:
    variables = dev.functions()["customer_value"]["Environment"]["Variables"]
    assert variables["TABLE_NAME"] == {"Ref": _id(dev, "AWS::DynamoDB::Table", "/Data/Table/Resource")}


def test_the_daily_ranking_reaches_its_worker_with_retries_and_its_own_dead_letter_queue(dev: Synthesis) -> None:
    rule = dev.one("AWS::Events::Rule", "/CustomerValue/DailyRanking/Resource")["Properties"]
    assert rule["ScheduleExpression"] == f"cron(0 {construct.RANKING_HOUR_UTC} * * ? *)"
    [target] = rule["Targets"]
    function = _id(dev, "AWS::Lambda::Function", "/Functions/customer_ranking/Function/Resource")
    queue = _id(dev, "AWS::SQS::Queue", "/CustomerValue/CustomerRankingDeadLetters/Resource")
    assert target["Arn"] == {"Fn::GetAtt": [function, "Arn"]}
    assert target["DeadLetterConfig"]["Arn"] == {"Fn::GetAtt": [queue, "Arn"]}


def test_the_ranking_reads_the_tenant_registry_and_the_table(dev: Synthesis) -> None:
    variables = dev.functions()["customer_ranking"]["Environment"]["Variables"]
    assert variables["TABLE_NAME"] == {"Ref": _id(dev, "AWS::DynamoDB::Table", "/Data/Table/Resource")}
    tenants = _id(dev, "AWS::DynamoDB::Table", "/Followups/TenantsTable/Resource")
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
