"""The lead assignment state machine end to end under moto's server: the real ASL definition (with its
DefinitionSubstitutions), the real rule pattern, the real publisher and assignment worker, the real table.

A new lead's write streams to the publisher, whose `lead.created` reaches the state machine through the rule;
its task states run the worker. The SLA Wait is made instant in-process (`WaitFunction._wait_interval`, see
local/runtime/eventing/): the flow then finds no contact and reassigns to the next rep, up to the cap.
"""

from __future__ import annotations

import functools
import importlib
import json
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from moto.stepfunctions.parser.asl.component.state.wait.wait_function.wait_function import WaitFunction

import rapport.aws
from infra.constructs.workflows import LEAD_CREATED_PATTERN, lead_created_input
from local.runtime.eventing import Eventing
from local.runtime.template import Physical, Resolver
from rapport.dal.models import TABLE_MODELS, Item
from rapport.leads.manifest import LEAD
from tests.local.test_eventing import REGION, Functions, aws, endpoint, eventually, functions
from tools.lambda_api import LambdaContext

__all__ = ["aws", "endpoint", "functions"]  # the fixtures this module borrows
ROOT = Path(__file__).resolve().parents[2]
BUS = "rapport-local"
TENANT = "t1"


def _template() -> dict[str, Any]:
    def function() -> dict[str, Any]:
        return {"Type": "AWS::Lambda::Function", "Properties": {"Handler": "handler.lambda_handler"}}

    definition = (ROOT / "infra" / "workflows" / "lead_assignment.asl.json").read_text()
    return {
        "Resources": {
            "Table": {"Type": "AWS::DynamoDB::Table", "Properties": {}},
            "Publisher": function(),
            "Assignment": function(),
            "Role": {"Type": "AWS::IAM::Role", "Properties": {}},
            "Notifications": {"Type": "AWS::SQS::Queue", "Properties": {"QueueName": "notifications"}},
            "Bus": {"Type": "AWS::Events::EventBus", "Properties": {"Name": BUS}},
            "PublisherMapping": {
                "Type": "AWS::Lambda::EventSourceMapping",
                "Properties": {
                    "FunctionName": {"Ref": "Publisher"},
                    "EventSourceArn": {"Fn::GetAtt": ["Table", "StreamArn"]},
                    "StartingPosition": "TRIM_HORIZON",
                    "FunctionResponseTypes": ["ReportBatchItemFailures"],
                },
            },
            "LeadAssignment": {
                "Type": "AWS::StepFunctions::StateMachine",
                "Properties": {
                    "DefinitionString": definition,
                    "DefinitionSubstitutions": {"AssignmentFunctionArn": {"Fn::GetAtt": ["Assignment", "Arn"]}},
                    "RoleArn": {"Fn::GetAtt": ["Role", "Arn"]},
                },
            },
            "LeadCreated": {
                "Type": "AWS::Events::Rule",
                "Properties": {
                    "EventBusName": {"Ref": "Bus"},
                    "EventPattern": LEAD_CREATED_PATTERN,
                    "Targets": [
                        {
                            "Arn": {"Ref": "LeadAssignment"},
                            "Id": "flow",
                            "RoleArn": {"Fn::GetAtt": ["Role", "Arn"]},
                            "InputTransformer": lead_created_input(),
                        }
                    ],
                },
            },
            "NotificationRequests": {
                "Type": "AWS::Events::Rule",
                "Properties": {
                    "EventBusName": {"Ref": "Bus"},
                    "EventPattern": {"detail-type": ["notification.requested"]},
                    "Targets": [{"Arn": {"Fn::GetAtt": ["Notifications", "Arn"]}, "Id": "queue"}],
                },
            },
        }
    }


@pytest.fixture
def flow(
    aws: Callable[[str], Any], endpoint: str, functions: Functions, monkeypatch: pytest.MonkeyPatch
) -> Iterator[Eventing]:
    for name, value in {
        "AWS_ENDPOINT_URL": endpoint,
        "AWS_DEFAULT_REGION": REGION,
        "AWS_ACCESS_KEY_ID": "local",
        "AWS_SECRET_ACCESS_KEY": "local",
        "EVENT_BUS_NAME": BUS,
    }.items():
        monkeypatch.setenv(name, value)
    reset_clients()
    for model in TABLE_MODELS:
        model.create_table(wait=True)
    for area in ("publisher", "assignment"):
        functions.behaviours[area.title()] = functools.partial(_run, importlib.import_module(f"{area}.handler"))
    monkeypatch.setattr(WaitFunction, "_wait_interval", lambda *args, **kwargs: None)  # the SLA wait: instant
    template = _template()
    resolver = Resolver(REGION, "stack", {"Table": Physical(Item.Meta.table_name)}, template["Resources"])
    eventing = Eventing(template, functions, endpoint, resolver)
    eventing.start()
    yield eventing
    eventing.stop()
    reset_clients()


def _run(module: Any, event: dict[str, Any]) -> Any:
    return module.lambda_handler(event, LambdaContext())


def reset_clients() -> None:
    """Clients built for another endpoint (moto in-process, in other tests) must not be reused here."""
    rapport.aws.reset()
    for model in TABLE_MODELS:
        model._connection = None


def seed_team() -> None:
    from rapport.assignment.models import AssignmentRules
    from rapport.assignment.settings import ASSIGNMENT_RULES
    from rapport.auth import Caller, Role
    from rapport.users.models import UserProfile
    from rapport.users.service import users

    manager = Caller(TENANT, "boss", frozenset({Role.MANAGER}))
    admin = Caller(TENANT, "root", frozenset({Role.ADMIN}))
    for rep in ("ana", "ben"):
        profile = UserProfile(name=rep, email=f"{rep}@seller.example", team="emea", manager_id="boss")
        users.put(admin, rep, profile, None)
    rules = {"default_team": "emea", "teams": {"emea": ["ana", "ben"]}, "max_reassignments": 1}
    ASSIGNMENT_RULES.replace(manager, AssignmentRules.model_validate(rules), 0)


@pytest.mark.slow
def test_a_new_lead_is_assigned_then_reassigned_when_nobody_contacts_it(
    flow: Eventing, aws: Callable[[str], Any]
) -> None:
    from rapport.dal import repository
    from rapport.leads.models import LeadCreate
    from rapport.leads.service import leads

    seed_team()
    owned = leads.create_as(TENANT, "web", LeadCreate(last_name="Owned", owner_id="ben"))
    lead = leads.create_as(TENANT, "web", LeadCreate(first_name="Rachael", last_name="Rosen"))
    sfn = aws("stepfunctions")
    machine = flow.resource_names()["LeadAssignment"]

    (execution,) = eventually(lambda: sfn.list_executions(stateMachineArn=machine)["executions"], timeout=20)
    described = eventually(
        lambda: (d := sfn.describe_execution(executionArn=execution["executionArn"]))["status"] != "RUNNING" and d,
        timeout=30,
    )
    assert described["status"] == "SUCCEEDED", described
    output = json.loads(described["output"])
    assert output["lead_id"] == lead.id  # the lead created with an owner started no execution
    assert output["step"]["result"]["status"] == "cap_reached"
    record = repository.get(TENANT, LEAD, lead.id)
    assert record is not None and record.data["owner_id"] == "ben"  # ana first, then ben after the missed SLA
    assert repository.get(TENANT, LEAD, owned.id).data["owner_id"] == "ben"  # type: ignore[union-attr]

    queue = aws("sqs").get_queue_url(QueueName="notifications")["QueueUrl"]

    def requested() -> list[tuple[str, str]] | None:
        received = aws("sqs").receive_message(QueueUrl=queue, MaxNumberOfMessages=10)
        for message in received.get("Messages", []):
            detail = json.loads(message["Body"])["detail"]
            seen.append((detail["template"], detail["recipient"]["id"]))
        return sorted(seen) if len(seen) >= 4 else None

    seen: list[tuple[str, str]] = []
    assert eventually(requested, timeout=10) == [
        ("lead_assigned", "ana"),
        ("lead_reassigned", "ben"),
        ("lead_sla_missed", "ana"),
        ("lead_sla_missed", "boss"),
    ]
    history = sfn.get_execution_history(executionArn=execution["executionArn"])["events"]
    entered = [event["stateEnteredEventDetails"]["name"] for event in history if "stateEnteredEventDetails" in event]
    assert entered == [
        "Assign", "Assigned?", "Notify", "WaitForFirstContact", "CheckContact", "Contacted?", "Reassign",
        "Reassigned?", "Notify", "WaitForFirstContact", "CheckContact", "Contacted?", "Reassign", "Reassigned?",
        "NotReassigned",
    ]  # fmt: skip
