"""Field history: the worker that keeps every record's changes from its life-cycle events (rapport.field_history).

An event worker (infra/constructs/workers.py) on every `<entity>.<created|updated|deleted|restored|erased>` event;
it ignores the settings documents' saves that share the `.updated` suffix.
"""

from __future__ import annotations

from aws_cdk import Duration
from aws_cdk import aws_events as events
from constructs import Construct

from infra.constructs.data import Data
from infra.constructs.events import SOURCE
from infra.constructs.functions import FunctionFactory
from infra.constructs.tenancy import TenantFenced
from infra.constructs.workers import EventWorker, OnEvents

# Equal to rapport.events.publisher.LIFECYCLE: the events of a record's life cycle (tests/infra checks).
LIFECYCLE = ("created", "updated", "deleted", "restored", "erased")
RETRY_ATTEMPTS = 4
MAX_EVENT_AGE = Duration.hours(6)


class FieldHistory(Construct):
    def __init__(
        self, scope: Construct, construct_id: str, *, data: Data, factory: FunctionFactory, bus: events.IEventBus
    ) -> None:
        super().__init__(scope, construct_id)
        self.worker = factory.event_worker(
            self,
            EventWorker(
                area="field_history",
                description="Rapport field history: each change of a record kept, or its history erased with it",
                trigger=OnEvents(
                    rule="FieldHistoryEvents",
                    description="Every record's life-cycle events, for its field history",
                    bus=bus,
                    pattern={
                        "source": [SOURCE],
                        "detail-type": events.Match.any_of(*(events.Match.suffix(f".{verb}") for verb in LIFECYCLE)),
                    },
                    retry_attempts=RETRY_ATTEMPTS,
                    max_event_age=MAX_EVENT_AGE,
                ),
                tenancy=TenantFenced(),  # one event, one tenant: its record's history and the tenant's settings
                environment={"TABLE_NAME": data.table.table_name},
            ),
        )
