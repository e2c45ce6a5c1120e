"""Webhooks: the dispatcher, the delivery state machine and its attempt worker (rapport.webhooks).

- `webhook_dispatcher`: every domain event on the bus but the webhooks' own → a delivery per subscribed webhook,
  each started as an execution of the delivery state machine (`infra/workflows/webhook_delivery.asl.json`);
- `webhook_deliveries`: the state machine's task, one signed attempt; the machine waits the back-off the attempt
  returns between attempts (rapport.webhooks.runs says why Step Functions rather than an SQS delay queue).

The webhooks API function starts runs too (`POST .../redeliver`): `grant_api` gives it the machine's ARN and the
right to start it.
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
from infra.constructs.tenancy import TenantFenced
from infra.constructs.workers import EventWorker, FromStateMachine, OnEvents, worker_state_machine

DEFINITION = ROOT / "infra" / "workflows" / "webhook_delivery.asl.json"
STATE_MACHINE_VARIABLE = "WEBHOOK_DELIVERY_STATE_MACHINE_ARN"
# Equal to rapport.webhooks.service.OWN_EVENTS: a webhook's own changes are not delivered (tests/infra checks).
OWN_EVENTS = "webhook."
EVENTS_PATTERN: dict[str, Any] = {"source": [SOURCE], "detail-type": events.Match.anything_but_prefix(OWN_EVENTS)}
# An attempt waits at most the transport's timeouts (10 s) after two reads and before two writes.
ATTEMPT_TIMEOUT = Duration.seconds(30)
RETRY_ATTEMPTS = 4
MAX_EVENT_AGE = Duration.hours(6)


class Webhooks(Construct):
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
        self.deliveries = factory.event_worker(
            self,
            EventWorker(
                area="webhook_deliveries",
                description="Rapport webhooks: one signed attempt of a delivery",
                trigger=FromStateMachine("the webhook delivery state machine"),
                tenancy=TenantFenced(),
                environment={
                    "TABLE_NAME": data.table.table_name,
                    "CURSOR_SECRET_ARN": data.cursor_secret.secret_arn,
                    "EVENT_BUS_NAME": bus.event_bus_name,
                },
                timeout=ATTEMPT_TIMEOUT,
            ),
        )
        data.cursor_secret.grant_read(self.deliveries)
        bus.grant_put_events_to(self.deliveries)
        self.delivery = self._state_machine(stage)
        self.dispatcher = factory.event_worker(
            self,
            EventWorker(
                area="webhook_dispatcher",
                description="Rapport webhooks: a delivery per subscribed webhook of each domain event",
                trigger=OnEvents(
                    rule="WebhookEvents",
                    description="Every domain event but the webhooks' own, for the webhooks that subscribed",
                    bus=bus,
                    pattern=EVENTS_PATTERN,
                    retry_attempts=RETRY_ATTEMPTS,
                    max_event_age=MAX_EVENT_AGE,
                ),
                # One event, one tenant: its deliveries are written under that tenant's credentials.
                tenancy=TenantFenced(),
                environment={
                    "TABLE_NAME": data.table.table_name,
                    STATE_MACHINE_VARIABLE: self.delivery.state_machine_arn,
                },
            ),
        )
        self.delivery.grant_start_execution(self.dispatcher)

    def grant_api(self, function: lambda_.Function) -> None:
        """The webhooks API function starts a run to redeliver a dead delivery."""
        function.add_environment(STATE_MACHINE_VARIABLE, self.delivery.state_machine_arn)
        self.delivery.grant_start_execution(function)

    def _state_machine(self, stage: StageConfig) -> sfn.StateMachine:
        return worker_state_machine(
            self,
            "WebhookDelivery",
            comment="Attempt a webhook delivery until delivered or given up, waiting the back-off between attempts",
            definition=DEFINITION,
            worker=self.deliveries,
            worker_arn="DeliveriesFunctionArn",
            stage=stage,
        )
