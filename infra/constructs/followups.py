"""Follow-ups and reminders: the tenant registry, the three workers, the rule and the schedules that run them.

- `followups`: domain events (`rapport.followups.FOLLOWUP_EVENTS`) → registers the tenant; a deal's stage change
  → the stage's follow-up task;
- `reminders`: every 5 minutes → a notification request per task or appointment reminder due;
- `digest`: daily at 07:00 UTC → one notification request per rep with rotting deals and overdue tasks.

The workers only put `notification.requested` events on the bus (the notifier sends). They are event workers
(infra/constructs/workers.py): each has its rule's retry policy and its own dead-letter queue. The tenant
registry is a table of its own because a list of all tenants cannot be a partition of the single table, whose
every key starts with one tenant (rapport.followups.store).
"""

from __future__ import annotations

from aws_cdk import Duration, RemovalPolicy
from aws_cdk import aws_dynamodb as dynamodb
from aws_cdk import aws_events as events
from aws_cdk import aws_iam as iam
from aws_cdk import aws_lambda as lambda_
from constructs import Construct

from infra.constructs.data import Data
from infra.constructs.functions import FunctionFactory
from infra.constructs.tenancy import CrossTenant, TenantFenced
from infra.constructs.workers import EventWorker, OnEvents, OnSchedule
from infra.table_access import TableAccess

SOURCE = "rapport"
# Equal to rapport.followups.FOLLOWUP_EVENTS and rapport.followups.reminders.SWEEP_MINUTES (tests/infra checks).
FOLLOWUP_EVENTS = (
    "deal.stage_changed",
    "task.created",
    "appointment.created",
    "pipeline.created",
    "order.created",
)
SWEEP_MINUTES = 5
DIGEST_HOUR_UTC = 7
SWEEP_TIMEOUT = Duration.seconds(60)
RETRY_ATTEMPTS = 4
MAX_EVENT_AGE = Duration.hours(2)
TENANTS_VARIABLE = "TENANTS_TABLE_NAME"  # rapport.dal.models.TenantItem
SWEEP_REASON = (
    "every run sweeps every registered tenant. Assuming a tenant role per tenant would cost a cold container one "
    "STS call per tenant (STS throttles per account) for a few reads each. It reads the tenants' reminder or digest "
    "partitions and writes only its sent-markers."
)
# The task reminders and scheduled appointments due (gsi1), the tenant's reminder settings, the sent-markers.
REMINDERS_ACCESS = TableAccess(
    items=("dynamodb:GetItem",), indexes=("gsi1",), idempotency=("dynamodb:PutItem", "dynamodb:DeleteItem")
)
# Open deals by status (gsi4) and open tasks by due time (gsi3), the sent-markers.
DIGEST_ACCESS = TableAccess(indexes=("gsi3", "gsi4"), idempotency=("dynamodb:PutItem", "dynamodb:DeleteItem"))
_STRING = dynamodb.AttributeType.STRING


class Followups(Construct):
    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        data: Data,
        factory: FunctionFactory,
        bus: events.IEventBus,
        removal_policy: RemovalPolicy,
    ) -> None:
        super().__init__(scope, construct_id)
        self.tenants = dynamodb.Table(
            self,
            "TenantsTable",
            partition_key=dynamodb.Attribute(name="pk", type=_STRING),
            sort_key=dynamodb.Attribute(name="sk", type=_STRING),
            billing_mode=dynamodb.BillingMode.PAY_PER_REQUEST,
            encryption=dynamodb.TableEncryption.CUSTOMER_MANAGED,
            encryption_key=data.key,
            point_in_time_recovery_specification=dynamodb.PointInTimeRecoverySpecification(
                point_in_time_recovery_enabled=True
            ),
            deletion_protection=removal_policy == RemovalPolicy.RETAIN,
            removal_policy=removal_policy,
        )
        environment = {
            "TABLE_NAME": data.table.table_name,
            "IDEMPOTENCY_TABLE_NAME": data.idempotency_table.table_name,
            TENANTS_VARIABLE: self.tenants.table_name,
            "EVENT_BUS_NAME": bus.event_bus_name,
        }
        self.followups = factory.event_worker(
            self,
            EventWorker(
                area="followups",
                description="Rapport follow-ups: stage follow-up tasks, tenant registry",
                trigger=OnEvents(
                    rule="FollowupEvents",
                    description="Domain events the follow-ups worker acts on",
                    bus=bus,
                    pattern={"source": [SOURCE], "detail-type": list(FOLLOWUP_EVENTS)},
                    retry_attempts=RETRY_ATTEMPTS,
                    max_event_age=MAX_EVENT_AGE,
                ),
                # One event, one tenant: its follow-up task is written under that tenant's credentials.
                tenancy=TenantFenced(),
                environment=environment,
            ),
        )
        self._grant_tenants(data, self.followups, "dynamodb:UpdateItem")
        self.reminders = self._sweeper(
            factory,
            environment,
            area="reminders",
            description="Rapport reminders: task and appointment reminders due",
            rule="ReminderSweep",
            rule_description="Sends the task and appointment reminders due",
            schedule=events.Schedule.rate(Duration.minutes(SWEEP_MINUTES)),
            access=REMINDERS_ACCESS,
        )
        self.digest = self._sweeper(
            factory,
            environment,
            area="digest",
            description="Rapport daily digest per rep",
            rule="DailyDigest",
            rule_description="One digest per rep: rotting deals and overdue tasks",
            schedule=events.Schedule.cron(minute="0", hour=str(DIGEST_HOUR_UTC)),
            access=DIGEST_ACCESS,
        )
        for sweeper in (self.reminders, self.digest):
            self._grant_tenants(data, sweeper, "dynamodb:Query")
            bus.grant_put_events_to(sweeper)

    def _sweeper(
        self,
        factory: FunctionFactory,
        environment: dict[str, str],
        *,
        area: str,
        description: str,
        rule: str,
        rule_description: str,
        schedule: events.Schedule,
        access: TableAccess,
    ) -> lambda_.Function:
        """A scheduled worker that sweeps every registered tenant."""
        return factory.event_worker(
            self,
            EventWorker(
                area=area,
                description=description,
                trigger=OnSchedule(
                    rule=rule,
                    description=rule_description,
                    schedule=schedule,
                    retry_attempts=RETRY_ATTEMPTS,
                    max_event_age=MAX_EVENT_AGE,
                ),
                tenancy=CrossTenant(access, SWEEP_REASON),
                environment=environment,
                timeout=SWEEP_TIMEOUT,
            ),
        )

    def _grant_tenants(self, data: Data, function: lambda_.Function, action: str) -> None:
        """The registry, under the function's own role: it lists tenants, so it is no tenant's."""
        function.add_to_role_policy(iam.PolicyStatement(actions=[action], resources=[self.tenants.table_arn]))
        data.grant_key(function)
