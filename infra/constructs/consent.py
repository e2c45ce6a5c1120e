"""Consent: the consent events worker on the bus.

- `contact.created` and `contact.consent_requested` → asks the notifier (a `notification.requested` event) to email
  the confirmation of an email subscription that waits for it (double opt-in, rapport.consent.confirmation);
- every hour, the SMS STOP sweep: the numbers of SNS's opted-out list opt their contacts out of SMS in every
  registered tenant (rapport.sms_stops says why a sweep).

An event worker (infra/constructs/workers.py): its rule's retries, its own dead-letter queue. The links it mails
go under the stage's public URL (the API's, `PUBLIC_URL`).
"""

from __future__ import annotations

from aws_cdk import Duration
from aws_cdk import aws_dynamodb as dynamodb
from aws_cdk import aws_events as events
from aws_cdk import aws_iam as iam
from constructs import Construct

from infra.constructs.data import Data
from infra.constructs.events import SOURCE
from infra.constructs.followups import TENANTS_VARIABLE
from infra.constructs.functions import FunctionFactory
from infra.constructs.tenancy import CrossTenant, TenantFenced
from infra.constructs.workers import EventWorker, OnEvents, OnSchedule
from infra.table_access import TableAccess

# Equal to the events functions/consent_events/handler.py handles (tests/infra checks).
CONSENT_EVENTS = ("contact.created", "contact.consent_requested")
RETRY_ATTEMPTS = 4
MAX_EVENT_AGE = Duration.hours(2)
SMS_STOP_SWEEP = Duration.hours(1)
SWEEP_TIMEOUT = Duration.minutes(5)
# The phones' guards and the contacts (read), their consent and its ledger entry (one transaction).
SMS_STOP_ACCESS = TableAccess(
    items=("dynamodb:GetItem", "dynamodb:PutItem", "dynamodb:UpdateItem", "dynamodb:ConditionCheckItem")
)
SMS_STOP_REASON = (
    "SNS's opted-out list is the account's, not a tenant's: each number is looked up in every registered tenant "
    "(its phone guard), and only a contact with that number has its SMS consent written."
)
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
        tenants: dynamodb.ITable,
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
        self.sms_stops = factory.event_worker(
            self,
            EventWorker(
                area="sms_stops",
                description="Rapport SMS STOP sweep: SNS opted-out numbers opt their contacts out of SMS",
                trigger=OnSchedule(
                    rule="SmsStopSweep",
                    description="Marks the SMS consent of contacts whose number replied STOP opted out",
                    schedule=events.Schedule.rate(SMS_STOP_SWEEP),
                    retry_attempts=RETRY_ATTEMPTS,
                    max_event_age=MAX_EVENT_AGE,
                ),
                tenancy=CrossTenant(SMS_STOP_ACCESS, SMS_STOP_REASON),
                environment={"TABLE_NAME": data.table.table_name, TENANTS_VARIABLE: tenants.table_name},
                timeout=SWEEP_TIMEOUT,
            ),
        )
        # The registry, under the function's own role (it lists tenants: no tenant's), encrypted by the data key.
        self.sms_stops.add_to_role_policy(
            iam.PolicyStatement(actions=["dynamodb:Query"], resources=[tenants.table_arn])
        )
        data.grant_key(self.sms_stops)
        # The opted-out list is the account's: there is no resource to name.
        self.sms_stops.add_to_role_policy(
            iam.PolicyStatement(actions=["sns:ListPhoneNumbersOptedOut"], resources=["*"])
        )
