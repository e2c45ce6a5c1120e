"""Consent: the consent events worker on the bus.

- `contact.created` and `contact.consent_requested` → asks the notifier (a `notification.requested` event) to email
  the confirmation of an email subscription that waits for it (double opt-in, rapport.consent.confirmation).

An event worker (infra/constructs/workers.py): its rule's retries, its own dead-letter queue. The links it mails
go under the stage's public URL (the API's, `PUBLIC_URL`).
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

# Equal to the events functions/consent_events/handler.py handles (tests/infra checks).
CONSENT_EVENTS = ("contact.created", "contact.consent_requested")
RETRY_ATTEMPTS = 4
MAX_EVENT_AGE = Duration.hours(2)
PUBLIC_URL = "PUBLIC_URL"  # rapport.config public_url: the links of messages (this worker's and the notifier's)


class Consent(Construct):
    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        data: Data,
        factory: FunctionFactory,
        bus: events.IEventBus,
        public_url: str,
    ) -> None:
        super().__init__(scope, construct_id)
        self.consent_events = factory.event_worker(
            self,
            EventWorker(
                area="consent_events",
                description="Rapport consent events: emails the confirmation of a pending subscription",
                trigger=OnEvents(
                    rule="ConsentEvents",
                    description="New contacts and contacts whose email subscription waits for confirmation",
                    bus=bus,
                    pattern={"source": [SOURCE], "detail-type": list(CONSENT_EVENTS)},
                    retry_attempts=RETRY_ATTEMPTS,
                    max_event_age=MAX_EVENT_AGE,
                ),
                tenancy=TenantFenced(),  # one event, one tenant: its contact's and tenant's settings
                environment={
                    "TABLE_NAME": data.table.table_name,
                    "EVENT_BUS_NAME": bus.event_bus_name,
                    PUBLIC_URL: public_url,
                },
            ),
        )
        bus.grant_put_events_to(self.consent_events)
