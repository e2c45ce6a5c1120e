"""Campaigns: the send state machine and its sender worker (rapport.campaigns).

- `campaign_sender`: the state machine's task, one batch of a run: the next pages of the audience, each contact
  sent once at the pace of the account's SES quota (rapport.campaigns.sending);
- the state machine (`infra/workflows/campaign_send.asl.json`): waits until the campaign's `send_at`, then runs
  batches until the audience is walked or the campaign is paused, cancelled or run again (rapport.campaigns.runs).

- `campaign_attribution`: an event worker on `deal.created` and `deal.won` (a deal made in or moved to a won
  stage) and `order.created`, crediting each to the campaigns whose messages its contacts got before it; on replies
  (cases, customers' messages, inbound activities) and `lead.created` (rapport.campaigns.attribution).

- `sequence_stepper`: the sequence state machine's task, an enrollment's steps until it waits or ends
  (rapport.campaigns.sequences.stepping); the state machine (`infra/workflows/sequence_enrollment.asl.json`), one
  execution per enrollment, waits where the stepper says (rapport.campaigns.sequences.runs);
- `sequence_signals`: an event worker enrolling the contacts that enter a sequence's segment and stamping or ending
  enrollments on replies, conversions, unsubscribes and segment leaves (rapport.campaigns.sequences.signals).

The sender sends as the notifier does (Notifications.grant_sending). Its reserved concurrency is one: the batches
of every campaign take turns, so together they keep to the pace each keeps alone (the SES quota is the account's);
a batch that finds the sender busy is retried by its task state's back-off.

The campaigns API function starts runs (`POST .../schedule`, `.../resume`) and sends test copies: `grant_api`; the
sequences API function starts enrollments' runs: `grant_sequences_api`. The
machine is named and its ARN written out rather than referenced: the sender it calls puts links under the API's
URL, so a reference from an API function would make the API depend on itself.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from aws_cdk import ArnFormat, Duration, Stack
from aws_cdk import aws_events as events
from aws_cdk import aws_iam as iam
from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_stepfunctions as sfn
from constructs import Construct

from infra.config import ROOT, StageConfig
from infra.constructs.data import Data
from infra.constructs.events import SOURCE
from infra.constructs.functions import FunctionFactory
from infra.constructs.notifications import Notifications
from infra.constructs.tenancy import TenantFenced
from infra.constructs.workers import EventWorker, FromStateMachine, OnEvents, worker_state_machine

DEFINITION = ROOT / "infra" / "workflows" / "campaign_send.asl.json"
SEQUENCE_DEFINITION = ROOT / "infra" / "workflows" / "sequence_enrollment.asl.json"
STATE_MACHINE_VARIABLE = "CAMPAIGN_SEND_STATE_MACHINE_ARN"
SEQUENCE_STATE_MACHINE_VARIABLE = "SEQUENCE_STATE_MACHINE_ARN"
# A call takes an enrollment's steps until it waits: a few sends at most, each waiting its turn of the SES quota.
STEP_TIMEOUT = Duration.minutes(2)
# A batch sends until 30 s before this (rapport.campaigns.sending.RESERVE).
BATCH_TIMEOUT = Duration.minutes(5)
SENDERS = 1
# Equal to rapport.campaigns.attribution.CONVERSIONS and EVENTS (tests/infra checks).
CONVERSIONS = ("deal.created", "deal.won", "order.created")
REPLIES = ("case.created", "case.message_added", "activity.created")
ATTRIBUTED = (*CONVERSIONS, *REPLIES, "lead.created")
# Equal to rapport.campaigns.sequences.signals.EVENTS (tests/infra checks).
SEQUENCE_SIGNALS = (
    "segment_membership.joined",
    "segment_membership.left",
    *REPLIES,
    *CONVERSIONS,
    "contact.updated",
)
RETRY_ATTEMPTS = 4
MAX_EVENT_AGE = Duration.hours(6)


@dataclass(frozen=True)
class Paced:
    """A state machine (`machine`, named `<stack>-<name>`) whose task is a worker sending at the SES quota's pace."""

    machine: str
    name: str
    comment: str
    definition: Path
    worker_arn: str
    area: str
    description: str
    timeout: Duration
    reserved_concurrency: int | None = None


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
        self._data, self._notifications, self._factory, self._stage = data, notifications, factory, stage
        self.sender, self.send, self.send_arn = self._sending_machine(
            Paced(
                machine="CampaignSend",
                name="campaign-send",
                comment="A campaign's run: wait until its send_at, then send to its audience batch after batch",
                definition=DEFINITION,
                worker_arn="SenderFunctionArn",
                area="campaign_sender",
                description="Rapport campaigns: one batch of a campaign's run",
                timeout=BATCH_TIMEOUT,
                reserved_concurrency=SENDERS,
            )
        )
        self.stepper, self.sequence, self.sequence_arn = self._sending_machine(
            Paced(
                machine="SequenceEnrollment",
                name="sequence-enrollment",
                comment="A contact's enrollment in a sequence: its steps, waiting where they say",
                definition=SEQUENCE_DEFINITION,
                worker_arn="StepperFunctionArn",
                area="sequence_stepper",
                description="Rapport sequences: an enrollment's steps until it waits or ends",
                timeout=STEP_TIMEOUT,
            )
        )

        self.attribution = self._on_events(
            "campaign_attribution",
            "Rapport campaigns: a won deal or a placed order credited to the campaigns that touched it",
            OnEvents(
                rule="CampaignAttributionEvents",
                description="Won deals, placed orders, replies and leads, credited to campaigns",
                bus=bus,
                pattern={"source": [SOURCE], "detail-type": list(ATTRIBUTED)},
                retry_attempts=RETRY_ATTEMPTS,
                max_event_age=MAX_EVENT_AGE,
            ),
        )
        self.signals = self._on_events(
            "sequence_signals",
            "Rapport sequences: enrollments begun by segments, stamped and ended by what contacts did",
            OnEvents(
                rule="SequenceSignalEvents",
                description="Segment joins and leaves, replies, conversions and consent changes, for sequences",
                bus=bus,
                pattern={"source": [SOURCE], "detail-type": list(SEQUENCE_SIGNALS)},
                retry_attempts=RETRY_ATTEMPTS,
                max_event_age=MAX_EVENT_AGE,
            ),
            {SEQUENCE_STATE_MACHINE_VARIABLE: self.sequence_arn},
        )
        self._may_start_enrollments(self.signals)

    def _on_events(
        self, area: str, description: str, trigger: OnEvents, environment: dict[str, str] | None = None
    ) -> lambda_.Function:
        """An event worker on the table, fenced to each event's tenant."""
        return self._factory.event_worker(
            self,
            EventWorker(
                area=area,
                description=description,
                trigger=trigger,
                tenancy=TenantFenced(),
                environment={"TABLE_NAME": self._data.table.table_name, **(environment or {})},
            ),
        )

    def _sending_machine(self, paced: Paced) -> tuple[lambda_.Function, sfn.StateMachine, str]:
        """A worker that sends as the notifier does, at the SES quota's pace, and the state machine that calls it,
        named so that the functions starting it write out its ARN (the third of the three)."""
        data, stage = self._data, self._stage
        worker = self._factory.event_worker(
            self,
            EventWorker(
                area=paced.area,
                description=paced.description,
                trigger=FromStateMachine(f"the {paced.name.replace('-', ' ')} state machine"),
                tenancy=TenantFenced(),
                environment={
                    "TABLE_NAME": data.table.table_name,
                    "APP_URL": stage.app_url,
                    **self._notifications.sending_environment(data),
                },
                timeout=paced.timeout,
                reserved_concurrency=paced.reserved_concurrency,
            ),
        )
        self._notifications.grant_sending(worker, data, paced=True)
        stack = Stack.of(self)
        name = f"{stack.stack_name}-{paced.name}"
        arn = stack.format_arn(
            service="states", resource="stateMachine", resource_name=name, arn_format=ArnFormat.COLON_RESOURCE_NAME
        )
        machine = worker_state_machine(
            self,
            paced.machine,
            comment=paced.comment,
            definition=paced.definition,
            worker=worker,
            worker_arn=paced.worker_arn,
            stage=stage,
            state_machine_name=name,
        )
        return worker, machine, arn

    def _may_start_enrollments(self, function: lambda_.Function) -> None:
        function.add_to_role_policy(
            iam.PolicyStatement(actions=["states:StartExecution"], resources=[self.sequence_arn])
        )

    def grant_sequences_api(self, function: lambda_.Function) -> None:
        """The sequences API function starts enrollments' runs."""
        function.add_environment(SEQUENCE_STATE_MACHINE_VARIABLE, self.sequence_arn)
        self._may_start_enrollments(function)

    def grant_api(self, function: lambda_.Function) -> None:
        """The campaigns API function starts runs and sends test copies."""
        function.add_environment(STATE_MACHINE_VARIABLE, self.send_arn)
        for name, value in self._notifications.sending_environment(self._data, links=False).items():
            function.add_environment(name, value)
        function.add_to_role_policy(iam.PolicyStatement(actions=["states:StartExecution"], resources=[self.send_arn]))
        self._notifications.grant_sending(function, self._data, links=False)
