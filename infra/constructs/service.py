"""Service: the case events worker on the bus.

- `case.created` → routes a new case without an owner (rapport.cases.router): its queue by the routing rules, an
  owner in it by the assignment engine;
- `case.message_added` → asks the notifier (a `notification.requested` event) to email a public reply to the
  customer (rapport.cases.service.reply_of), so a reply is stored whether or not the bus takes the request then;
- `case.sla_warned` → asks the notifier to warn the case's owner (rapport.cases.escalation.warning_of).

And the SLA timers worker (functions/sla_timers): every `case.*` event puts the case's warning and breach as
one-time EventBridge Scheduler schedules in the group `SlaTimerSchedules`, which invoke the worker, as the
scheduler's own role, when they are due (rapport.cases.schedules).

And the escalation: a rule on `case.sla_breached` starts the case escalation state machine
(infra/workflows/case_escalation.asl.json), whose task states call the case escalation worker
(rapport.cases.escalation): wait for the calendar's opening, notify the owner, the queue's manager, raise or move.

Event workers (infra/constructs/workers.py): their rule's retries, their own dead-letter queue. And email-to-case,
the inbound mail worker (infra/constructs/inbound_mail.py).
"""

from __future__ import annotations

from aws_cdk import Duration, Stack
from aws_cdk import aws_events as events
from aws_cdk import aws_iam as iam
from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_scheduler as scheduler
from aws_cdk import aws_stepfunctions as sfn
from constructs import Construct

from infra.config import ROOT, StageConfig
from infra.constructs.data import Data
from infra.constructs.events import SOURCE
from infra.constructs.functions import FunctionFactory
from infra.constructs.inbound_mail import InboundMail
from infra.constructs.queues import dead_letter_queue
from infra.constructs.tenancy import TenantFenced
from infra.constructs.workers import EventWorker, FromStateMachine, OnEvents, start_on_events, worker_state_machine
from infra.nag import acknowledge

# Equal to the events functions/case_events/handler.py handles (tests/infra checks).
CASE_EVENTS = ("case.created", "case.message_added", "case.sla_warned")
RETRY_ATTEMPTS = 4
MAX_EVENT_AGE = Duration.hours(2)
CASE_EVENT_PREFIX = "case."  # every write of a case may move its due times
SCHEDULE_ACTIONS = ("scheduler:CreateSchedule", "scheduler:UpdateSchedule", "scheduler:DeleteSchedule")
ESCALATION_DEFINITION = ROOT / "infra" / "workflows" / "case_escalation.asl.json"
BREACHED_PATTERN = {"source": [SOURCE], "detail-type": ["case.sla_breached"]}


class Service(Construct):
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
        self.case_events = factory.event_worker(
            self,
            EventWorker(
                area="case_events",
                description="Rapport case events: routes new cases, emails public replies, warns of SLA targets due",
                trigger=OnEvents(
                    rule="CaseEvents",
                    description="New cases to route, messages added to cases, SLA warnings",
                    bus=bus,
                    pattern={"source": [SOURCE], "detail-type": list(CASE_EVENTS)},
                    retry_attempts=RETRY_ATTEMPTS,
                    max_event_age=MAX_EVENT_AGE,
                ),
                tenancy=TenantFenced(),  # one event, one tenant: its case, settings and agents' counters
                environment={"TABLE_NAME": data.table.table_name, "EVENT_BUS_NAME": bus.event_bus_name},
            ),
        )
        bus.grant_put_events_to(self.case_events)
        self.schedule_group = scheduler.CfnScheduleGroup(self, "SlaTimerSchedules")
        self.scheduler_role = iam.Role(
            self,
            "SchedulerRole",
            description="EventBridge Scheduler invoking the SLA timers worker when a case's timer is due",
            assumed_by=iam.ServicePrincipal(
                "scheduler.amazonaws.com", conditions={"StringEquals": {"aws:SourceAccount": Stack.of(self).account}}
            ),
        )
        self.sla_timers = self._sla_timers(data, factory, bus)
        self.escalation_worker = factory.event_worker(
            self,
            EventWorker(
                area="case_escalation",
                description="Rapport case escalation: the escalation state machine's task states",
                trigger=FromStateMachine("the case escalation state machine"),
                tenancy=TenantFenced(),  # each execution escalates one tenant's case
                environment={"TABLE_NAME": data.table.table_name, "EVENT_BUS_NAME": bus.event_bus_name},
            ),
        )
        bus.grant_put_events_to(self.escalation_worker)
        self.escalation = self._escalation(stage)
        self._start_escalation_on_breach(bus)
        self.inbound_mail = InboundMail(self, "InboundMail", data=data, factory=factory, stage=stage)

    def _sla_timers(self, data: Data, factory: FunctionFactory, bus: events.IEventBus) -> lambda_.Function:
        worker = factory.event_worker(
            self,
            EventWorker(
                area="sla_timers",
                description="Rapport SLA timers: keeps each case's warning and breach schedules, acts when they fire",
                trigger=OnEvents(
                    rule="SlaTimers",
                    description="Every change of a case, to arm its SLA timers again",
                    bus=bus,
                    pattern={"source": [SOURCE], "detail-type": events.Match.prefix(CASE_EVENT_PREFIX)},
                    retry_attempts=RETRY_ATTEMPTS,
                    max_event_age=MAX_EVENT_AGE,
                ),
                tenancy=TenantFenced(),  # one event or timer, one tenant: its case
                environment={
                    "TABLE_NAME": data.table.table_name,
                    "SCHEDULE_GROUP": self.schedule_group.ref,
                    "SCHEDULER_ROLE_ARN": self.scheduler_role.role_arn,
                },
            ),
        )
        self.scheduler_role.add_to_policy(
            iam.PolicyStatement(actions=["lambda:InvokeFunction"], resources=[worker.function_arn])
        )
        schedules = Stack.of(self).format_arn(
            service="scheduler", resource="schedule", resource_name=f"{self.schedule_group.ref}/*"
        )
        worker.add_to_role_policy(iam.PolicyStatement(actions=list(SCHEDULE_ACTIONS), resources=[schedules]))
        worker.add_to_role_policy(
            iam.PolicyStatement(actions=["iam:PassRole"], resources=[self.scheduler_role.role_arn])
        )
        acknowledge(
            worker.role,  # type: ignore[arg-type]
            f"AwsSolutions::AwsSolutions-IAM5[Resource::arn:<AWS::Partition>:scheduler:<AWS::Region>:<AWS::AccountId>:"
            f"schedule/<{self._logical_id(self.schedule_group)}>/*]",
            "A case's timers are schedules named after the case, made as cases change: the worker may create, update "
            "and delete schedules of the SLA timers group only.",
        )
        return worker

    @staticmethod
    def _logical_id(resource: scheduler.CfnScheduleGroup) -> str:
        return str(Stack.of(resource).resolve(resource.logical_id))

    def _escalation(self, stage: StageConfig) -> sfn.StateMachine:
        return worker_state_machine(
            self,
            "CaseEscalation",
            comment="Escalate a case whose SLA target is breached: in business hours, owner, manager, then the case",
            definition=ESCALATION_DEFINITION,
            worker=self.escalation_worker,
            worker_arn="EscalationFunctionArn",
            stage=stage,
        )

    def _start_escalation_on_breach(self, bus: events.IEventBus) -> None:
        dead_letters = dead_letter_queue(
            self, "CaseBreachedDeadLetters", holds="case.sla_breached events the escalation could not be started for"
        )
        trigger = OnEvents(
            rule="CaseBreached",
            description="A case's SLA target breached: escalate it",
            bus=bus,
            pattern=BREACHED_PATTERN,
            retry_attempts=8,
            max_event_age=Duration.hours(24),
        )
        start_on_events(
            self,
            self.escalation,
            trigger,
            dead_letters=dead_letters,
            role_id="EscalationRuleRole",
            entity_field="case_id",
        )
