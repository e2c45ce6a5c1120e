"""Customer value: the worker that refreshes a customer's value after each change of its orders.

Every committed order write yields its domain event from the table stream; the rule routes the order events
(`rapport.orders.value.REFRESHED_BY`) to the `customer_value` worker, an event worker (infra/constructs/workers.py:
its rule's retries, its own dead-letter queue) fenced to the event's tenant. The worker recomputes the value of
each customer the order is or was of from that customer's orders (one Query, streamed): redelivery recomputes the
same figures.
"""

from __future__ import annotations

from aws_cdk import Duration
from aws_cdk import aws_events as events
from aws_cdk import aws_lambda as lambda_
from constructs import Construct

from infra.constructs.data import Data
from infra.constructs.functions import FunctionFactory
from infra.constructs.tenancy import TenantFenced
from infra.constructs.workers import EventWorker, OnEvents

SOURCE = "rapport"
# Equal to rapport.orders.value.REFRESHED_BY (tests/infra checks).
REFRESHED_BY = ("order.created", "order.updated", "order.deleted", "order.restored", "order.erased")
RETRY_ATTEMPTS = 4
MAX_EVENT_AGE = Duration.hours(2)


class CustomerValue(Construct):
    def __init__(
        self, scope: Construct, construct_id: str, *, data: Data, factory: FunctionFactory, bus: events.IEventBus
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
