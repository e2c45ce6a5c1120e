"""The event workers in the template are what their constructs declare (infra/constructs/workers.py), and nothing
else reaches a function: its trigger, retries, dead-letter queue and invoke config come from the declaration."""

from __future__ import annotations

import json
from typing import Any

import pytest

from infra.constructs.functions import TIMEOUT, FunctionFactory
from infra.constructs.queues import RETENTION
from infra.constructs.tenancy import TenantFenced, role_description
from infra.constructs.workers import (
    LAMBDA_RETRY_ATTEMPTS,
    EventWorker,
    FromStateMachine,
    FromUserPool,
    OnEvents,
    OnMail,
    OnSchedule,
    OnStream,
    OnTopic,
)
from infra.table_access import ROLE_VARIABLE
from tests.infra.conftest import Synthesis, worker_areas

pytestmark = pytest.mark.slow
COMMON_VARIABLES = {"POWERTOOLS_SERVICE_NAME", "POWERTOOLS_METRICS_NAMESPACE"}


def _workers(dev: Synthesis) -> dict[str, EventWorker]:
    [factory] = [child for child in dev.stack.node.children if isinstance(child, FunctionFactory)]
    return {worker.area: worker for worker in factory.workers}


def _function_ids(dev: Synthesis) -> dict[str, str]:
    return {
        resource["Properties"]["Environment"]["Variables"]["POWERTOOLS_SERVICE_NAME"].removeprefix("rapport-"): name
        for name, resource in dev.of_type("AWS::Lambda::Function").items()
    }


def _queue(dev: Synthesis, worker: EventWorker) -> dict[str, Any]:
    """The worker's own dead-letter queue, as the target of a `Fn::GetAtt` to its ARN."""
    [logical_id] = [
        name
        for name, queue in dev.of_type("AWS::SQS::Queue").items()
        if queue["Metadata"]["aws:cdk:path"].endswith(f"/{worker.dead_letters_id}/Resource")
    ]
    return {"Fn::GetAtt": [logical_id, "Arn"]}


def _rules_by_function(dev: Synthesis) -> dict[str, list[tuple[str, dict[str, Any], dict[str, Any]]]]:
    """Each function's rules: (construct path, rule properties, the target reaching the function)."""
    rules: dict[str, list[tuple[str, dict[str, Any], dict[str, Any]]]] = {}
    for rule in dev.of_type("AWS::Events::Rule").values():
        for target in rule["Properties"]["Targets"]:
            [logical_id, attribute] = target["Arn"].get("Fn::GetAtt", [None, None])
            if attribute == "Arn" and dev.resources[logical_id]["Type"] == "AWS::Lambda::Function":
                rules.setdefault(logical_id, []).append((rule["Metadata"]["aws:cdk:path"], rule["Properties"], target))
    return rules


def _by_function(dev: Synthesis, resource_type: str, reference: str) -> dict[str, dict[str, Any]]:
    """The resources of `resource_type` by the function that `reference` (a property) names."""
    found: dict[str, dict[str, Any]] = {}
    for resource in dev.of_type(resource_type).values():
        properties = resource["Properties"]
        named = properties[reference]
        function = named["Ref"] if "Ref" in named else named["Fn::GetAtt"][0]
        assert function not in found, f"{function} has two {resource_type}"
        found[function] = properties
    return found


def test_every_function_is_an_api_function_or_a_declared_worker(dev: Synthesis) -> None:
    workers = _workers(dev)
    assert sorted(workers) == worker_areas()
    assert not set(workers) & set(dev.api_functions())
    assert set(dev.functions()) == set(dev.api_functions()) | set(workers)


def test_each_worker_has_its_declared_description_environment_timeout_and_tenancy(dev: Synthesis) -> None:
    functions = dev.functions()
    for area, worker in _workers(dev).items():
        function = functions[area]
        assert function["Description"] == worker.description
        declared = dev.stack.resolve(dict(worker.environment))
        variables = function["Environment"]["Variables"]
        fenced = {ROLE_VARIABLE} if isinstance(worker.tenancy, TenantFenced) else set()
        assert set(variables) == set(declared) | COMMON_VARIABLES | fenced, area
        # A value from the API's stack (its URL) resolves to that stack's output only at synthesis: tests/infra/
        # test_consent.py checks it; the others are what the construct declared.
        local = {name for name in declared if "NestedStack" not in json.dumps(declared[name])}
        assert {name: variables[name] for name in local} == {name: declared[name] for name in local}
        assert function["Timeout"] == (worker.timeout or TIMEOUT).to_seconds()
        role = dev.resources[function["Role"]["Fn::GetAtt"][0]]["Properties"]
        assert role["Description"] == role_description(worker.tenancy)


def test_rules_and_schedules_reach_only_their_declared_workers_with_its_retries_and_dead_letter_queue(
    dev: Synthesis,
) -> None:
    ids = _function_ids(dev)
    rules = _rules_by_function(dev)
    workers = _workers(dev).items()
    ruled = {area: worker for area, worker in workers if isinstance(worker.trigger, OnEvents | OnSchedule)}
    assert {ids[area] for area in ruled} == set(rules)
    for area, worker in ruled.items():
        trigger = worker.trigger
        assert isinstance(trigger, OnEvents | OnSchedule)
        [(path, rule, target)] = rules[ids[area]]
        assert path.endswith(f"/{trigger.rule}/Resource")
        assert rule["Description"] == trigger.description
        if isinstance(trigger, OnEvents):
            assert rule["EventPattern"] == dev.stack.resolve(dict(trigger.pattern))
            assert rule["EventBusName"] == dev.stack.resolve(trigger.bus.event_bus_name)
            assert "ScheduleExpression" not in rule
        else:
            assert rule["ScheduleExpression"] == trigger.schedule.expression_string
            assert "EventPattern" not in rule and "EventBusName" not in rule
        assert target["RetryPolicy"] == {
            "MaximumRetryAttempts": trigger.retry_attempts,
            "MaximumEventAgeInSeconds": trigger.max_event_age.to_seconds(),
        }
        assert target["DeadLetterConfig"] == {"Arn": _queue(dev, worker)}


def test_topics_reach_only_their_declared_workers_and_dead_letter_what_they_cannot_deliver(dev: Synthesis) -> None:
    ids = _function_ids(dev)
    subscriptions = _by_function(dev, "AWS::SNS::Subscription", "Endpoint")
    subscribed = {area: worker for area, worker in _workers(dev).items() if isinstance(worker.trigger, OnTopic)}
    assert {ids[area] for area in subscribed} == set(subscriptions)
    for area, worker in subscribed.items():
        assert isinstance(worker.trigger, OnTopic)
        subscription = subscriptions[ids[area]]
        assert subscription["Protocol"] == "lambda"
        assert subscription["TopicArn"] == dev.stack.resolve(worker.trigger.topic.topic_arn)
        assert subscription["RedrivePolicy"] == {"deadLetterTargetArn": _queue(dev, worker)}


def test_streams_reach_only_their_declared_workers_bisecting_retrying_and_dead_lettering(dev: Synthesis) -> None:
    ids = _function_ids(dev)
    mappings = _by_function(dev, "AWS::Lambda::EventSourceMapping", "FunctionName")
    streamed = {area: worker for area, worker in _workers(dev).items() if isinstance(worker.trigger, OnStream)}
    assert {ids[area] for area in streamed} == set(mappings)
    for area, worker in streamed.items():
        assert isinstance(worker.trigger, OnStream)
        mapping = mappings[ids[area]]
        assert mapping["EventSourceArn"] == dev.stack.resolve(worker.trigger.table.table_stream_arn)
        assert mapping["BatchSize"] == worker.trigger.batch_size
        assert mapping["MaximumRetryAttempts"] == worker.trigger.retry_attempts
        assert mapping["BisectBatchOnFunctionError"] is True
        assert mapping["FunctionResponseTypes"] == ["ReportBatchItemFailures"]
        assert mapping["DestinationConfig"] == {"OnFailure": {"Destination": _queue(dev, worker)}}


def test_an_asynchronously_invoked_worker_retries_then_sends_the_failed_event_to_its_dead_letter_queue(
    dev: Synthesis,
) -> None:
    """Rules, schedules and topics are done once Lambda accepts the event: a failing worker must not lose it."""
    ids = _function_ids(dev)
    configs = _by_function(dev, "AWS::Lambda::EventInvokeConfig", "FunctionName")
    asynchronous = {
        area: worker
        for area, worker in _workers(dev).items()
        if isinstance(worker.trigger, OnEvents | OnSchedule | OnTopic | OnMail)
    }
    assert {ids[area] for area in asynchronous} == set(configs)
    for area, worker in asynchronous.items():
        assert isinstance(worker.trigger, OnEvents | OnSchedule | OnTopic | OnMail)
        assert configs[ids[area]] == {
            "FunctionName": {"Ref": ids[area]},
            "Qualifier": "$LATEST",
            "MaximumRetryAttempts": LAMBDA_RETRY_ATTEMPTS,
            "MaximumEventAgeInSeconds": worker.trigger.max_event_age.to_seconds(),
            "DestinationConfig": {"OnFailure": {"Destination": _queue(dev, worker)}},
        }


def test_each_dead_letter_queue_is_one_workers_encrypted_tls_only_and_kept_14_days(dev: Synthesis) -> None:
    workers = [w for w in _workers(dev).values() if not isinstance(w.trigger, FromStateMachine | FromUserPool)]
    queues = [_queue(dev, worker)["Fn::GetAtt"][0] for worker in workers]
    assert len(set(queues)) == len(workers)
    policies = {
        policy["Properties"]["Queues"][0]["Ref"]: policy["Properties"]["PolicyDocument"]["Statement"]
        for policy in dev.of_type("AWS::SQS::QueuePolicy").values()
    }
    for queue in queues:
        properties = dev.resources[queue]["Properties"]
        assert properties["SqsManagedSseEnabled"] is True
        assert properties["MessageRetentionPeriod"] == RETENTION.to_seconds()
        [deny] = [statement for statement in policies[queue] if statement["Effect"] == "Deny"]
        assert deny["Condition"] == {"Bool": {"aws:SecureTransport": "false"}}


def test_a_worker_called_by_a_state_machine_has_no_trigger_of_its_own(dev: Synthesis) -> None:
    ids = _function_ids(dev)
    called = [ids[area] for area, worker in _workers(dev).items() if isinstance(worker.trigger, FromStateMachine)]
    assert called
    reached = (
        set(_rules_by_function(dev))
        | set(_by_function(dev, "AWS::SNS::Subscription", "Endpoint"))
        | set(_by_function(dev, "AWS::Lambda::EventSourceMapping", "FunctionName"))
        | set(_by_function(dev, "AWS::Lambda::EventInvokeConfig", "FunctionName"))
    )
    assert not reached & set(called)
