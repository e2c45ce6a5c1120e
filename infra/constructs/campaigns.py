"""Campaigns: the send state machine and its sender worker (rapport.campaigns).

- `campaign_sender`: the state machine's task, one batch of a run: the next pages of the audience, each contact
  sent once at the pace of the account's SES quota (rapport.campaigns.sending);
- the state machine (`infra/workflows/campaign_send.asl.json`): waits until the campaign's `send_at`, then runs
  batches until the audience is walked or the campaign is paused, cancelled or run again (rapport.campaigns.runs).

- `campaign_attribution`: an event worker on `deal.created` and `deal.won` (a deal made in or moved to a won
  stage) and `order.created`, crediting each to the campaigns whose
  messages its contacts got before it (rapport.campaigns.attribution).

The sender sends as the notifier does (Notifications.grant_sending). Its reserved concurrency is one: the batches
of every campaign take turns, so together they keep to the pace each keeps alone (the SES quota is the account's);
a batch that finds the sender busy is retried by its task state's back-off.

The campaigns API function starts runs (`POST .../schedule`, `.../resume`) and sends test copies: `grant_api`. The
machine is named and its ARN written out rather than referenced: the sender it calls puts links under the API's
URL, so a reference from an API function would make the API depend on itself.
"""

from __future__ import annotations

from aws_cdk import ArnFormat, Duration, Stack
from aws_cdk import aws_events as events
from aws_cdk import aws_iam as iam
from aws_cdk import aws_lambda as lambda_
from constructs import Construct

from infra.config import ROOT, StageConfig
from infra.constructs.data import Data
from infra.constructs.events import SOURCE
from infra.constructs.functions import FunctionFactory
from infra.constructs.notifications import Notifications
from infra.constructs.tenancy import TenantFenced
from infra.constructs.workers import EventWorker, FromStateMachine, OnEvents, worker_state_machine

DEFINITION = ROOT / "infra" / "workflows" / "campaign_send.asl.json"
STATE_MACHINE_VARIABLE = "CAMPAIGN_SEND_STATE_MACHINE_ARN"
# A batch sends until 30 s before this (rapport.campaigns.sending.RESERVE).
BATCH_TIMEOUT = Duration.minutes(5)
SENDERS = 1
# Equal to rapport.campaigns.attribution.CONVERSIONS (tests/infra checks).
CONVERSIONS = ("deal.created", "deal.won", "order.created")
RETRY_ATTEMPTS = 4
MAX_EVENT_AGE = Duration.hours(6)


class Campaigns(Construct):
    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        data: Data,
        factory: FunctionFactory,
        notifications: Notifications,
        bus: events.IEventBus,
        stage: StageConfig,
    ) -> None:
        super().__init__(scope, construct_id)
        self._data, self._notifications = data, notifications
        self.sender = factory.event_worker(
            self,
            EventWorker(
                area="campaign_sender",
                description="Rapport campaigns: one batch of a campaign's run",
                trigger=FromStateMachine("the campaign send state machine"),
                tenancy=TenantFenced(),
                environment={
                    "TABLE_NAME": data.table.table_name,
                    "APP_URL": stage.app_url,
                    **notifications.sending_environment(data),
                },
                timeout=BATCH_TIMEOUT,
                reserved_concurrency=SENDERS,
            ),
        )
        notifications.grant_sending(self.sender, data, paced=True)
        stack = Stack.of(self)
        name = f"{stack.stack_name}-campaign-send"
        self.send_arn = stack.format_arn(
            service="states", resource="stateMachine", resource_name=name, arn_format=ArnFormat.COLON_RESOURCE_NAME
        )
        self.send = worker_state_machine(
            self,
            "CampaignSend",
            comment="A campaign's run: wait until its send_at, then send to its audience batch after batch",
            definition=DEFINITION,
            worker=self.sender,
            worker_arn="SenderFunctionArn",
            stage=stage,
            state_machine_name=name,
        )

        self.attribution = factory.event_worker(
            self,
            EventWorker(
                area="campaign_attribution",
                description="Rapport campaigns: a won deal or a placed order credited to the campaigns that touched it",
                trigger=OnEvents(
                    rule="CampaignAttributionEvents",
                    description="Won deals and placed orders, credited to campaigns",
                    bus=bus,
                    pattern={"source": [SOURCE], "detail-type": list(CONVERSIONS)},
                    retry_attempts=RETRY_ATTEMPTS,
                    max_event_age=MAX_EVENT_AGE,
                ),
                tenancy=TenantFenced(),
                environment={"TABLE_NAME": data.table.table_name},
            ),
        )

    def grant_api(self, function: lambda_.Function) -> None:
        """The campaigns API function starts runs and sends test copies."""
        function.add_environment(STATE_MACHINE_VARIABLE, self.send_arn)
        for name, value in self._notifications.sending_environment(self._data, links=False).items():
            function.add_environment(name, value)
        function.add_to_role_policy(iam.PolicyStatement(actions=["states:StartExecution"], resources=[self.send_arn]))
        self._notifications.grant_sending(function, self._data, links=False)
