"""Notifications: the rule to the notifier with retries and a dead-letter queue, SES and its feedback, grants."""

from __future__ import annotations

import json
from typing import Any

import pytest

from infra.config import project_context
from tests.infra.conftest import Synthesis

pytestmark = pytest.mark.slow


def _function_id(synthesis: Synthesis, area: str) -> str:
    [name] = [
        name
        for name, resource in synthesis.of_type("AWS::Lambda::Function").items()
        if resource["Properties"]["Environment"]["Variables"]["POWERTOOLS_SERVICE_NAME"] == f"rapport-{area}"
    ]
    return name


def _queue_id(synthesis: Synthesis, prefix: str) -> str:
    [name] = [name for name in synthesis.of_type("AWS::SQS::Queue") if name.startswith(prefix)]
    return name


def _statements(synthesis: Synthesis, area: str) -> list[dict[str, Any]]:
    role = synthesis.functions()[area]["Role"]["Fn::GetAtt"][0]
    return [
        statement
        for policy in synthesis.of_type("AWS::IAM::Policy").values()
        if {"Ref": role} in policy["Properties"]["Roles"]
        for statement in policy["Properties"]["PolicyDocument"]["Statement"]
    ]


def _actions(statement: dict[str, Any]) -> list[str]:
    action = statement["Action"]
    return [action] if isinstance(action, str) else list(action)


def test_notification_requests_on_the_bus_reach_the_notifier_with_retries_and_a_dead_letter_queue(dev: Synthesis):
    [rule] = [
        rule
        for rule in dev.of_type("AWS::Events::Rule").values()
        if rule["Properties"].get("EventPattern", {}).get("detail-type") == ["notification.requested"]
    ]
    properties = rule["Properties"]
    assert properties["EventPattern"] == {"source": ["rapport.workflows"], "detail-type": ["notification.requested"]}
    [bus_id] = dev.of_type("AWS::Events::EventBus")
    assert properties["EventBusName"] == {"Ref": bus_id}
    [target] = properties["Targets"]
    assert target["Arn"] == {"Fn::GetAtt": [_function_id(dev, "notifier"), "Arn"]}
    queue = _queue_id(dev, "NotificationsNotifierDeadLetters")
    assert target["DeadLetterConfig"] == {"Arn": {"Fn::GetAtt": [queue, "Arn"]}}
    assert target["RetryPolicy"] == {"MaximumRetryAttempts": 8, "MaximumEventAgeInSeconds": 6 * 3600}


def test_a_failed_invocation_is_retried_by_lambda_then_sent_to_the_dead_letter_queue(dev: Synthesis):
    configs = {
        config["Properties"]["FunctionName"]["Ref"]: config["Properties"]
        for config in dev.of_type("AWS::Lambda::EventInvokeConfig").values()
    }
    for area, prefix in (("notifier", "NotificationsNotifier"), ("ses_feedback", "NotificationsSesFeedback")):
        config = configs[_function_id(dev, area)]
        assert config["MaximumRetryAttempts"] == 2
        destination = config["DestinationConfig"]["OnFailure"]["Destination"]
        assert destination == {"Fn::GetAtt": [_queue_id(dev, prefix), "Arn"]}
    queue = dev.resources[_queue_id(dev, "NotificationsNotifierDeadLetters")]["Properties"]
    assert queue["MessageRetentionPeriod"] == 14 * 24 * 3600


def test_the_notifier_sends_from_the_stages_identity_in_the_configuration_set(dev: Synthesis):
    variables = dev.functions()["notifier"]["Environment"]["Variables"]
    assert variables["SENDER_EMAIL"] == "notifications@dev.rapport.example"
    [config_set] = dev.of_type("AWS::SES::ConfigurationSet").values()
    assert variables["SES_CONFIGURATION_SET"] == config_set["Properties"]["Name"]
    [identity] = dev.of_type("AWS::SES::EmailIdentity").values()
    assert identity["Properties"]["EmailIdentity"] == "notifications@dev.rapport.example"
    [destination] = dev.of_type("AWS::SES::ConfigurationSetEventDestination").values()
    spec = destination["Properties"]["EventDestination"]
    assert sorted(spec["MatchingEventTypes"]) == ["bounce", "complaint", "delivery"]
    [topic_id] = dev.of_type("AWS::SNS::Topic")
    assert spec["SnsDestination"]["TopicARN"] == {"Ref": topic_id}
    [subscription] = dev.of_type("AWS::SNS::Subscription").values()
    assert subscription["Properties"]["Protocol"] == "lambda"
    assert subscription["Properties"]["Endpoint"] == {"Fn::GetAtt": [_function_id(dev, "ses_feedback"), "Arn"]}
    assert "RedrivePolicy" in subscription["Properties"]


def test_the_notifier_may_send_and_reach_the_tables_only_as_the_requests_tenant(dev: Synthesis):
    statements = _statements(dev, "notifier")
    actions = {action for statement in statements for action in _actions(statement)}
    assert {"ses:SendEmail", "sns:Publish", "sts:AssumeRole", "sts:TagSession"} <= actions
    assert not any(action.startswith("dynamodb:") for action in actions)
    [send] = [statement for statement in statements if "ses:SendEmail" in _actions(statement)]
    assert _actions(send) == ["ses:SendEmail", "ses:SendRawEmail"]  # raw: a marketing email's List-Unsubscribe
    assert send["Condition"] == {"StringEquals": {"ses:FromAddress": "notifications@dev.rapport.example"}}
    assert "identity/notifications@dev.rapport.example" in json.dumps(send["Resource"])
    wildcard = sorted(action for s in statements if s["Resource"] == "*" for action in _actions(s))
    assert wildcard == ["sns:Publish", "xray:PutTelemetryRecords", "xray:PutTraceSegments"]


def test_the_notifier_may_sign_a_marketing_email_s_unsubscribe_link_with_the_stack_s_secret(dev: Synthesis):
    variables = dev.functions()["notifier"]["Environment"]["Variables"]
    [secret] = dev.of_type("AWS::SecretsManager::Secret")
    assert variables["CURSOR_SECRET_ARN"] == {"Ref": secret}
    [read] = [s for s in _statements(dev, "notifier") if "secretsmanager:GetSecretValue" in _actions(s)]
    assert read["Resource"] == {"Ref": secret}


def test_ses_feedback_sends_nothing_and_reaches_contacts_only_as_the_tagged_tenant(dev: Synthesis):
    statements = _statements(dev, "ses_feedback")
    actions = {action for statement in statements for action in _actions(statement)}
    assert not any(action.startswith(("ses:", "sns:", "dynamodb:")) for action in actions)
    assert {"sts:AssumeRole", "sts:TagSession"} <= actions


@pytest.mark.parametrize("stage", ["dev", "prod"])
def test_links_in_notifications_go_to_the_stages_app_url(stage: str, request: pytest.FixtureRequest):
    synthesis: Synthesis = request.getfixturevalue(stage)
    variables = synthesis.functions()["notifier"]["Environment"]["Variables"]
    assert variables["APP_URL"] == project_context()["stages"][stage]["appUrl"]
