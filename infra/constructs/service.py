"""Service: the case events worker on the bus.

- `case.created` → routes a new case without an owner (rapport.cases.router): its queue by the routing rules, an
  owner in it by the assignment engine;
- `case.message_added` → asks the notifier (a `notification.requested` event) to email a public reply to the
  customer (rapport.cases.service.reply_of), so a reply is stored whether or not the bus takes the request then.

An event worker (infra/constructs/workers.py): its rule's retries, its own dead-letter queue. And email-to-case,
the inbound mail worker (infra/constructs/inbound_mail.py).
"""

from __future__ import annotations

from aws_cdk import Duration
from aws_cdk import aws_events as events
from constructs import Construct

from infra.config import StageConfig
from infra.constructs.data import Data
from infra.constructs.events import SOURCE
from infra.constructs.functions import FunctionFactory
from infra.constructs.inbound_mail import InboundMail
from infra.constructs.tenancy import TenantFenced
from infra.constructs.workers import EventWorker, OnEvents

# Equal to the events functions/case_events/handler.py handles (tests/infra checks).
CASE_EVENTS = ("case.created", "case.message_added")
RETRY_ATTEMPTS = 4
MAX_EVENT_AGE = Duration.hours(2)


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
                description="Rapport case events: routes new cases, emails public replies",
                trigger=OnEvents(
                    rule="CaseEvents",
                    description="New cases to route and messages added to cases",
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
        self.inbound_mail = InboundMail(self, "InboundMail", data=data, factory=factory, stage=stage)
