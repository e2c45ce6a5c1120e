"""Domain events: the table's stream, through the publisher, onto the Rapport bus, archived for replay.

The stream is the transactional outbox: a write that commits is published, whoever made it (API, import,
workflow), and a write that fails is not. Failed batches are bisected and retried; what still fails lands,
as a pointer to its stream records, in a dead-letter queue while the stream keeps them for 24 hours.
"""

from __future__ import annotations

from aws_cdk import Duration
from aws_cdk import aws_events as events
from constructs import Construct

from infra.config import StageConfig
from infra.constructs.data import Data
from infra.constructs.functions import FunctionFactory
from infra.constructs.tenancy import CrossTenant
from infra.constructs.workers import EventWorker, OnStream
from infra.table_access import TableAccess

SOURCE = "rapport"
BATCH_SIZE = 100
RETRY_ATTEMPTS = 10


class DomainEvents(Construct):
    def __init__(
        self, scope: Construct, construct_id: str, *, data: Data, factory: FunctionFactory, stage: StageConfig
    ) -> None:
        super().__init__(scope, construct_id)
        self.bus = events.EventBus(self, "Bus", description="Rapport domain events")
        self.bus.archive(
            "Archive",
            description="Every Rapport event, for replay",
            event_pattern=events.EventPattern(source=[SOURCE]),
            retention=Duration.days(stage.event_archive_days),
        )
        self.publisher = factory.event_worker(
            self,
            EventWorker(
                area="publisher",
                description="Rapport outbox: table stream to domain events",
                trigger=OnStream(data.table, batch_size=BATCH_SIZE, retry_attempts=RETRY_ATTEMPTS),
                tenancy=CrossTenant(
                    TableAccess(idempotency=("dynamodb:GetItem",)),
                    "it reads the table's stream, whose batches mix every tenant's changes, and who erased a record "
                    "(its tombstone in the idempotency table). It writes no table.",
                ),
                environment={
                    "EVENT_BUS_NAME": self.bus.event_bus_name,
                    "IDEMPOTENCY_TABLE_NAME": data.idempotency_table.table_name,  # who erased a record: its tombstone
                },
            ),
        )
        self.bus.grant_put_events_to(self.publisher)
        data.key.grant_decrypt(self.publisher)
