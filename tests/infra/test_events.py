"""The outbox: the table's stream feeds the publisher, which may only put events on the Rapport bus."""

from __future__ import annotations

import pytest

from tests.infra.conftest import Synthesis

pytestmark = pytest.mark.slow


def test_the_table_stream_feeds_the_publisher_with_retries_and_a_dead_letter_queue(dev: Synthesis) -> None:
    [mapping] = dev.of_type("AWS::Lambda::EventSourceMapping").values()
    properties = mapping["Properties"]
    tables = dev.of_type("AWS::DynamoDB::Table").items()
    [table_id] = [name for name, table in tables if "StreamSpecification" in table["Properties"]]
    assert properties["EventSourceArn"] == {"Fn::GetAtt": [table_id, "StreamArn"]}
    assert properties["StartingPosition"] == "TRIM_HORIZON"
    assert properties["FunctionResponseTypes"] == ["ReportBatchItemFailures"]
    assert properties["BisectBatchOnFunctionError"] is True
    assert properties["MaximumRetryAttempts"] == 10
    [queue_id] = [
        name
        for name, queue in dev.of_type("AWS::SQS::Queue").items()
        if queue["Metadata"]["aws:cdk:path"].endswith("/Events/PublisherDeadLetters/Resource")
    ]
    assert properties["DestinationConfig"]["OnFailure"]["Destination"] == {"Fn::GetAtt": [queue_id, "Arn"]}
    publisher = dev.functions()["publisher"]
    assert properties["FunctionName"] == {"Ref": _function_id(dev, "publisher")}
    assert set(publisher["Environment"]["Variables"]) == {
        "EVENT_BUS_NAME",
        "IDEMPOTENCY_TABLE_NAME",
        "POWERTOOLS_SERVICE_NAME",
        "POWERTOOLS_METRICS_NAMESPACE",
    }


def test_the_publisher_may_put_events_on_the_bus_read_tombstones_and_write_nothing(dev: Synthesis) -> None:
    role = dev.functions()["publisher"]["Role"]["Fn::GetAtt"][0]
    statements = [
        statement
        for policy in dev.of_type("AWS::IAM::Policy").values()
        if {"Ref": role} in policy["Properties"]["Roles"]
        for statement in policy["Properties"]["PolicyDocument"]["Statement"]
    ]
    actions = {
        action
        for statement in statements
        for action in ([statement["Action"]] if isinstance(statement["Action"], str) else statement["Action"])
    }
    assert "events:PutEvents" in actions
    assert {"dynamodb:GetRecords", "dynamodb:GetShardIterator"} <= actions
    assert not actions & {"dynamodb:PutItem", "dynamodb:UpdateItem", "dynamodb:DeleteItem", "dynamodb:Query"}
    [tombstones] = [statement for statement in statements if statement["Action"] == "dynamodb:GetItem"]
    [idempotency_table] = [
        name
        for name, table in dev.of_type("AWS::DynamoDB::Table").items()
        if "TimeToLiveSpecification" in table["Properties"] and "StreamSpecification" not in table["Properties"]
    ]
    assert tombstones["Resource"] == {"Fn::GetAtt": [idempotency_table, "Arn"]}


@pytest.mark.parametrize(("stage", "days"), [("dev", 30), ("prod", 365)])
def test_the_bus_is_archived_for_replay(request: pytest.FixtureRequest, stage: str, days: int) -> None:
    synthesis: Synthesis = request.getfixturevalue(stage)
    [archive] = synthesis.of_type("AWS::Events::Archive").values()
    assert archive["Properties"]["RetentionDays"] == days
    assert archive["Properties"]["EventPattern"] == {"source": ["rapport"]}
    [bus_id] = synthesis.of_type("AWS::Events::EventBus")
    assert archive["Properties"]["SourceArn"] == {"Fn::GetAtt": [bus_id, "Arn"]}


def _function_id(synthesis: Synthesis, area: str) -> str:
    [name] = [
        name
        for name, resource in synthesis.of_type("AWS::Lambda::Function").items()
        if resource["Properties"]["Environment"]["Variables"]["POWERTOOLS_SERVICE_NAME"] == f"rapport-{area}"
    ]
    return name
