"""Workflows: the lead assignment state machine, the rule that starts it on a new unowned lead, and its worker.

The definition is `infra/workflows/lead_assignment.asl.json`, inlined as the template's DefinitionString (the
local runtime reads definitions from the template) with DefinitionSubstitutions for the worker's ARN.
"""

from __future__ import annotations

from typing import Any

from aws_cdk import Duration
from aws_cdk import aws_events as events
from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_stepfunctions as sfn
from constructs import Construct

from infra.config import ROOT, StageConfig
from infra.constructs.data import Data
from infra.constructs.events import SOURCE
from infra.constructs.functions import FunctionFactory
from infra.constructs.queues import dead_letter_queue
from infra.constructs.tenancy import TenantFenced
from infra.constructs.workers import EventWorker, FromStateMachine, OnEvents, start_on_events, worker_state_machine

DEFINITION = ROOT / "infra" / "workflows" / "lead_assignment.asl.json"
# A new lead that nobody owns yet: one created with an owner is not the flow's to assign.
LEAD_CREATED_PATTERN: dict[str, Any] = {
    "source": [SOURCE],
    "detail-type": ["lead.created"],
    "detail": {"record": {"owner_id": [{"exists": False}]}},
}


def lead_created_input() -> dict[str, Any]:
    """The execution's input from a `lead.created` event, as `POST /leads/{id}/assign` gives it too."""
    return {
        "InputPathsMap": {"tenant_id": "$.detail.tenant_id", "lead_id": "$.detail.entity_id"},
        "InputTemplate": '{"tenant_id": <tenant_id>, "lead_id": <lead_id>}',
    }


class Workflows(Construct):
    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        data: Data,
        factory: FunctionFactory,
        bus: events.IEventBus,
        stage: StageConfig,
    ) -> None:
        super().__init__(scope, construct_id)
        self.assignment = self._worker(data, factory, bus)
        self.lead_assignment = self._state_machine(stage)
        self.dead_letters = dead_letter_queue(
            self, "LeadCreatedDeadLetters", holds="lead.created events the assignment flow could not be started for"
        )
        trigger = OnEvents(
            rule="LeadCreated",
            description="A new lead nobody owns: assign it",
            bus=bus,
            pattern=LEAD_CREATED_PATTERN,
            retry_attempts=8,
            max_event_age=Duration.hours(24),
        )
        start_on_events(
            self,
            self.lead_assignment,
            trigger,
            dead_letters=self.dead_letters,
            role_id="RuleRole",
            entity_field="lead_id",
        )

    def _worker(self, data: Data, factory: FunctionFactory, bus: events.IEventBus) -> lambda_.Function:
        worker = factory.event_worker(
            self,
            EventWorker(
                area="assignment",
                description="Rapport lead assignment: the state machine's task states",
                trigger=FromStateMachine("the lead assignment state machine"),
                # Each execution assigns one tenant's lead: the worker is fenced to the tenant of the step it runs.
                tenancy=TenantFenced(),
                environment={"TABLE_NAME": data.table.table_name, "EVENT_BUS_NAME": bus.event_bus_name},
            ),
        )
        bus.grant_put_events_to(worker)
        return worker

    def _state_machine(self, stage: StageConfig) -> sfn.StateMachine:
        return worker_state_machine(
            self,
            "LeadAssignment",
            comment="Assign a new lead, wait for first contact until the SLA, reassign when missed",
            definition=DEFINITION,
            worker=self.assignment,
            worker_arn="AssignmentFunctionArn",
            stage=stage,
        )
