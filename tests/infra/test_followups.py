"""The follow-up workflows in the template: the registry table, three workers, the rule, the schedules, DLQs."""

from __future__ import annotations

from typing import Any

import pytest

from infra.constructs import followups as construct
from rapport.dal.models import TenantItem
from rapport.followups import FOLLOWUP_EVENTS
from rapport.followups.reminders import SWEEP_MINUTES
from tests.infra.conftest import Synthesis
from tests.infra.test_data import _model_schema, _template_schema

pytestmark = pytest.mark.slow
WORKERS = ("followups", "reminders", "digest")


def _rules(dev: Synthesis) -> dict[str, dict[str, Any]]:
    return {
        rule["Metadata"]["aws:cdk:path"].rsplit("/", 2)[-2]: rule["Properties"]
        for rule in dev.of_type("AWS::Events::Rule").values()
        if "/Followups/" in rule["Metadata"]["aws:cdk:path"]
    }


def test_the_infra_constants_equal_the_domains() -> None:
    assert construct.FOLLOWUP_EVENTS == FOLLOWUP_EVENTS
    assert construct.SWEEP_MINUTES == SWEEP_MINUTES


def test_the_tenant_registry_table_equals_its_model_and_streams_nothing(dev: Synthesis) -> None:
    table = dev.one("AWS::DynamoDB::Table", "/Followups/TenantsTable/Resource")
    assert _template_schema(table) == _model_schema(TenantItem)
    assert "StreamSpecification" not in table["Properties"]
    assert table["Properties"]["PointInTimeRecoverySpecification"]["PointInTimeRecoveryEnabled"] is True


def test_the_workers_get_the_tables_and_the_bus(dev: Synthesis) -> None:
    functions = dev.functions()
    tenants = dev.id_of("AWS::DynamoDB::Table", "/Followups/TenantsTable/Resource")
    for area in WORKERS:
        variables = functions[area]["Environment"]["Variables"]
        assert variables["TENANTS_TABLE_NAME"] == {"Ref": tenants}
        assert {"TABLE_NAME", "IDEMPOTENCY_TABLE_NAME", "EVENT_BUS_NAME"} <= set(variables)
    assert functions["reminders"]["Timeout"] == functions["digest"]["Timeout"] == 60


def test_the_rule_and_schedules_reach_their_workers_with_retries_and_a_dead_letter_queue(dev: Synthesis) -> None:
    rules = _rules(dev)
    assert set(rules) == {"FollowupEvents", "ReminderSweep", "DailyDigest"}
    assert rules["FollowupEvents"]["EventPattern"] == {
        "source": ["rapport"],
        "detail-type": list(FOLLOWUP_EVENTS),
    }
    assert rules["ReminderSweep"]["ScheduleExpression"] == "rate(5 minutes)"
    assert rules["DailyDigest"]["ScheduleExpression"] == "cron(0 7 * * ? *)"
    for rule, area in (("FollowupEvents", "Followups"), ("ReminderSweep", "Reminders"), ("DailyDigest", "Digest")):
        [target] = rules[rule]["Targets"]
        queue = dev.id_of("AWS::SQS::Queue", f"/Followups/{area}DeadLetters/Resource")
        assert target["DeadLetterConfig"]["Arn"] == {"Fn::GetAtt": [queue, "Arn"]}
        assert target["RetryPolicy"]["MaximumRetryAttempts"] == construct.RETRY_ATTEMPTS


def test_only_the_sweeping_workers_may_put_events_and_query_the_registry(dev: Synthesis) -> None:
    tenants = dev.id_of("AWS::DynamoDB::Table", "/Followups/TenantsTable/Resource")
    policies = [p["Properties"] for p in dev.of_type("AWS::IAM::Policy").values()]

    def actions_on(resource: Any, area: str) -> set[str]:
        found: set[str] = set()
        for policy in policies:
            if area not in str(policy["Roles"]):
                continue
            for statement in policy["PolicyDocument"]["Statement"]:
                resources = (
                    statement["Resource"] if isinstance(statement["Resource"], list) else [statement["Resource"]]
                )
                if resource in resources:
                    actions = statement["Action"]
                    found |= {actions} if isinstance(actions, str) else set(actions)
        return found

    arn = {"Fn::GetAtt": [tenants, "Arn"]}
    assert actions_on(arn, "followups") == {"dynamodb:UpdateItem"}
    assert actions_on(arn, "reminders") == actions_on(arn, "digest") == {"dynamodb:Query"}


def test_a_failed_invocation_of_a_worker_is_retried_by_lambda_then_sent_to_its_rules_dead_letter_queue(
    dev: Synthesis,
) -> None:
    """EventBridge hands the event over and is done: a worker that then fails would lose it without this."""
    functions = {area: dev.id_of("AWS::Lambda::Function", f"/Functions/{area}/Function/Resource") for area in WORKERS}
    configs = {
        config["Properties"]["FunctionName"]["Ref"]: config["Properties"]
        for config in dev.of_type("AWS::Lambda::EventInvokeConfig").values()
    }
    for properties in _rules(dev).values():
        [target] = properties["Targets"]
        config = configs[target["Arn"]["Fn::GetAtt"][0]]
        assert config["DestinationConfig"]["OnFailure"]["Destination"] == target["DeadLetterConfig"]["Arn"]
        assert config["MaximumRetryAttempts"] == 2
        assert config["MaximumEventAgeInSeconds"] == construct.MAX_EVENT_AGE.to_seconds()
    assert set(functions.values()) <= set(configs)
