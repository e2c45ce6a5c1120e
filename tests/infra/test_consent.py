"""The consent events worker in the template is what infra/constructs/consent.py declares: it handles the events its
rule sends it, and the links it mails go under the API's URL."""

from __future__ import annotations

import json

import pytest
from consent_events.handler import HANDLED

from infra.constructs import consent as construct
from tests.infra.conftest import Synthesis

pytestmark = pytest.mark.slow


def test_the_rule_sends_the_worker_exactly_the_events_it_handles() -> None:
    assert set(construct.CONSENT_EVENTS) == set(HANDLED)


@pytest.mark.parametrize("area", ["consent_events", "notifier"])
def test_the_links_of_messages_go_under_the_api_s_url(dev: Synthesis, area: str) -> None:
    """The confirmation link (the worker) and a marketing email's unsubscribe link (the notifier): the URL of the
    API's stage, from the API's stack."""
    [(api_stack, rest_api)] = [
        (template, name)
        for template in dev.templates.values()
        for name, r in template["Resources"].items()
        if r["Type"] == "AWS::ApiGateway::RestApi"
    ]
    [stage] = [r for r in api_stack["Resources"].values() if r["Type"] == "AWS::ApiGateway::Stage"]
    url = dev.functions()[area]["Environment"]["Variables"][construct.PUBLIC_URL]
    parts = json.dumps(url)
    assert url["Fn::Join"][1][0] == "https://" and rest_api in parts and stage["Properties"]["StageName"] in parts


def test_the_sms_stop_sweep_runs_hourly_and_may_read_the_opted_out_list_and_the_tenants(dev: Synthesis) -> None:
    [rule] = [r for r in dev.of_type("AWS::Events::Rule").values() if "SmsStopSweep" in r["Metadata"]["aws:cdk:path"]]
    assert rule["Properties"]["ScheduleExpression"] == "rate(1 hour)"
    role = dev.functions()["sms_stops"]["Role"]["Fn::GetAtt"][0]
    statements = [
        statement
        for policy in dev.of_type("AWS::IAM::Policy").values()
        if {"Ref": role} in policy["Properties"]["Roles"]
        for statement in policy["Properties"]["PolicyDocument"]["Statement"]
    ]
    [listing] = [s for s in statements if "sns:ListPhoneNumbersOptedOut" in s["Action"]]
    assert listing["Resource"] == "*"
    [registry] = [s for s in statements if s["Action"] == "dynamodb:Query"]
    assert "TenantsTable" in json.dumps(registry["Resource"])
    assert not any("sns:Publish" in json.dumps(s["Action"]) for s in statements)  # it texts no one
