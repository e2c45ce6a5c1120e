"""The case events worker in the template is what infra/constructs/service.py declares, and it handles the events
its rule sends it."""

from __future__ import annotations

from typing import Any

import pytest
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
