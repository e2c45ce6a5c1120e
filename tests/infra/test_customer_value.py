"""The customer value worker in the template: the rule on the order events, its retries and dead-letter queue."""

from __future__ import annotations

import pytest

from infra.constructs import customer_value as construct
from rapport.orders.value import REFRESHED_BY
from tests.infra.conftest import Synthesis

pytestmark = pytest.mark.slow


def test_the_infra_constant_equals_the_domain_s() -> None:
    assert construct.REFRESHED_BY == REFRESHED_BY


def test_the_order_events_reach_the_worker_with_retries_and_its_own_dead_letter_queue(dev: Synthesis) -> None:
    rule = dev.one("AWS::Events::Rule", "/CustomerValue/OrderEvents/Resource")["Properties"]
    assert rule["EventPattern"] == {"source": ["rapport"], "detail-type": list(REFRESHED_BY)}
    [target] = rule["Targets"]
    [function] = [
        name
        for name, resource in dev.of_type("AWS::Lambda::Function").items()
        if resource["Metadata"]["aws:cdk:path"].endswith("/Functions/customer_value/Function/Resource")
    ]
    [queue] = [
        name
        for name, resource in dev.of_type("AWS::SQS::Queue").items()
        if resource["Metadata"]["aws:cdk:path"].endswith("/CustomerValue/CustomerValueDeadLetters/Resource")
    ]
    assert target["Arn"] == {"Fn::GetAtt": [function, "Arn"]}
    assert target["DeadLetterConfig"]["Arn"] == {"Fn::GetAtt": [queue, "Arn"]}
    assert target["RetryPolicy"]["MaximumRetryAttempts"] == construct.RETRY_ATTEMPTS
    variables = dev.functions()["customer_value"]["Environment"]["Variables"]
    assert "TABLE_NAME" in variables
