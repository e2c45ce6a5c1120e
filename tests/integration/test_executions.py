"""Step Functions executions started once (rapport.executions), under moto."""

from __future__ import annotations

import json

from rapport import aws
from rapport.executions import start_once

DEFINITION = {"StartAt": "Done", "States": {"Done": {"Type": "Pass", "End": True}}}


def test_a_run_started_again_under_its_name_is_started_once() -> None:
    aws.reset()
    sfn = aws.client("stepfunctions")
    arn = sfn.create_state_machine(
        name="runs", definition=json.dumps(DEFINITION), roleArn="arn:aws:iam::123456789012:role/runs"
    )["stateMachineArn"]
    start_once(arn, "campaign-1", {"run": 1})
    start_once(arn, "campaign-1", {"run": 1})  # a retried schedule
    start_once(arn, "campaign-2", {"run": 2})
    executions = sfn.list_executions(stateMachineArn=arn)["executions"]
    assert sorted(execution["name"] for execution in executions) == ["campaign-1", "campaign-2"]
    [first] = [execution for execution in executions if execution["name"] == "campaign-1"]
    assert json.loads(sfn.describe_execution(executionArn=first["executionArn"])["input"]) == {"run": 1}
