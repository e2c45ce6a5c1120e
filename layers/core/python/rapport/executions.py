"""Step Functions executions started once: an execution is named after the run it is (a campaign's run, a webhook
delivery's), so starting it again (a request retried after it committed its record but before it heard from Step
Functions) finds the one started and leaves it as it is."""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from rapport import aws


def start_once(state_machine_arn: str, name: str, payload: Mapping[str, Any]) -> None:
    """Start the execution `name` of the state machine with `payload` as its input, unless it was started."""
    client = aws.client("stepfunctions")
    try:
        client.start_execution(stateMachineArn=state_machine_arn, name=name, input=json.dumps(payload))
    except client.exceptions.ExecutionAlreadyExists:
        return
