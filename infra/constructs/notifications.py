"""Notifications: the notifier on the bus, SES (identity, configuration set) and its feedback back to contacts.

- A rule on the Rapport bus sends `notification.requested` (source `rapport.workflows`) to the notifier. The
  rule's target retries delivery and dead-letters what it cannot deliver; the function's asynchronous invoke
  config retries a failed invocation (an SES or SNS error raises) twice and then sends it, event included, to the
  same dead-letter queue. Nothing is lost: it is in the queue for 14 days, to redrive. Both functions are event
  workers (infra/constructs/workers.py), each with its own dead-letter queue.
- SES sends from the stage's `notificationSender` (an email identity; verify it, or its domain, before sending)
  in a configuration set whose bounce and complaint events go to an SNS topic, which invokes `ses_feedback`.
"""

from __future__ import annotations

from aws_cdk import Duration, Stack
from aws_cdk import aws_events as events
from aws_cdk import aws_iam as iam
from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_ses as ses
from aws_cdk import aws_sns as sns
from constructs import Construct

from infra.config import StageConfig
from infra.constructs.data import Data
from infra.constructs.functions import FunctionFactory
from infra.constructs.tenancy import TenantFenced
from infra.constructs.workers import EventWorker, OnEvents, OnTopic
from infra.nag import acknowledge

REQUEST_SOURCE = "rapport.workflows"
REQUEST_DETAIL_TYPE = "notification.requested"
TARGET_RETRY_ATTEMPTS = 8
MAX_EVENT_AGE = Duration.hours(6)


class Notifications(Construct):
    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        data: Data,
        factory: FunctionFactory,
        bus: events.IEventBus,
        stage: StageConfig,
        public_url: str,
    ) -> None:
        super().__init__(scope, construct_id)
        stack = Stack.of(self)
        self.sender = stage.notification_sender
        self.app_url = stage.app_url
        self.public_url = public_url  # where the public pages answer: the unsubscribe links of marketing email
        # Named, and the name passed as a literal: the function's environment holds no reference to resolve.
        self.configuration_set_name = f"{stack.stack_name}-notifications"
        self.configuration_set = ses.ConfigurationSet(
            self, "ConfigurationSet", configuration_set_name=self.configuration_set_name
        )
        self.identity = ses.EmailIdentity(
            self,
            "Sender",
            identity=ses.Identity.email(self.sender),
            configuration_set=self.configuration_set,
        )
        self.notifier = self._notifier(data, factory, bus, stack)
        self.feedback_topic = sns.Topic(
            self, "Feedback", display_name="SES bounces and complaints", master_key=data.key, enforce_ssl=True
        )
        # SES publishes to the topic under the data key: it may use the key for this account's SES only.
        data.key.add_to_resource_policy(
            iam.PolicyStatement(
                actions=["kms:GenerateDataKey*", "kms:Decrypt"],
                principals=[iam.ServicePrincipal("ses.amazonaws.com")],
                resources=["*"],
                conditions={"StringEquals": {"aws:SourceAccount": stack.account}},
            )
        )
        self.configuration_set.add_event_destination(
            "ToFeedbackTopic",
            destination=ses.EventDestination.sns_topic(self.feedback_topic),
            events=[ses.EmailSendingEvent.BOUNCE, ses.EmailSendingEvent.COMPLAINT],
        )
        self.feedback = factory.event_worker(
            self,
            EventWorker(
                area="ses_feedback",
                description="Rapport SES feedback: bounces mark emails invalid, complaints opt out",
                trigger=OnTopic(self.feedback_topic, max_event_age=MAX_EVENT_AGE),
                tenancy=TenantFenced(),  # a bounce or complaint is tagged with the tenant whose contact it concerns
                environment={"TABLE_NAME": data.table.table_name},
            ),
        )

    def _notifier(self, data: Data, factory: FunctionFactory, bus: events.IEventBus, stack: Stack) -> lambda_.Function:
        function = factory.event_worker(
            self,
            EventWorker(
                area="notifier",
                description="Rapport notifier: notification requests to SES and SNS",
                trigger=OnEvents(
                    rule="Requested",
                    description="Notification requests from workflows, to the notifier",
                    bus=bus,
                    pattern={"source": [REQUEST_SOURCE], "detail-type": [REQUEST_DETAIL_TYPE]},
                    retry_attempts=TARGET_RETRY_ATTEMPTS,
                    max_event_age=MAX_EVENT_AGE,
                ),
                tenancy=TenantFenced(),  # a request is one tenant's: its recipient, settings, templates, timeline
                environment={
                    "TABLE_NAME": data.table.table_name,
                    "IDEMPOTENCY_TABLE_NAME": data.idempotency_table.table_name,
                    "SENDER_EMAIL": self.sender,
                    "SES_CONFIGURATION_SET": self.configuration_set_name,
                    "APP_URL": self.app_url,
                    "PUBLIC_URL": self.public_url,
                    # A marketing email's unsubscribe link is signed with the stack's secret (rapport.consent.links).
                    "CURSOR_SECRET_ARN": data.cursor_secret.secret_arn,
                },
            ),
        )
        data.cursor_secret.grant_read(function)
        statements = [
            iam.PolicyStatement(
                # Raw: a marketing email's List-Unsubscribe headers, which SendEmail cannot carry.
                actions=["ses:SendEmail", "ses:SendRawEmail"],
                resources=[
                    stack.format_arn(service="ses", resource="identity", resource_name=self.sender),
                    stack.format_arn(
                        service="ses",
                        resource="configuration-set",
                        resource_name=self.configuration_set_name,
                    ),
                ],
                conditions={"StringEquals": {"ses:FromAddress": self.sender}},
            ),
            # An SMS is published to a phone number, not a topic: there is no resource to name.
            iam.PolicyStatement(actions=["sns:Publish"], resources=["*"]),
        ]
        for statement in statements:
            function.add_to_role_policy(statement)
        assert function.role is not None
        acknowledge(
            function.role,
            "AwsSolutions::AwsSolutions-IAM5[Resource::*]",
            "Active tracing needs xray:PutTraceSegments and xray:PutTelemetryRecords, and an SMS is sns:Publish to a "
            "phone number, not a topic: none of them has a resource to name; every other statement names its own.",
        )
        return function
