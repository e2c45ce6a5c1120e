"""The case events worker in the template is what infra/constructs/service.py declares, and it handles the events
its rule sends it."""

from __future__ import annotations

import json
from typing import Any

import pytest
from case_escalation.handler import ACTIONS as ESCALATION_ACTIONS
from case_events.handler import HANDLERS

from infra.constructs import service as construct
from tests.infra.conftest import Synthesis

pytestmark = pytest.mark.slow


def test_the_rule_sends_the_worker_exactly_the_events_it_handles() -> None:
    assert set(construct.CASE_EVENTS) == set(HANDLERS)


def _statements_of(dev: Synthesis, area: str) -> list[dict[str, Any]]:
    role = dev.functions()[area]["Role"]["Fn::GetAtt"][0]
    return [
        statement
        for policy in dev.of_type("AWS::IAM::Policy").values()
        if {"Ref": role} in policy["Properties"]["Roles"]
        for statement in policy["Properties"]["PolicyDocument"]["Statement"]
    ]


def _actions(statement: dict[str, Any]) -> list[str]:
    actions = statement["Action"]
    return [actions] if isinstance(actions, str) else list(actions)


def test_the_worker_reaches_the_table_as_the_case_s_tenant_and_puts_events_on_the_bus_only(dev: Synthesis) -> None:
    [bus] = [name for name in dev.of_type("AWS::Events::EventBus")]
    statements = _statements_of(dev, "case_events")
    put = [statement for statement in statements if "events:PutEvents" in _actions(statement)]
    assert [statement["Resource"] for statement in put] == [{"Fn::GetAtt": [bus, "Arn"]}]
    actions = {action for statement in statements for action in _actions(statement)}
    assert "sts:AssumeRole" in actions and not any(action.startswith("dynamodb:") for action in actions)
    variables = dev.functions()["case_events"]["Environment"]["Variables"]
    assert variables["EVENT_BUS_NAME"] == {"Ref": bus}


def _role_statements(dev: Synthesis, role: str) -> list[dict[str, Any]]:
    return [
        statement
        for policy in dev.of_type("AWS::IAM::Policy").values()
        if {"Ref": role} in policy["Properties"]["Roles"]
        for statement in policy["Properties"]["PolicyDocument"]["Statement"]
    ]


def test_the_sla_timers_worker_hears_every_case_event_and_keeps_schedules_in_its_group_only(dev: Synthesis) -> None:
    [group] = dev.of_type("AWS::Scheduler::ScheduleGroup")
    [role] = [name for name, role in dev.of_type("AWS::IAM::Role").items() if name.startswith("ServiceSchedulerRole")]
    variables = dev.functions()["sla_timers"]["Environment"]["Variables"]
    assert (variables["SCHEDULE_GROUP"], variables["SCHEDULER_ROLE_ARN"]) == (
        {"Ref": group},
        {"Fn::GetAtt": [role, "Arn"]},
    )
    [rule] = [
        rule
        for rule in dev.of_type("AWS::Events::Rule").values()
        if rule["Properties"]["Description"].startswith("Every change of a case")
    ]
    assert rule["Properties"]["EventPattern"]["detail-type"] == [{"prefix": construct.CASE_EVENT_PREFIX}]

    statements = _statements_of(dev, "sla_timers")
    scheduling = [statement for statement in statements if any(a.startswith("scheduler:") for a in _actions(statement))]
    [statement] = scheduling
    assert sorted(_actions(statement)) == sorted(construct.SCHEDULE_ACTIONS)
    resource = json.dumps(statement["Resource"])
    assert f'{{"Ref": "{group}"}}, "/*"' in resource and ":schedule/" in resource
    passing = [statement for statement in statements if "iam:PassRole" in _actions(statement)]
    assert [statement["Resource"] for statement in passing] == [{"Fn::GetAtt": [role, "Arn"]}]


def test_the_scheduler_role_is_assumed_by_the_scheduler_of_this_account_and_invokes_the_timers_worker_only(
    dev: Synthesis,
) -> None:
    [(name, role)] = [(n, r) for n, r in dev.of_type("AWS::IAM::Role").items() if n.startswith("ServiceSchedulerRole")]
    [trust] = role["Properties"]["AssumeRolePolicyDocument"]["Statement"]
    assert trust["Principal"] == {"Service": "scheduler.amazonaws.com"}
    assert trust["Condition"] == {"StringEquals": {"aws:SourceAccount": {"Ref": "AWS::AccountId"}}}
    [function] = [
        logical_id
        for logical_id, resource in dev.of_type("AWS::Lambda::Function").items()
        if resource["Properties"]["Environment"]["Variables"]["POWERTOOLS_SERVICE_NAME"] == "rapport-sla_timers"
    ]
    assert _role_statements(dev, name) == [
        {"Action": "lambda:InvokeFunction", "Effect": "Allow", "Resource": {"Fn::GetAtt": [function, "Arn"]}}
    ]


def _escalation(dev: Synthesis) -> tuple[str, dict[str, Any]]:
    [(logical_id, machine)] = [
        (name, machine)
        for name, machine in dev.of_type("AWS::StepFunctions::StateMachine").items()
        if machine["Metadata"]["aws:cdk:path"].endswith("/Service/CaseEscalation/Resource")
    ]
    return logical_id, machine["Properties"]


def _function_id(dev: Synthesis, area: str) -> str:
    [name] = [
        name
        for name, resource in dev.of_type("AWS::Lambda::Function").items()
        if resource["Metadata"]["aws:cdk:path"].endswith(f"/Functions/{area}/Function/Resource")
    ]
    return name


def test_the_escalation_is_the_asl_file_calling_its_worker_for_each_step_the_worker_serves(dev: Synthesis) -> None:
    _, properties = _escalation(dev)
    definition = json.loads(construct.ESCALATION_DEFINITION.read_text())
    assert json.loads(properties["DefinitionString"]) == definition
    worker = _function_id(dev, "case_escalation")
    assert properties["DefinitionSubstitutions"] == {"EscalationFunctionArn": {"Fn::GetAtt": [worker, "Arn"]}}
    assert properties["TracingConfiguration"] == {"Enabled": True}
    states = definition["States"]
    order, name = [], definition["StartAt"]
    while states[name]["Type"] != "Succeed":
        order.append(name)
        name = states[name]["Next"]
    assert order == ["Opening", "UntilOpen", "NotifyOwner", "NotifyQueueManager", "Escalate"]
    assert states["UntilOpen"]["TimestampPath"] == "$.opening.result.opens_at"
    actions = [states[step]["Parameters"]["Payload"]["action"] for step in order if states[step]["Type"] == "Task"]
    assert actions == list(ESCALATION_ACTIONS)
    for step in order:
        if states[step]["Type"] == "Task":
            assert states[step]["Parameters"]["FunctionName"] == "${EscalationFunctionArn}"
            assert all(retry["BackoffRate"] > 1 for retry in states[step]["Retry"])
            assert states[step]["Catch"] == [{"ErrorEquals": ["NotFound"], "ResultPath": "$.error", "Next": "CaseGone"}]
    assert states["CaseGone"]["Type"] == "Succeed"


def test_a_breach_starts_the_escalation_through_a_role_with_a_dead_letter_queue(dev: Synthesis) -> None:
    machine_id, _ = _escalation(dev)
    [rule] = [
        rule["Properties"]
        for rule in dev.of_type("AWS::Events::Rule").values()
        if rule["Properties"].get("EventPattern") == construct.BREACHED_PATTERN
    ]
    [target] = rule["Targets"]
    assert target["Arn"] == {"Ref": machine_id}
    assert "RoleArn" in target and "Arn" in target["DeadLetterConfig"]
    assert set(target["InputTransformer"]["InputPathsMap"].values()) == {"$.detail.tenant_id", "$.detail.entity_id"}
    statements = _statements_of(dev, "case_escalation")
    put = [statement for statement in statements if "events:PutEvents" in _actions(statement)]
    assert len(put) == 1  # the notices go through the notifier, by the bus
