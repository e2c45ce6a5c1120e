"""Campaigns: the send state machine (the committed ASL file) and its sender, which runs one batch at a time across
the account, and who may start a run."""

from __future__ import annotations

import json
from dataclasses import fields
from typing import Any

import pytest

from infra.constructs import campaigns as construct
from rapport import config
from rapport.campaigns import sending
from rapport.campaigns.runs import CampaignRun
from tests.infra.conftest import Synthesis

pytestmark = pytest.mark.slow
NAME = "Rapport-dev-campaign-send"


def _statements(dev: Synthesis, area: str) -> list[dict[str, Any]]:
    return [
        statement
        for policy in dev.of_type("AWS::IAM::Policy").values()
        if f"{area}Role" in json.dumps(policy["Properties"]["Roles"]).replace("_", "")
        for statement in policy["Properties"]["PolicyDocument"]["Statement"]
    ]


def _actions(statement: dict[str, Any]) -> list[str]:
    action = statement["Action"]
    return sorted(action if isinstance(action, list) else [action])


def test_the_definition_is_the_asl_file_with_the_sender_substituted_and_the_machine_named(dev: Synthesis) -> None:
    machine = dev.resources[dev.id_of("AWS::StepFunctions::StateMachine", "/Campaigns/CampaignSend/Resource")]
    properties = machine["Properties"]
    assert properties["StateMachineName"] == NAME
    assert json.loads(properties["DefinitionString"]) == json.loads(construct.DEFINITION.read_text())
    sender = dev.id_of("AWS::Lambda::Function", "/Functions/campaign_sender/Function/Resource")
    assert properties["DefinitionSubstitutions"] == {"SenderFunctionArn": {"Fn::GetAtt": [sender, "Arn"]}}
    assert properties["TracingConfiguration"] == {"Enabled": True}


def test_a_run_waits_for_send_at_then_loops_batches_from_where_the_last_stopped() -> None:
    definition = json.loads(construct.DEFINITION.read_text())
    states = definition["States"]
    assert definition["StartAt"] == "WaitForSendAt" and states["WaitForSendAt"]["TimestampPath"] == "$.send_at"
    run_fields = {f"{field.name}.$" for field in fields(CampaignRun)} - {"send_at.$"}
    payload = states["SendBatch"]["Parameters"]["Payload"]
    assert set(payload) == run_fields | {"position.$"}
    assert states["SendBatch"]["Next"] == "Walked?" and states["GoOn"]["Next"] == "SendBatch"
    assert states["GoOn"]["InputPath"] == "$.batch.position" and states["GoOn"]["ResultPath"] == "$.position"
    assert {choice["Next"] for choice in states["Walked?"]["Choices"]} == {"Done"}
    retried = {error for retry in states["SendBatch"]["Retry"] for error in retry["ErrorEquals"]}
    assert {"Lambda.TooManyRequestsException", "States.TaskFailed"} <= retried  # the sender busy, a batch failing


def test_one_sender_at_a_time_with_the_time_a_batch_keeps_in_reserve(dev: Synthesis) -> None:
    sender = dev.functions()["campaign_sender"]
    assert sender["ReservedConcurrentExecutions"] == construct.SENDERS == 1
    assert sender["Timeout"] > sending.RESERVE * 2
    actions = {action for statement in _statements(dev, "campaignsender") for action in _actions(statement)}
    assert {"ses:SendEmail", "ses:SendRawEmail", "ses:GetSendQuota", "sns:Publish"} <= actions
    assert not any(action.startswith("states:") for action in actions)


def test_the_campaigns_api_may_start_only_this_machine_and_send_test_copies(dev: Synthesis) -> None:
    variables = dev.functions()["campaigns"]["Environment"]["Variables"]
    variable = config.variable("campaign_send_state_machine_arn")
    assert variables[variable]["Fn::Join"][1][-1] == f":stateMachine:{NAME}"
    statements = _statements(dev, "campaigns")
    [start] = [statement for statement in statements if "states:StartExecution" in _actions(statement)]
    assert _actions(start) == ["states:StartExecution"] and start["Resource"] == variables[variable]
    assert "PUBLIC_URL" not in variables  # no links in test copies: the API's own URL would be a cycle


def test_won_deals_and_placed_orders_reach_the_attribution_worker(dev: Synthesis) -> None:
    from rapport.campaigns import attribution

    assert construct.CONVERSIONS == attribution.CONVERSIONS and set(construct.ATTRIBUTED) == set(attribution.EVENTS)
    [rule] = [
        r
        for r in dev.of_type("AWS::Events::Rule").values()
        if "CampaignAttributionEvents" in r["Metadata"]["aws:cdk:path"]
    ]
    pattern = rule["Properties"]["EventPattern"]
    assert pattern == {"source": ["rapport"], "detail-type": list(construct.ATTRIBUTED)}
    [target] = rule["Properties"]["Targets"]
    assert "campaignattribution" in str(target["Arn"]) and "campaign_attribution" in dev.functions()


def test_an_enrollment_s_machine_takes_steps_and_waits_where_the_stepper_says(dev: Synthesis) -> None:
    from rapport.campaigns.sequences.runs import EnrollmentRun

    machine = dev.resources[dev.id_of("AWS::StepFunctions::StateMachine", "/Campaigns/SequenceEnrollment/Resource")]
    properties = machine["Properties"]
    assert properties["StateMachineName"] == "Rapport-dev-sequence-enrollment"
    definition = json.loads(construct.SEQUENCE_DEFINITION.read_text())
    assert json.loads(properties["DefinitionString"]) == definition
    stepper = dev.id_of("AWS::Lambda::Function", "/Functions/sequence_stepper/Function/Resource")
    assert properties["DefinitionSubstitutions"] == {"StepperFunctionArn": {"Fn::GetAtt": [stepper, "Arn"]}}
    states = definition["States"]
    payload = states["TakeSteps"]["Parameters"]["Payload"]
    assert set(payload) == {f"{field.name}.$" for field in fields(EnrollmentRun)}
    assert states["TakeSteps"]["Next"] == "Ended?" and states["WaitUntil"]["Next"] == "TakeSteps"
    assert states["WaitUntil"]["TimestampPath"] == "$.step.wait_until"
    assert {choice["Next"] for choice in states["Ended?"]["Choices"]} == {"Done"}
    actions = {action for statement in _statements(dev, "sequencestepper") for action in _actions(statement)}
    assert {"ses:SendEmail", "ses:SendRawEmail", "ses:GetSendQuota", "sns:Publish"} <= actions


@pytest.mark.parametrize("area", ["sequences", "sequence_signals"])
def test_the_sequences_api_and_its_signals_worker_may_start_only_enrollments(dev: Synthesis, area: str) -> None:
    variables = dev.functions()[area]["Environment"]["Variables"]
    variable = config.variable("sequence_state_machine_arn")
    assert variables[variable]["Fn::Join"][1][-1] == ":stateMachine:Rapport-dev-sequence-enrollment"
    statements = _statements(dev, area.replace("_", ""))
    [start] = [statement for statement in statements if "states:StartExecution" in _actions(statement)]
    assert _actions(start) == ["states:StartExecution"] and start["Resource"] == variables[variable]


def test_the_events_that_begin_stamp_and_end_enrollments_reach_the_signals_worker(dev: Synthesis) -> None:
    from rapport.campaigns.sequences import signals

    assert set(construct.SEQUENCE_SIGNALS) == set(signals.EVENTS)
    [rule] = [
        r for r in dev.of_type("AWS::Events::Rule").values() if "SequenceSignalEvents" in r["Metadata"]["aws:cdk:path"]
    ]
    assert rule["Properties"]["EventPattern"] == {
        "source": ["rapport"],
        "detail-type": list(construct.SEQUENCE_SIGNALS),
    }
    [target] = rule["Properties"]["Targets"]
    assert "sequencesignals" in str(target["Arn"]) and "DeadLetterConfig" in target
