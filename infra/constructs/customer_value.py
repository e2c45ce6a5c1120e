"""Customer value: the worker that refreshes a customer's value after each change of its orders, and the daily
ranking that places each customer among its tenant's and assesses its churn.

Every committed order write yields its domain event from the table stream; the rule routes the order events
(`rapport.orders.value.REFRESHED_BY`) to the `customer_value` worker, an event worker (infra/constructs/workers.py:
its rule's retries, its own dead-letter queue) fenced to the event's tenant. The worker recomputes the value of
each customer the order is or was of from that customer's orders (one Query, streamed): redelivery recomputes the
same figures. A contact's or an account's erase reaches it too: it deletes the customer's value, standing and
retention episode, so the ranking and the customer report forget it.

The `customer_ranking` worker runs daily (RANKING_HOUR_UTC) for every tenant of the registry (the followups
construct's table, where the follow-ups worker notes each tenant with orders): per tenant and level it walks the
customers' value summaries (gsi4: one Query, paged), reads the analytics settings and puts the standings that
changed (rapport.orders.reports).

The retention workflow: a rule on `customer.churn_changed` to `deserting` (RETENTION_PATTERN) starts the customer
retention state machine (infra/workflows/customer_retention.asl.json) with the event's tenant, customer and the
episode's `since`; its task states call the `retention` worker (rapport.orders.retention), fenced to the tenant
of the step: start the episode once, offer, wait the tenant's `retention_wait_days`, then recovered or escalated.
"""

from __future__ import annotations

from aws_cdk import Duration
from aws_cdk import aws_dynamodb as dynamodb
from aws_cdk import aws_events as events
from aws_cdk import aws_iam as iam
from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_stepfunctions as sfn
from constructs import Construct

from infra.config import ROOT, StageConfig
from infra.constructs.data import Data
from infra.constructs.followups import TENANTS_VARIABLE
from infra.constructs.functions import FunctionFactory
from infra.constructs.queues import dead_letter_queue
from infra.constructs.tenancy import CrossTenant, TenantFenced
from infra.constructs.workers import (
    EventWorker,
    FromStateMachine,
    OnEvents,
    OnSchedule,
    start_on_events,
    worker_state_machine,
)
from infra.table_access import TableAccess

SOURCE = "rapport"
# Equal to rapport.orders.value.REFRESHED_BY (tests/infra checks).
REFRESHED_BY = (
    "order.created",
    "order.updated",
    "order.deleted",
    "order.restored",
    "order.erased",
    "contact.erased",
    "account.erased",
)
RETRY_ATTEMPTS = 4
MAX_EVENT_AGE = Duration.hours(2)
RANKING_HOUR_UTC = 3
RANKING_TIMEOUT = Duration.minutes(15)
# The analytics settings (GetItem), the walk of the value summaries (gsi4), the standings put.
RANKING_ACCESS = TableAccess(items=("dynamodb:GetItem", "dynamodb:PutItem"), indexes=("gsi4",))
RANKING_REASON = (
    "the daily ranking runs for every registered tenant. Assuming a tenant role per tenant would cost one STS call "
    "per tenant (STS throttles per account) for a walk of its customers' value summaries; it writes only their "
    "standings."
)
RETENTION_DEFINITION = ROOT / "infra" / "workflows" / "customer_retention.asl.json"
# A customer whose churn status became deserting (the derivation publishes only changes of status).
RETENTION_PATTERN = {
    "source": [SOURCE],
    "detail-type": ["customer.churn_changed"],
    "detail": {"record": {"churn": {"status": ["deserting"]}}},
}
RETENTION_INPUT = {"since": "$.detail.record.churn.since"}


class CustomerValue(Construct):
    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        data: Data,
        factory: FunctionFactory,
        bus: events.IEventBus,
        tenants: dynamodb.ITable,
        stage: StageConfig,
    ) -> None:
        super().__init__(scope, construct_id)
        self.worker: lambda_.Function = factory.event_worker(
            self,
            EventWorker(
                area="customer_value",
                description="Rapport customer value: refreshed after each order change",
                trigger=OnEvents(
                    rule="OrderEvents",
                    description="Order changes and customer erases: customers' value and purchases computed again",
                    bus=bus,
                    pattern={"source": [SOURCE], "detail-type": list(REFRESHED_BY)},
                    retry_attempts=RETRY_ATTEMPTS,
                    max_event_age=MAX_EVENT_AGE,
                ),
                # One event, one tenant: the customers' orders are read and their value written under its credentials.
                tenancy=TenantFenced(),
                environment={"TABLE_NAME": data.table.table_name},
            ),
        )
        self.ranking: lambda_.Function = factory.event_worker(
            self,
            EventWorker(
                area="customer_ranking",
                description="Rapport customer ranking: rank, tier and churn of every customer, daily",
                trigger=OnSchedule(
                    rule="DailyRanking",
                    description="Ranks each tenant's customers and assesses their churn",
                    schedule=events.Schedule.cron(minute="0", hour=str(RANKING_HOUR_UTC)),
                    retry_attempts=RETRY_ATTEMPTS,
                    max_event_age=MAX_EVENT_AGE,
                ),
                tenancy=CrossTenant(RANKING_ACCESS, RANKING_REASON),
                environment={"TABLE_NAME": data.table.table_name, TENANTS_VARIABLE: tenants.table_name},
                timeout=RANKING_TIMEOUT,
            ),
        )
        # The registry, under the function's own role: it lists tenants, so it is no tenant's.
        self.ranking.add_to_role_policy(iam.PolicyStatement(actions=["dynamodb:Query"], resources=[tenants.table_arn]))
        data.grant_key(self.ranking)
        self.retention_worker = factory.event_worker(
            self,
            EventWorker(
                area="retention",
                description="Rapport customer retention: the retention state machine's task states",
                trigger=FromStateMachine("the customer retention state machine"),
                tenancy=TenantFenced(),  # each execution retains one tenant's customer
                environment={"TABLE_NAME": data.table.table_name, "EVENT_BUS_NAME": bus.event_bus_name},
            ),
        )
        bus.grant_put_events_to(self.retention_worker)
        self.retention = self._retention(stage)
        self._start_retention_on_deserting(bus)

    def _retention(self, stage: StageConfig) -> sfn.StateMachine:
        return worker_state_machine(
            self,
            "CustomerRetention",
            comment="Win back a deserting customer: a task and an offer, a wait, then recovered or escalated",
            definition=RETENTION_DEFINITION,
            worker=self.retention_worker,
            worker_arn="RetentionFunctionArn",
            stage=stage,
        )

    def _start_retention_on_deserting(self, bus: events.IEventBus) -> None:
        dead_letters = dead_letter_queue(
            self, "DesertingDeadLetters", holds="customer.churn_changed events the retention could not be started for"
        )
        trigger = OnEvents(
            rule="CustomerDeserting",
            description="A customer became deserting: start its retention",
            bus=bus,
            pattern=RETENTION_PATTERN,
            retry_attempts=8,
            max_event_age=Duration.hours(24),
        )
        start_on_events(
            self,
            self.retention,
            trigger,
            dead_letters=dead_letters,
            role_id="RetentionRuleRole",
            entity_field="customer_id",
            more_fields=RETENTION_INPUT,
        )
