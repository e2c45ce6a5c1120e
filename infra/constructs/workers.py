"""Event workers: the functions that no API route calls, each declared as data and wired one way.

A construct declares a worker (`EventWorker`: area, description, trigger, tenancy, environment) and
`FunctionFactory.event_worker` builds it: the function, then what its trigger needs —

- `OnEvents` (a rule on a bus, by pattern) and `OnSchedule` (a scheduled rule): the rule, its target's retry
  policy and maximum event age, and the worker's own dead-letter queue for what the target cannot deliver;
- `OnTopic` (an SNS subscription): the subscription, its dead-letter queue for what SNS cannot deliver;
- `OnMail` (SES receiving): a receipt rule that stores each email in a bucket, then invokes the worker;
- `OnStream` (the table's stream): the event source mapping, which bisects and retries a failing batch and
  sends a pointer to what still fails to the dead-letter queue;
- `FromStateMachine` (synchronous task states, which retry and catch): nothing more; `worker_state_machine`
  builds such a machine the one way (its definition file, the worker's ARN substituted, logs and tracing).
- `FromUserPool` (a Cognito user pool's triggers, invoked synchronously while a user signs up or in): the pool's
  triggers, which give it the right to invoke the worker.

`route` builds every rule the same way, a worker's or another target's; `start_on_events` routes events to a state
machine, each execution started with the event's tenant and entity (the lead assignment, the case escalation, the
customer retention).
Rules, schedules and topics invoke asynchronously: they are done once Lambda accepts the event, so a failing
invocation is retried by Lambda (its event invoke config) and then sent, event and error, to the same queue.
Each dead-letter queue is one worker's, so whoever redrives it knows whose events they are.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path
from typing import Any

from aws_cdk import Duration, Stack
from aws_cdk import aws_cognito as cognito
from aws_cdk import aws_dynamodb as dynamodb
from aws_cdk import aws_events as events
from aws_cdk import aws_events_targets as targets
from aws_cdk import aws_iam as iam
from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_lambda_destinations as destinations
from aws_cdk import aws_lambda_event_sources as sources
from aws_cdk import aws_logs as logs
from aws_cdk import aws_s3 as s3
from aws_cdk import aws_ses as ses
from aws_cdk import aws_ses_actions as ses_actions
from aws_cdk import aws_sns as sns
from aws_cdk import aws_sns_subscriptions as subscriptions
from aws_cdk import aws_sqs as sqs
from aws_cdk import aws_stepfunctions as sfn
from constructs import Construct

from infra.config import StageConfig
from infra.constructs.queues import dead_letter_queue
from infra.constructs.tenancy import Tenancy
from infra.nag import acknowledge

LAMBDA_RETRY_ATTEMPTS = 2
_FUNCTION_DLQ = "Serverless::Serverless-LambdaDLQ"
_ASYNCHRONOUS_FAILURES = (
    "Failed asynchronous invocations go to the on-failure destination of its event invoke config, the worker's "
    "dead-letter queue, which receives the event with the error; a function DLQ would duplicate it."
)


def event_pattern(pattern: Mapping[str, Any]) -> events.EventPattern:
    """`pattern` as the template writes it (`source`, `detail-type`, `detail`, …) as CDK's `EventPattern`."""
    return events.EventPattern(**{key.replace("-", "_"): value for key, value in pattern.items()})


@dataclass(frozen=True)
class OnEvents:
    """Events on `bus` matching `pattern` (as the template writes it), through the rule `rule`."""

    rule: str
    description: str
    bus: events.IEventBus
    pattern: Mapping[str, Any]
    retry_attempts: int
    max_event_age: Duration


@dataclass(frozen=True)
class OnSchedule:
    """A run on `schedule`, through the rule `rule` on the default bus."""

    rule: str
    description: str
    schedule: events.Schedule
    retry_attempts: int
    max_event_age: Duration


@dataclass(frozen=True)
class OnTopic:
    """Every message published to `topic`."""

    topic: sns.ITopic
    max_event_age: Duration


@dataclass(frozen=True)
class OnMail:
    """Email SES receives for `recipients` (addresses or domains), in `rule_set`: stored in `bucket` under `prefix`
    by the rule's first action, then the worker is invoked with SES's notification (asynchronously)."""

    rule_set: ses.ReceiptRuleSet
    recipients: tuple[str, ...]
    bucket: s3.IBucket
    prefix: str
    max_event_age: Duration


@dataclass(frozen=True)
class OnStream:
    """The change records of `table`'s stream, in batches of `batch_size`, a failing batch retried."""

    table: dynamodb.ITable
    batch_size: int
    retry_attempts: int


@dataclass(frozen=True)
class FromStateMachine:
    """Called synchronously by the task states of `machine` (said in words), which retry and catch."""

    machine: str


@dataclass(frozen=True)
class FromUserPool:
    """The `operations` triggers of the user pool `pool`: Cognito calls them synchronously and fails the sign-up or
    sign-in they refuse or fail."""

    pool: cognito.UserPool
    operations: tuple[cognito.UserPoolOperation, ...]


Trigger = OnEvents | OnSchedule | OnTopic | OnMail | OnStream | FromStateMachine | FromUserPool


@dataclass(frozen=True)
class EventWorker:
    """The function `functions/<area>`, reached by `trigger`, reaching the tenant tables as `tenancy` says."""

    area: str
    description: str
    trigger: Trigger
    tenancy: Tenancy
    environment: Mapping[str, str] = field(default_factory=dict)
    timeout: Duration | None = None  # the factory's, unless it needs longer
    memory_mb: int | None = None  # the factory's, unless it needs more
    # At most this many at once (reserved from the account's concurrency); None: as many as the account allows.
    reserved_concurrency: int | None = None
    # A layer of its own (a built folder, e.g. layers/analytics/build), after the shared ones: what only it loads.
    own_layer: Path | None = None

    @property
    def dead_letters_id(self) -> str:
        """The construct id of its dead-letter queue, in the construct that declares it."""
        return "".join(part.capitalize() for part in self.area.split("_")) + "DeadLetters"


def connect(scope: Construct, function: lambda_.Function, worker: EventWorker) -> None:
    """Builds, in `scope`, what reaches `function` as `worker.trigger` says, and its dead-letter queue."""
    trigger = worker.trigger
    if isinstance(trigger, FromStateMachine):
        acknowledge(
            function,
            _FUNCTION_DLQ,
            f"Only {trigger.machine} invokes this function, synchronously (lambda:invoke): its task states retry "
            "with backoff and catch failures; a function DLQ only serves asynchronous calls.",
        )
        return
    if isinstance(trigger, FromUserPool):
        for operation in trigger.operations:
            trigger.pool.add_trigger(operation, function)
        acknowledge(
            function,
            _FUNCTION_DLQ,
            "Only Cognito invokes this function, synchronously, while a user signs up or in: a failure fails that "
            "attempt, which the user makes again; a function DLQ only serves asynchronous calls.",
        )
        return
    queue = dead_letter_queue(scope, worker.dead_letters_id, holds=_what_fails(worker.area, trigger))
    if isinstance(trigger, OnStream):
        _stream(function, trigger, queue)
        return
    if isinstance(trigger, OnTopic):
        trigger.topic.add_subscription(subscriptions.LambdaSubscription(function, dead_letter_queue=queue))
    elif isinstance(trigger, OnMail):
        _mail(function, trigger)
    else:
        route(scope, trigger, queue, partial(targets.LambdaFunction, function))
    function.configure_async_invoke(
        retry_attempts=LAMBDA_RETRY_ATTEMPTS,
        max_event_age=trigger.max_event_age,
        on_failure=destinations.SqsDestination(queue),
    )
    acknowledge(function, _FUNCTION_DLQ, _ASYNCHRONOUS_FAILURES)


def route(
    scope: Construct,
    trigger: OnEvents | OnSchedule,
    dead_letters: sqs.IQueue,
    target: Callable[..., events.IRuleTarget],
) -> events.Rule:
    """The rule `trigger` declares, in `scope`, to the target `target` makes (a `targets.*` class, its own
    arguments bound) with the trigger's retries and `dead_letters` for what it cannot deliver."""
    delivered = target(
        dead_letter_queue=dead_letters, retry_attempts=trigger.retry_attempts, max_event_age=trigger.max_event_age
    )
    if isinstance(trigger, OnEvents):
        return events.Rule(
            scope,
            trigger.rule,
            description=trigger.description,
            event_bus=trigger.bus,
            event_pattern=event_pattern(trigger.pattern),
            targets=[delivered],
        )
    return events.Rule(
        scope, trigger.rule, description=trigger.description, schedule=trigger.schedule, targets=[delivered]
    )


def start_on_events(
    scope: Construct,
    machine: sfn.IStateMachine,
    trigger: OnEvents,
    *,
    dead_letters: sqs.IQueue,
    role_id: str,
    entity_field: str,
    more_fields: Mapping[str, str] | None = None,
) -> events.Rule:
    """The rule `trigger` declares, starting `machine` with `{"tenant_id": …, <entity_field>: …}` from each event's
    tenant and entity (and each of `more_fields`, an input field → the event's JSON path), as a role of its own
    (`role_id`) that may start that machine only."""
    role = iam.Role(scope, role_id, assumed_by=iam.ServicePrincipal("events.amazonaws.com"))
    machine.grant_start_execution(role)
    paths = {"tenant_id": "$.detail.tenant_id", entity_field: "$.detail.entity_id", **(more_fields or {})}
    start = events.RuleTargetInput.from_object(
        {field: events.EventField.from_path(path) for field, path in paths.items()}
    )
    return route(scope, trigger, dead_letters, partial(targets.SfnStateMachine, machine, input=start, role=role))


def worker_state_machine(
    scope: Construct,
    name: str,
    *,
    comment: str,
    definition: Path,
    worker: lambda_.Function,
    worker_arn: str,
    stage: StageConfig,
    state_machine_name: str | None = None,
) -> sfn.StateMachine:
    """The state machine `name` in `scope`: `definition` (an ASL file, inlined so the local runtime reads it from
    the template) whose task states call `worker`, its ARN substituted for `${worker_arn}`; full logs without
    execution data (they hold customers' data) in `<name>Logs`, X-Ray tracing, and the right to invoke that one
    worker. Named `state_machine_name` when a function that the machine depends on must start it (its ARN is
    then written, not referenced)."""
    log_group = logs.LogGroup(scope, f"{name}Logs", retention=stage.log_retention, removal_policy=stage.removal_policy)
    machine = sfn.StateMachine(
        scope,
        name,
        comment=comment,
        state_machine_name=state_machine_name,
        definition_body=sfn.DefinitionBody.from_string(definition.read_text()),
        definition_substitutions={worker_arn: worker.function_arn},
        logs=sfn.LogOptions(destination=log_group, level=sfn.LogLevel.ALL, include_execution_data=False),
        tracing_enabled=True,
    )
    worker.grant_invoke(machine)
    acknowledge(
        machine.role,
        "AwsSolutions::AwsSolutions-IAM5[Resource::*]",
        "Tracing (xray:PutTraceSegments, PutTelemetryRecords, GetSampling*) and log delivery to CloudWatch Logs "
        "(logs:CreateLogDelivery and friends) support no resource-level permissions.",
    )
    worker_id = Stack.of(worker).resolve(worker.node.default_child.logical_id)  # type: ignore[union-attr]
    acknowledge(
        machine.role,
        f"AwsSolutions::AwsSolutions-IAM5[Resource::<{worker_id}.Arn>:*]",
        "lambda:InvokeFunction on the worker's versions and aliases (<arn>:*), as grantInvoke writes it: the one "
        "function the state machine calls, no other.",
    )
    return machine


def _mail(function: lambda_.Function, trigger: OnMail) -> None:
    trigger.rule_set.add_rule(
        "Receive",
        recipients=list(trigger.recipients),
        scan_enabled=True,
        tls_policy=ses.TlsPolicy.REQUIRE,
        actions=[
            ses_actions.S3(bucket=trigger.bucket, object_key_prefix=trigger.prefix),
            ses_actions.Lambda(function=function, invocation_type=ses_actions.LambdaInvocationType.EVENT),
        ],
    )


def _stream(function: lambda_.Function, trigger: OnStream, queue: sqs.Queue) -> None:
    function.add_event_source(
        sources.DynamoEventSource(
            trigger.table,
            starting_position=lambda_.StartingPosition.TRIM_HORIZON,
            batch_size=trigger.batch_size,
            bisect_batch_on_error=True,
            retry_attempts=trigger.retry_attempts,
            report_batch_item_failures=True,
            on_failure=sources.SqsDlq(queue),
        )
    )
    acknowledge(
        function,
        _FUNCTION_DLQ,
        "The table stream invokes this function through an event source mapping, whose on-failure destination "
        "is the dead-letter queue; a function DLQ only serves asynchronous invocations.",
    )


def _what_fails(area: str, trigger: OnEvents | OnSchedule | OnTopic | OnMail | OnStream) -> str:
    """What lands in the worker's dead-letter queue, for the queue's nag acknowledgements."""
    if isinstance(trigger, OnStream):
        return f"pointers to the stream records the {area} worker failed to handle"
    if isinstance(trigger, OnTopic):
        return f"the topic's messages the {area} worker failed to handle"
    if isinstance(trigger, OnMail):
        return f"SES's notifications of received emails the {area} worker failed to handle"
    return f"the events of the rule {trigger.rule} the {area} worker failed to handle"
