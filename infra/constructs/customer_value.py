"""Customer value: the worker that refreshes a customer's value after each change of its orders, and the daily
ranking that places each customer among its tenant's and assesses its churn.

Every committed order write yields its domain event from the table stream; the rule routes the order events
(`rapport.orders.value.REFRESHED_BY`) to the `customer_value` worker, an event worker (infra/constructs/workers.py:
its rule's retries, its own dead-letter queue) fenced to the event's tenant. The worker recomputes the value of
each customer the order is or was of from that customer's orders (one Query, streamed): redelivery recomputes the
same figures.

The `customer_ranking` worker runs daily (RANKING_HOUR_UTC) for every tenant of the registry (the followups
construct's table, where the follow-ups worker notes each tenant with orders): per tenant and level it walks the
customers' value summaries (gsi4: one Query, paged), reads the analytics settings and puts the standings that
changed (rapport.orders.reports).
"""

from __future__ import annotations

from aws_cdk import Duration
from aws_cdk import aws_dynamodb as dynamodb
from aws_cdk import aws_events as events
from aws_cdk import aws_iam as iam
from aws_cdk import aws_lambda as lambda_
from constructs import Construct

from infra.constructs.data import Data
from infra.constructs.followups import TENANTS_VARIABLE
from infra.constructs.functions import FunctionFactory
from infra.constructs.tenancy import CrossTenant, TenantFenced
from infra.constructs.workers import EventWorker, OnEvents, OnSchedule
from infra.table_access import TableAccess

SOURCE = "rapport"
# Equal to rapport.orders.value.REFRESHED_BY (tests/infra checks).
REFRESHED_BY = ("order.created", "order.updated", "order.deleted", "order.restored", "order.erased")
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
    ) -> None:
        super().__init__(scope, construct_id)
        self.worker: lambda_.Function = factory.event_worker(
            self,
            EventWorker(
                area="customer_value",
                description="Rapport customer value: refreshed after each order change",
                trigger=OnEvents(
                    rule="OrderEvents",
                    description="Order changes: the value of the order's customers is computed again",
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
