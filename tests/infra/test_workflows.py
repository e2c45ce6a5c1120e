"""Lead assignment: the state machine is the committed ASL file, started by the rule on unowned new leads."""

from __future__ import annotations

import json
from typing import Any

import pytest

from infra.constructs.workflows import DEFINITION, LEAD_CREATED_PATTERN
from tests.infra.conftest import Synthesis

pytestmark = pytest.mark.slow


def _machine(dev: Synthesis) -> tuple[str, dict[str, Any]]:
    [(logical_id, machine)] = [
        (name, machine)
        for name, machine in dev.of_type("AWS::StepFunctions::StateMachine").items()
        if machine["Metadata"]["aws:cdk:path"].endswith("/Workflows/LeadAssignment/Resource")
    ]
    return logical_id, machine["Properties"]


def _function_id(dev: Synthesis, area: str) -> str:
    [name] = [
        name
        for name, resource in dev.of_type("AWS::Lambda::Function").items()
        if resource["Metadata"]["aws:cdk:path"].endswith(f"/Functions/{area}/Function/Resource")
    ]
    return name


def test_the_definition_is_the_asl_file_with_the_worker_substituted(dev: Synthesis) -> None:
    _, properties = _machine(dev)
    assert json.loads(properties["DefinitionString"]) == json.loads(DEFINITION.read_text())
    worker = _function_id(dev, "assignment")
    assert properties["DefinitionSubstitutions"] == {"AssignmentFunctionArn": {"Fn::GetAtt": [worker, "Arn"]}}
    assert properties["TracingConfiguration"] == {"Enabled": True}
    assert properties["LoggingConfiguration"]["Level"] == "ALL"


def test_every_task_retries_with_backoff_and_catches_into_the_failure_state() -> None:
    states = json.loads(DEFINITION.read_text())["States"]
    tasks = {name: state for name, state in states.items() if state["Type"] == "Task"}
    assert set(tasks) == {"Assign", "Notify", "CheckContact", "Reassign"}
    for state in tasks.values():
        assert state["Parameters"]["FunctionName"] == "${AssignmentFunctionArn}"
        assert all(retry["BackoffRate"] > 1 for retry in state["Retry"])
        assert state["Catch"] == [{"ErrorEquals": ["States.ALL"], "ResultPath": "$.error", "Next": "AssignmentFailed"}]
    assert states["AssignmentFailed"]["Type"] == "Fail"
    assert states["WaitForFirstContact"]["TimestampPath"] == "$.step.result.due_at"


def test_unowned_new_leads_start_it_through_a_role_with_a_dead_letter_queue(dev: Synthesis) -> None:
    machine_id, _ = _machine(dev)
    [rule] = [
        rule["Properties"]
        for rule in dev.of_type("AWS::Events::Rule").values()
        if rule["Properties"].get("EventPattern") == LEAD_CREATED_PATTERN
    ]
    [target] = rule["Targets"]
    assert target["Arn"] == {"Ref": machine_id}
    assert "RoleArn" in target
    assert "Arn" in target["DeadLetterConfig"]
    assert target["RetryPolicy"]["MaximumRetryAttempts"] == 8
    assert set(target["InputTransformer"]["InputPathsMap"].values()) == {"$.detail.tenant_id", "$.detail.entity_id"}


def test_the_users_function_may_start_it_and_the_worker_may_put_events(dev: Synthesis) -> None:
    def actions_of(area: str) -> set[str]:
        role = dev.functions()[area]["Role"]["Fn::GetAtt"][0]
        return {
            action
            for policy in dev.of_type("AWS::IAM::Policy").values()
            if {"Ref": role} in policy["Properties"]["Roles"]
            for statement in policy["Properties"]["PolicyDocument"]["Statement"]
            for action in ([statement["Action"]] if isinstance(statement["Action"], str) else statement["Action"])
        }

    assert "states:StartExecution" in actions_of("users")
    assert {"events:PutEvents", "sts:AssumeRole"} <= actions_of("assignment")  # the tables as the lead's tenant
    assert "states:StartExecution" not in actions_of("leads")
