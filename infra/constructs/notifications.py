"""Notifications: the notifier on the bus, SES (identity, configuration set) and its feedback back to contacts.

- A rule on the Rapport bus sends `notification.requested` (source `rapport.workflows`) to the notifier. The
  rule's target retries delivery and dead-letters what it cannot deliver; the function's asynchronous invoke
  config retries a failed invocation (an SES or SNS error raises) twice and then sends it, event included, to the
  same dead-letter queue. Nothing is lost: it is in the queue for 14 days, to redrive. Both functions are event
  workers (infra/constructs/workers.py), each with its own dead-letter queue.
- SES sends from the stage's `notificationSender` (an email identity; verify it, or its domain, before sending)
  in a configuration set whose bounce, complaint and delivery events go to an SNS topic, which invokes
  `ses_feedback` (bounces and complaints change contacts; a campaign's report counts all three).
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
        self.notifier = self._notifier(data, factory, bus)
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
            # Deliveries: a campaign's report counts them (rapport.campaigns.feedback); contacts ignore them.
            events=[ses.EmailSendingEvent.BOUNCE, ses.EmailSendingEvent.COMPLAINT, ses.EmailSendingEvent.DELIVERY],
        )
        self.feedback = factory.event_worker(
            self,
            EventWorker(
                area="ses_feedback",
                description="Rapport SES feedback: bounces mark emails invalid, complaints opt out, campaigns count",
                trigger=OnTopic(self.feedback_topic, max_event_age=MAX_EVENT_AGE),
                tenancy=TenantFenced(),  # a bounce or complaint is tagged with the tenant whose contact it concerns
                environment={"TABLE_NAME": data.table.table_name},
            ),
        )

    def sending_environment(self, data: Data, *, links: bool = True) -> dict[str, str]:
        """What a function that sends (`grant_sending`) is told: the sender, the configuration set and, with
        `links`, where its unsubscribe links go and the secret they are signed with."""
        environment = {"SENDER_EMAIL": self.sender, "SES_CONFIGURATION_SET": self.configuration_set_name}
        if links:
            environment |= {"PUBLIC_URL": self.public_url, "CURSOR_SECRET_ARN": data.cursor_secret.secret_arn}
        return environment

    def grant_sending(self, function: lambda_.Function, data: Data, *, links: bool = True, paced: bool = False) -> None:
        """`function` sends email from the stage's sender in the configuration set (raw too: a marketing email's
        List-Unsubscribe headers, which SendEmail cannot carry) and texts. With `links` (a worker sending to
        customers), its marketing emails' unsubscribe links go under the public URL, signed with the stack's secret
        (rapport.consent.links); an API function sends none (the URL is its own API's: a circular reference). `paced`:
        it reads the account's sending quota to keep to it. Its environment is `sending_environment`."""
        stack = Stack.of(self)
        if links:
            data.cursor_secret.grant_read(function)
        unnamed = ["ses:GetSendQuota", "sns:Publish"] if paced else ["sns:Publish"]
        statements = [
            iam.PolicyStatement(
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
            # GetSendQuota is the account's; an SMS is published to a phone number, not a topic: no resource to name.
            iam.PolicyStatement(actions=unnamed, resources=["*"]),
        ]
        for statement in statements:
            function.add_to_role_policy(statement)
        assert function.role is not None
        acknowledge(
            function.role,
            "AwsSolutions::AwsSolutions-IAM5[Resource::*]",
            "Active tracing needs xray:PutTraceSegments and xray:PutTelemetryRecords, ses:GetSendQuota is the "
            "account's, and an SMS is sns:Publish to a phone number, not a topic: none of them has a resource to "
            "name; every other statement names its own.",
        )

    def _notifier(self, data: Data, factory: FunctionFactory, bus: events.IEventBus) -> lambda_.Function:
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
                    "APP_URL": self.app_url,
                    **self.sending_environment(data),
                },
            ),
        )
        self.grant_sending(function, data)
        return function
