"""Notifications: the notifier on the bus, SES (identity, configuration set) and its feedback back to contacts.

- A rule on the Rapport bus sends `notification.requested` (source `rapport.workflows`) to the notifier. The
  rule's target retries delivery and dead-letters what it cannot deliver; the function's asynchronous invoke
  config retries a failed invocation (an SES or SNS error raises) twice and then sends it, event included, to the
  same dead-letter queue. Nothing is lost: it is in the queue for 14 days, to redrive.
- SES sends from the stage's `notificationSender` (an email identity; verify it, or its domain, before sending)
  in a configuration set whose bounce and complaint events go to an SNS topic, which invokes `ses_feedback`.
"""

from __future__ import annotations

from aws_cdk import Duration, Stack
from aws_cdk import aws_events as events
from aws_cdk import aws_events_targets as targets
from aws_cdk import aws_iam as iam
from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_lambda_destinations as destinations
from aws_cdk import aws_ses as ses
from aws_cdk import aws_sns as sns
from aws_cdk import aws_sns_subscriptions as subscriptions
from aws_cdk import aws_sqs as sqs
from constructs import Construct

from infra.config import StageConfig
from infra.constructs.data import Data
from infra.constructs.functions import FunctionFactory
from infra.constructs.queues import dead_letter_queue
from infra.constructs.tenancy import TenantFenced
from infra.nag import acknowledge

REQUEST_SOURCE = "rapport.workflows"
REQUEST_DETAIL_TYPE = "notification.requested"
TARGET_RETRY_ATTEMPTS = 8
MAX_EVENT_AGE = Duration.hours(6)
LAMBDA_RETRY_ATTEMPTS = 2


def _dead_letters(scope: Construct, construct_id: str) -> sqs.Queue:
    return dead_letter_queue(
        scope, construct_id, holds="notification requests or SES feedback the notifications could not handle"
    )


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
    ) -> None:
        super().__init__(scope, construct_id)
        stack = Stack.of(self)
        self.sender = stage.notification_sender
        self.app_url = stage.app_url
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
        self.dead_letters = _dead_letters(self, "NotifierDeadLetters")
        self.feedback_dead_letters = _dead_letters(self, "FeedbackDeadLetters")
        self.notifier = self._notifier(data, factory, stack)
        self.rule = events.Rule(
            self,
            "Requested",
            description="Notification requests from workflows, to the notifier",
            event_bus=bus,
            event_pattern=events.EventPattern(source=[REQUEST_SOURCE], detail_type=[REQUEST_DETAIL_TYPE]),
            targets=[
                targets.LambdaFunction(
                    self.notifier,
                    dead_letter_queue=self.dead_letters,
                    retry_attempts=TARGET_RETRY_ATTEMPTS,
                    max_event_age=MAX_EVENT_AGE,
                )
            ],
        )
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
        self.feedback = self._feedback(data, factory)
        self.feedback_topic.add_subscription(
            subscriptions.LambdaSubscription(self.feedback, dead_letter_queue=self.feedback_dead_letters)
        )

    def _async_failures(self, function: lambda_.Function, queue: sqs.Queue) -> None:
        """A failed invocation is retried by Lambda, then sent with its event to `queue`."""
        function.configure_async_invoke(
            retry_attempts=LAMBDA_RETRY_ATTEMPTS,
            max_event_age=MAX_EVENT_AGE,
            on_failure=destinations.SqsDestination(queue),
        )
        acknowledge(
            function,
            "Serverless::Serverless-LambdaDLQ",
            "Failed asynchronous invocations go to the on-failure destination of its event invoke config, an SQS "
            "queue that receives the event with the error; a function DLQ would duplicate it.",
        )

    def _notifier(self, data: Data, factory: FunctionFactory, stack: Stack) -> lambda_.Function:
        function = factory.worker_function(
            "notifier",
            "Rapport notifier: notification requests to SES and SNS",
            {
                "TABLE_NAME": data.table.table_name,
                "IDEMPOTENCY_TABLE_NAME": data.idempotency_table.table_name,
                "SENDER_EMAIL": self.sender,
                "SES_CONFIGURATION_SET": self.configuration_set_name,
                "APP_URL": self.app_url,
            },
            TenantFenced(),  # a request is one tenant's: its recipient, settings, templates, timeline
        )
        statements = [
            iam.PolicyStatement(
                actions=["ses:SendEmail"],
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
        self._async_failures(function, self.dead_letters)
        return function

    def _feedback(self, data: Data, factory: FunctionFactory) -> lambda_.Function:
        function = factory.worker_function(
            "ses_feedback",
            "Rapport SES feedback: bounces mark emails invalid, complaints opt out",
            {"TABLE_NAME": data.table.table_name},
            TenantFenced(),  # a bounce or complaint is tagged with the tenant whose contact it concerns
        )
        self._async_failures(function, self.feedback_dead_letters)
        return function
