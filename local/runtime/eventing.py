"""Events and workflows of the local runtime: buses, rules, schedules, state machines and table streams.

moto keeps these resources but, without AWS behind it, does not connect them. This module does:

- Buses, state machines, SQS queues and SNS topics of the template are created in moto (through boto3 at
  the endpoint). Intrinsics in their properties resolve through `Resolver`: functions get fake ARNs named
  after their `Ref` (the logical id unless `names` gives one), tables and anything else come from `names`,
  and anything unknown fails with its logical id named.
- moto's EventBridge delivers to neither Lambda nor Step Functions (its delivery raises on such targets), so
  rules are not created in moto: `EventsBackend.put_events` is wrapped, and each accepted entry is matched
  against the template's rules (`event_patterns`) and delivered to their targets, off the caller's thread:
  a function through `invoke` (retried twice, then the target's `DeadLetterConfig` queue), a state machine
  by StartExecution, an SQS queue, an SNS topic, another bus.
- moto's Lambda without Docker echoes payloads; Step Functions task states that call a function
  (`arn:aws:states:::lambda:invoke`, or the function's ARN as `Resource`) reach
  `LambdaSimpleBackend.invoke`, which is patched to run the function through `invoke`.
- Lambda's event source mappings on DynamoDB streams are played by pollers reading moto's stream shard; the
  records every mapping of a stream has read are released from the shard, which would otherwise keep them all.
- Scheduled rules fire on timers while running, or at once through `run_schedule`.

The patches act on moto's backends in this process: moto's server must run in it (`ThreadedMotoServer`).
Step Functions executions call AWS from inside moto at `http://localhost:$MOTO_PORT`, so `start` points
MOTO_PORT at the endpoint's port, and switches moto to executing state machines and to Lambda without
Docker through its `/moto-api/config` endpoint.

Wait states: moto really sleeps through them (`WaitFunction._wait_interval` in
`moto/stepfunctions/parser/asl/component/state/wait/wait_function/wait_function.py`); no setting shortens
it. Two ways to test a Wait until a timestamp without sleeping:

- Give the execution a timestamp in the past (`TimestampPath` pointing at it, or a literal `Timestamp`):
  moto computes a negative wait and goes on at once. moto subtracts the naive *local* time
  (`datetime.now()`) from the UTC timestamp, so keep it more than 14 hours in the past (or run under
  TZ=UTC), and write it as `YYYY-MM-DDTHH:MM:SS[.fff]Z`: moto fails the execution (States.Runtime) on
  any other form, `+00:00` included.
- In-process, make waits return at once:
  `monkeypatch.setattr(WaitFunction, "_wait_interval", lambda *args, **kwargs: None)` — every Wait
  (Seconds, SecondsPath, Timestamp, TimestampPath) then ends immediately, while the rest still runs.
"""

from __future__ import annotations

import base64
import functools
import json
import logging
import os
import threading
import urllib.request
import uuid
from collections.abc import Callable, Iterator, Mapping
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any
from urllib.parse import urlsplit

import boto3  # type: ignore[import-untyped]
from moto.awslambda_simple.models import LambdaSimpleBackend
from moto.core.models import DEFAULT_ACCOUNT_ID
from moto.dynamodb.models import dynamodb_backends
from moto.events.models import EventsBackend

from local.awsmock import release
from local.runtime.event_patterns import (
    EventPredicate,
    InvalidPattern,
    InvalidSchedule,
    Schedule,
    compile_pattern,
    parse_schedule,
    target_input,
)

log = logging.getLogger("rapport.local")
Invoke = Callable[[str, dict[str, Any]], Any]
_CREDENTIALS = {"aws_access_key_id": "local", "aws_secret_access_key": "local"}
_MOTO_CONFIG = {"lambda": {"use_docker": False}, "stepfunctions": {"execute_state_machine": True}}
_ATTEMPTS = 3  # an asynchronous invocation and Lambda's two retries
_WORKERS = 4
_POLL_SECONDS = 0.2
_RETRY_PAUSE = (0.2, 10.0)  # first and longest pause before a failed stream batch is tried again
_TARGET_SERVICES = ("lambda", "states", "sqs", "sns", "events")
_TARGET_KEYS = ("Input", "InputPath", "InputTransformer", "SqsParameters", "DeadLetterConfig")
_SERVICES = ("dynamodb", "dynamodbstreams", "events", "sns", "sqs", "stepfunctions")


class EventingError(Exception):
    """The template asks for something the local event runtime cannot provide."""


class UnresolvedReference(EventingError):
    """A `Ref` or `Fn::GetAtt` names something the local runtime does not know."""


class Resolver:
    """Resolves intrinsic functions against what the runtime and this module created."""

    def __init__(self, resources: Mapping[str, Any], names: Mapping[str, str], region: str, account: str) -> None:
        self._resources = resources
        self._refs: dict[str, str] = {
            "AWS::Region": region,
            "AWS::AccountId": account,
            "AWS::Partition": "aws",
            "AWS::URLSuffix": "amazonaws.com",
            **names,
        }
        self._attributes: dict[tuple[str, str], str] = {}

    def define(self, logical_id: str, ref: str, **attributes: str) -> None:
        self._refs[logical_id] = ref
        self._attributes.update({(logical_id, name): value for name, value in attributes.items()})

    def ref(self, name: str) -> str:
        if name not in self._refs:
            raise UnresolvedReference(f"Ref {name}: {self._unknown(name)}")
        return self._refs[name]

    def get_att(self, logical_id: str, attribute: str) -> str:
        if (logical_id, attribute) not in self._attributes:
            raise UnresolvedReference(f"Fn::GetAtt {logical_id}.{attribute}: {self._unknown(logical_id)}")
        return self._attributes[logical_id, attribute]

    def _unknown(self, logical_id: str) -> str:
        kind = self._resources.get(logical_id, {}).get("Type", "not in the template")
        return f"{logical_id} ({kind}) is not known to the local event runtime"

    def resolve(self, value: Any) -> Any:
        if isinstance(value, list):
            return [self.resolve(item) for item in value]
        if not isinstance(value, dict):
            return value
        if len(value) == 1:
            ((key, argument),) = value.items()
            if key == "Ref" or key.startswith("Fn::"):
                return self._intrinsic(key, argument)
        return {key: self.resolve(item) for key, item in value.items()}

    def _intrinsic(self, key: str, argument: Any) -> Any:
        if key == "Ref":
            return self.ref(argument)
        if key == "Fn::GetAtt":
            logical_id, attribute = argument.split(".", 1) if isinstance(argument, str) else argument
            return self.get_att(logical_id, self.resolve(attribute))
        if key == "Fn::Join":
            separator, parts = argument
            return str(separator).join(str(part) for part in self.resolve(parts))
        if key == "Fn::Select":
            index, items = self.resolve(argument)
            return items[int(index)]
        if key == "Fn::Sub":
            return self._sub(*([argument, {}] if isinstance(argument, str) else argument))
        raise UnresolvedReference(f"{key} is not supported by the local event runtime")

    def _sub(self, text: str, variables: Mapping[str, Any]) -> str:
        values = {name: str(self.resolve(value)) for name, value in variables.items()}
        parts: list[str] = []
        rest = text
        while "${" in rest:
            before, _, after = rest.partition("${")
            name, _, rest = after.partition("}")
            parts.append(before)
            if name.startswith("!"):
                parts.append("${" + name[1:] + "}")
            elif name in values:
                parts.append(values[name])
            elif "." in name:
                parts.append(self.get_att(*name.split(".", 1)))
            else:
                parts.append(self.ref(name))
        return "".join([*parts, rest])


@dataclass(frozen=True)
class _Target:
    arn: str
    spec: Mapping[str, Any]  # Input, InputPath, InputTransformer, SqsParameters
    dead_letter_arn: str | None

    @property
    def service(self) -> str:
        return _service(self.arn)


@dataclass(frozen=True)
class _Rule:
    logical_id: str
    name: str
    arn: str
    bus: str
    enabled: bool
    pattern: EventPredicate | None
    schedule: Schedule | None
    targets: tuple[_Target, ...]


@dataclass(frozen=True)
class _StreamMapping:
    logical_id: str
    function_id: str
    function_arn: str
    stream_arn: str
    batch_size: int
    starting_position: str
    report_failures: bool
    max_retries: int | None  # None: until the records expire (AWS's -1), which locally means until stopped
    on_failure: str | None
    filters: tuple[EventPredicate, ...]


class Eventing:
    """Buses, rules, schedules, state machines and stream mappings of one template, run against moto."""

    def __init__(
        self,
        template: dict[str, Any],
        invoke: Invoke,
        region: str,
        aws_endpoint: str,
        names: Mapping[str, str] | None = None,
    ) -> None:
        self._resources: dict[str, Any] = template.get("Resources", {})
        self._invoke = invoke
        self._region = region
        self._endpoint = aws_endpoint
        self._account = os.environ.get("MOTO_ACCOUNT_ID", DEFAULT_ACCOUNT_ID)  # as moto decides for dummy keys
        self._resolver = Resolver(self._resources, names or {}, region, self._account)
        self._names = dict(names or {})
        self._created: dict[str, str] = {}
        self._functions: dict[str, str] = {}  # function name -> logical id
        self._rules: dict[str, _Rule] = {}
        self._stop = threading.Event()
        self._threads: list[threading.Thread] = []
        self._executor = ThreadPoolExecutor(max_workers=_WORKERS, thread_name_prefix="rapport-events")
        self._clients: dict[str, Any] = {}
        self._readers: dict[str, dict[str, int]] = {}  # stream ARN -> mapping -> last sequence number it read
        self._readers_lock = threading.Lock()

    def start(self) -> None:
        self._configure_moto()
        session = boto3.session.Session(region_name=self._region, **_CREDENTIALS)
        # made here, not on first use: creating clients from several threads at once is not safe
        self._clients = {service: session.client(service, endpoint_url=self._endpoint) for service in _SERVICES}
        self._define_functions()
        self._define_tables()
        self._create_queues()
        self._create_topics()
        self._create_buses()
        self._create_state_machines()
        self._rules = {
            logical_id: self._load_rule(logical_id, properties)
            for logical_id, properties in self._of_type("AWS::Events::Rule")
        }
        mappings = [
            self._load_mapping(logical_id, properties)
            for logical_id, properties in self._of_type("AWS::Lambda::EventSourceMapping")
        ]
        _HOOKS.register(self)
        for mapping in filter(None, mappings):
            self._readers.setdefault(mapping.stream_arn, {})[mapping.logical_id] = 0
        for mapping in filter(None, mappings):
            self._spawn(f"stream {mapping.logical_id}", _StreamPoller(self, mapping).run)
        if any(rule.schedule and rule.enabled for rule in self._rules.values()):
            self._spawn("schedules", self._run_timers)

    def stop(self) -> None:
        self._stop.set()
        _HOOKS.unregister(self)
        for thread in self._threads:
            thread.join(timeout=5)
        self._executor.shutdown(wait=True, cancel_futures=True)

    def run_schedule(self, rule: str) -> list[str]:
        """Fires a scheduled rule now, by logical id or name, and says what each target did."""
        found = self._rules.get(rule) or next((r for r in self._rules.values() if r.name == rule), None)
        if found is None or found.schedule is None:
            scheduled = sorted(r.logical_id for r in self._rules.values() if r.schedule)
            raise EventingError(f"no scheduled rule {rule!r}; scheduled rules: {scheduled}")
        return self._fire(found, datetime.now(UTC))

    def resource_names(self) -> dict[str, str]:
        """Logical id -> what `Ref` gives for each bus, state machine, queue and topic created here."""
        return dict(self._created)

    # setting up

    def _client(self, service: str) -> Any:
        return self._clients[service]

    def _configure_moto(self) -> None:
        request = urllib.request.Request(  # noqa: S310 - the endpoint is the local moto server
            f"{self._endpoint}/moto-api/config",
            data=json.dumps(_MOTO_CONFIG).encode(),
            headers={"Content-Type": "application/json"},
            method="POST",
        )
        with urllib.request.urlopen(request, timeout=10):  # noqa: S310 - as above
            pass
        os.environ["MOTO_PORT"] = str(urlsplit(self._endpoint).port or 80)

    def _of_type(self, resource_type: str) -> Iterator[tuple[str, dict[str, Any]]]:
        for logical_id, resource in self._resources.items():
            if resource.get("Type") == resource_type:
                yield logical_id, resource.get("Properties", {})

    def _name(self, value: Any, logical_id: str) -> str:
        return logical_id if value is None else str(self._resolver.resolve(value))

    def _define_functions(self) -> None:
        for logical_id, _ in self._of_type("AWS::Lambda::Function"):
            name = self._names.get(logical_id, logical_id)
            self._functions[name] = logical_id
            self._resolver.define(
                logical_id, name, Arn=f"arn:aws:lambda:{self._region}:{self._account}:function:{name}"
            )

    def _function_id(self, name_or_arn: str) -> str | None:
        name = name_or_arn.split(":function:", 1)[-1].split(":")[0]
        return self._functions.get(name)

    def _define_tables(self) -> None:
        dynamodb = self._client("dynamodb")
        for logical_id, _ in self._of_type("AWS::DynamoDB::Table"):
            if logical_id not in self._names:
                continue
            name = self._names[logical_id]
            try:
                table = dynamodb.describe_table(TableName=name)["Table"]
            except dynamodb.exceptions.ResourceNotFoundException as error:
                raise EventingError(f"table {logical_id} ({name}) is not in moto: create tables first") from error
            stream = {"StreamArn": table["LatestStreamArn"]} if "LatestStreamArn" in table else {}
            self._resolver.define(logical_id, name, Arn=table["TableArn"], **stream)

    def _create_queues(self) -> None:
        sqs = self._client("sqs")
        for logical_id, properties in self._of_type("AWS::SQS::Queue"):
            fifo = bool(properties.get("FifoQueue"))
            name = self._name(properties.get("QueueName"), logical_id + (".fifo" if fifo else ""))
            url = sqs.create_queue(QueueName=name, Attributes={"FifoQueue": "true"} if fifo else {})["QueueUrl"]
            arn = f"arn:aws:sqs:{self._region}:{self._account}:{name}"
            self._resolver.define(logical_id, url, Arn=arn, QueueName=name, QueueUrl=url)
            self._created[logical_id] = url

    def _create_topics(self) -> None:
        sns = self._client("sns")
        for logical_id, properties in self._of_type("AWS::SNS::Topic"):
            fifo = bool(properties.get("FifoTopic"))
            name = self._name(properties.get("TopicName"), logical_id + (".fifo" if fifo else ""))
            arn = sns.create_topic(Name=name, Attributes={"FifoTopic": "true"} if fifo else {})["TopicArn"]
            self._resolver.define(logical_id, arn, TopicArn=arn, TopicName=name)
            self._created[logical_id] = arn

    def _create_buses(self) -> None:
        events = self._client("events")
        for logical_id, properties in self._of_type("AWS::Events::EventBus"):
            name = self._name(properties["Name"], logical_id)
            arn = events.create_event_bus(Name=name)["EventBusArn"]
            self._resolver.define(logical_id, name, Arn=arn, Name=name)
            self._created[logical_id] = name

    def _create_state_machines(self) -> None:
        machines = list(self._of_type("AWS::StepFunctions::StateMachine"))
        for logical_id, properties in machines:  # all ARNs first: a definition may start another machine
            name = self._name(properties.get("StateMachineName"), logical_id)
            arn = f"arn:aws:states:{self._region}:{self._account}:stateMachine:{name}"
            self._resolver.define(logical_id, arn, Arn=arn, Name=name)
            self._created[logical_id] = arn
        sfn = self._client("stepfunctions")
        for logical_id, properties in machines:
            sfn.create_state_machine(
                name=self._resolver.get_att(logical_id, "Name"),
                definition=self._definition(logical_id, properties),
                roleArn=f"arn:aws:iam::{self._account}:role/{logical_id}",  # moto wants one; IAM is not enforced
                type=properties.get("StateMachineType", "STANDARD"),
            )

    def _definition(self, logical_id: str, properties: Mapping[str, Any]) -> str:
        if "Definition" in properties:
            text = json.dumps(self._resolver.resolve(properties["Definition"]))
        elif "DefinitionString" in properties:
            text = str(self._resolver.resolve(properties["DefinitionString"]))
        else:
            raise EventingError(f"{logical_id}: the definition must be in the template (DefinitionS3Location is not)")
        for key, value in self._resolver.resolve(properties.get("DefinitionSubstitutions", {})).items():
            text = text.replace("${" + key + "}", str(value))
        return text

    def _load_rule(self, logical_id: str, properties: Mapping[str, Any]) -> _Rule:
        resolve = self._resolver.resolve
        name = self._name(properties.get("Name"), logical_id)
        bus = _bus_name(resolve(properties.get("EventBusName")))
        try:
            pattern = compile_pattern(resolve(properties["EventPattern"])) if "EventPattern" in properties else None
            expression = properties.get("ScheduleExpression")
            schedule = parse_schedule(resolve(expression)) if expression else None
        except (InvalidPattern, InvalidSchedule) as error:
            raise EventingError(f"rule {logical_id}: {error}") from error
        path = name if bus == "default" else f"{bus}/{name}"
        return _Rule(
            logical_id=logical_id,
            name=name,
            arn=f"arn:aws:events:{self._region}:{self._account}:rule/{path}",
            bus=bus,
            enabled=properties.get("State", "ENABLED") == "ENABLED",
            pattern=pattern,
            schedule=schedule,
            targets=tuple(self._load_targets(logical_id, properties.get("Targets", []))),
        )

    def _load_targets(self, rule_id: str, targets: list[Mapping[str, Any]]) -> Iterator[_Target]:
        for target in targets:
            arn = self._supported_arn(f"rule {rule_id}, target {target.get('Id')}", target["Arn"], _TARGET_SERVICES)
            if arn is None:
                continue
            resolved = self._resolver.resolve({key: target[key] for key in _TARGET_KEYS if key in target})
            yield _Target(
                arn=arn,
                spec={key: value for key, value in resolved.items() if key != "DeadLetterConfig"},
                dead_letter_arn=resolved.get("DeadLetterConfig", {}).get("Arn"),
            )

    def _supported_arn(self, what: str, value: Any, services: tuple[str, ...]) -> str | None:
        """The ARN, or None (with a warning) when it is of a service the local runtime does not connect."""
        try:
            arn = str(self._resolver.resolve(value))
        except UnresolvedReference as error:
            log.warning("%s is not run locally: %s", what, error)
            return None
        if _service(arn) not in services:
            log.warning("%s is not run locally: %s is not supported", what, arn)
            return None
        return arn

    def _load_mapping(self, logical_id: str, properties: Mapping[str, Any]) -> _StreamMapping | None:
        source = self._supported_arn(f"event source mapping {logical_id}", properties["EventSourceArn"], ("dynamodb",))
        if source is None or not properties.get("Enabled", True):
            return None
        resolved = self._resolver.resolve({key: value for key, value in properties.items() if key != "Tags"})
        function_id = self._function_id(str(resolved["FunctionName"]))
        if function_id is None:
            raise EventingError(
                f"event source mapping {logical_id}: {resolved['FunctionName']} is not a template function"
            )
        retries = int(resolved.get("MaximumRetryAttempts", -1))
        filters = resolved.get("FilterCriteria", {}).get("Filters", [])
        return _StreamMapping(
            logical_id=logical_id,
            function_id=function_id,
            function_arn=self._resolver.get_att(function_id, "Arn"),
            stream_arn=source,
            batch_size=int(resolved.get("BatchSize", 100)),
            starting_position=resolved.get("StartingPosition", "TRIM_HORIZON"),
            report_failures="ReportBatchItemFailures" in resolved.get("FunctionResponseTypes", []),
            max_retries=None if retries < 0 else retries,
            on_failure=resolved.get("DestinationConfig", {}).get("OnFailure", {}).get("Destination"),
            filters=tuple(compile_pattern(item["Pattern"]) for item in filters),
        )

    def _spawn(self, name: str, target: Callable[[], None]) -> None:
        thread = threading.Thread(target=target, name=f"rapport-{name}", daemon=True)
        thread.start()
        self._threads.append(thread)

    # delivering

    def _submit(self, function: Callable[..., Any], *args: Any) -> None:
        try:
            future = self._executor.submit(function, *args)
        except RuntimeError:  # shut down: stop() is under way
            log.warning("event runtime stopping: %s not run", function.__name__)
            return
        future.add_done_callback(_log_failure)

    def _accept(self, backend: EventsBackend, entries: list[dict[str, Any]], results: list[dict[str, Any]]) -> None:
        """Called with every PutEvents moto accepted."""
        if (backend.account_id, backend.region_name) != (self._account, self._region):
            return
        for entry, result in zip(entries, results, strict=True):
            if "EventId" in result:
                self._submit(
                    self._route, _bus_name(entry.get("EventBusName")), self._envelope(entry, result["EventId"])
                )

    def _envelope(self, entry: Mapping[str, Any], event_id: str) -> dict[str, Any]:
        return {
            "version": "0",
            "id": event_id,
            "detail-type": entry["DetailType"],
            "source": entry["Source"],
            "account": self._account,
            "time": _timestamp(entry.get("Time")),
            "region": self._region,
            "resources": entry.get("Resources", []),
            "detail": json.loads(entry["Detail"]),
        }

    def _route(self, bus: str, event: dict[str, Any]) -> None:
        for rule in self._rules.values():
            if rule.bus == bus and rule.enabled and rule.pattern is not None and rule.pattern(event):
                for target in rule.targets:  # each on its own: a slow function holds back no other target
                    self._submit(self._deliver, rule, target, event)

    def _run_timers(self) -> None:
        schedules = {rule.logical_id: rule.schedule for rule in self._rules.values() if rule.schedule and rule.enabled}
        now = datetime.now(UTC)
        due = {logical_id: schedule.next_after(now) for logical_id, schedule in schedules.items()}
        while True:
            logical_id, when = min(due.items(), key=lambda item: item[1])
            if self._stop.wait(max(0.0, (when - datetime.now(UTC)).total_seconds())):
                return
            self._submit(self._fire, self._rules[logical_id], when)
            due[logical_id] = schedules[logical_id].next_after(when)

    def _fire(self, rule: _Rule, when: datetime) -> list[str]:
        event = {
            "version": "0",
            "id": str(uuid.uuid4()),
            "detail-type": "Scheduled Event",
            "source": "aws.events",
            "account": self._account,
            "time": _timestamp(when),
            "region": self._region,
            "resources": [rule.arn],
            "detail": {},
        }
        return [self._deliver(rule, target, event) for target in rule.targets]

    def _deliver(self, rule: _Rule, target: _Target, event: Mapping[str, Any]) -> str:
        for attempt in range(1, _ATTEMPTS + 1):
            try:
                done = self._send(target, target_input(target.spec, event, rule.name, rule.arn), event)
            except Exception as error:
                log.warning(
                    "rule %s -> %s: attempt %d of %d failed: %r", rule.name, target.arn, attempt, _ATTEMPTS, error
                )
                failure = error
            else:
                log.info("rule %s -> %s", rule.name, done)
                return done
        return self._dead_letter(rule, target, event, failure)

    def _send(self, target: _Target, payload: Any, event: Mapping[str, Any]) -> str:
        if target.service == "lambda":
            function_id = self._function_id(target.arn)
            if function_id is None:
                raise UnresolvedReference(f"{target.arn} is not a function of the template")
            self._invoke(function_id, _event_object(payload))
            return f"function {function_id}"
        if target.service == "states":
            execution = self._client("stepfunctions").start_execution(
                stateMachineArn=target.arn, name=uuid.uuid4().hex, input=json.dumps(payload)
            )
            return f"state machine {target.arn}: execution {execution['executionArn']}"
        if target.service == "events":
            entry = {
                "Source": event["source"],
                "DetailType": event["detail-type"],
                "Detail": json.dumps(event["detail"]),
            }
            self._client("events").put_events(Entries=[{**entry, "EventBusName": target.arn}])
            return f"bus {target.arn}"
        group = target.spec.get("SqsParameters", {}).get("MessageGroupId")
        self._publish(target.arn, _text(payload), group=group, deduplication=str(event["id"]))
        return f"{'queue' if target.service == 'sqs' else 'topic'} {target.arn}"

    def _publish(
        self,
        arn: str,
        message: str,
        group: str | None = None,
        deduplication: str | None = None,
        attributes: Mapping[str, str] | None = None,
    ) -> None:
        """Sends a message to an SQS queue or an SNS topic."""
        fifo = {"MessageGroupId": group or "default", "MessageDeduplicationId": deduplication or uuid.uuid4().hex}
        extra: dict[str, Any] = fifo if arn.endswith(".fifo") else {}
        if attributes:
            extra["MessageAttributes"] = {
                key: {"DataType": "String", "StringValue": value} for key, value in attributes.items()
            }
        if _service(arn) == "sns":
            self._client("sns").publish(TopicArn=arn, Message=message, **extra)
            return
        sqs = self._client("sqs")
        account, name = arn.split(":")[4:6]
        url = sqs.get_queue_url(QueueName=name, QueueOwnerAWSAccountId=account)["QueueUrl"]
        sqs.send_message(QueueUrl=url, MessageBody=message, **extra)

    def _dead_letter(self, rule: _Rule, target: _Target, event: Mapping[str, Any], error: Exception) -> str:
        error_type, message = _lambda_error(error)
        failed = f"{target.arn} failed {_ATTEMPTS} times ({error_type}: {message})"
        if target.dead_letter_arn is None:
            log.error("rule %s: %s; the event is dropped (no dead-letter queue)", rule.name, failed)
            return f"{failed}; dropped"
        attributes = {
            "RULE_ARN": rule.arn,
            "TARGET_ARN": target.arn,
            "ERROR_CODE": error_type,
            "ERROR_MESSAGE": message[:256] or "-",
        }
        self._publish(target.dead_letter_arn, json.dumps(event), attributes=attributes)
        log.error("rule %s: %s; the event went to %s", rule.name, failed, target.dead_letter_arn)
        return f"{failed}; sent to {target.dead_letter_arn}"

    def _read(self, mapping: _StreamMapping, sequence_number: int) -> None:
        """A mapping is done with its stream's records up to `sequence_number`: those every mapping of the
        stream is done with are dropped from moto's shard, which would otherwise keep them all."""
        with self._readers_lock:
            readers = self._readers[mapping.stream_arn]
            readers[mapping.logical_id] = sequence_number
            done = min(readers.values())
        table_name = mapping.stream_arn.split(":table/", 1)[1].split("/stream/", 1)[0]
        table = dynamodb_backends[self._account][self._region].tables.get(table_name)
        if done and table is not None and table.stream_shard is not None:
            release(table.stream_shard, done)

    def _invoke_for_moto(self, function_id: str, body: Any, response_headers: dict[str, str]) -> bytes:
        """A task state's call of a function, answered as Lambda's Invoke answers."""
        try:
            result = self._invoke(function_id, _event_object(json.loads(body or "{}")))
        except Exception as error:
            response_headers["x-amz-function-error"] = "Unhandled"
            error_type, message = _lambda_error(error)
            return json.dumps({"errorType": error_type, "errorMessage": message}).encode()
        return json.dumps(result).encode()


class _StreamPoller:
    """Lambda's event source mapping on a DynamoDB stream: batches, retries, partial failures, on-failure."""

    def __init__(self, eventing: Eventing, mapping: _StreamMapping) -> None:
        self._eventing = eventing
        self._mapping = mapping
        self._streams = eventing._client("dynamodbstreams")
        self._stop = eventing._stop
        self._iterator = ""
        self._shard_id = ""
        self._failed_at: str | None = None
        self._attempts = 0

    def run(self) -> None:
        while not self._stop.is_set():
            try:
                if not self._iterator:
                    self._iterator = self._shard_iterator(self._mapping.starting_position)
                if not self._poll():
                    self._stop.wait(_POLL_SECONDS)
            except Exception:
                log.exception("stream mapping %s: polling failed", self._mapping.logical_id)
                self._iterator = ""
                self._stop.wait(_RETRY_PAUSE[1])

    def _shard_iterator(self, kind: str, sequence_number: str | None = None) -> str:
        description = self._streams.describe_stream(StreamArn=self._mapping.stream_arn)["StreamDescription"]
        self._shard_id = description["Shards"][-1]["ShardId"]  # moto keeps one shard per stream
        at = {"SequenceNumber": sequence_number} if sequence_number else {}
        iterator: str = self._streams.get_shard_iterator(
            StreamArn=self._mapping.stream_arn,
            ShardId=self._shard_id,
            ShardIteratorType=kind,
            **at,
        )["ShardIterator"]
        return iterator

    def _poll(self) -> bool:
        """Handles one batch; False when there was none. An idle iterator is kept: moto stores each one made."""
        response = self._streams.get_records(ShardIterator=self._iterator, Limit=self._mapping.batch_size)
        records = [self._lambda_record(record) for record in response["Records"]]
        if not records:
            return False
        failed_at = self._invoke([record for record in records if self._wanted(record)])
        if failed_at is None:
            self._attempts, self._iterator = 0, response["NextShardIterator"]
            self._eventing._read(self._mapping, int(_sequence(records[-1])))
            return True
        self._attempts = self._attempts + 1 if failed_at == self._failed_at else 1
        self._failed_at = failed_at
        retries = self._mapping.max_retries
        if retries is not None and self._attempts > retries:
            self._give_up([record for record in records if int(_sequence(record)) >= int(failed_at)])
            self._attempts, self._iterator = 0, response["NextShardIterator"]
            self._eventing._read(self._mapping, int(_sequence(records[-1])))
        else:
            self._stop.wait(min(_RETRY_PAUSE[0] * 2 ** (self._attempts - 1), _RETRY_PAUSE[1]))
            self._iterator = self._shard_iterator("AT_SEQUENCE_NUMBER", failed_at)
        return True

    def _wanted(self, record: Mapping[str, Any]) -> bool:
        return not self._mapping.filters or any(matches(record) for matches in self._mapping.filters)

    def _invoke(self, batch: list[dict[str, Any]]) -> str | None:
        """The sequence number to retry from, or None when the batch is done."""
        if not batch:
            return None
        try:
            response = self._eventing._invoke(self._mapping.function_id, {"Records": batch})
        except Exception as error:
            log.warning("stream mapping %s: %s failed: %r", self._mapping.logical_id, self._mapping.function_id, error)
            return _sequence(batch[0])
        if not self._mapping.report_failures:
            return None
        return _first_failure(response, [_sequence(record) for record in batch])

    def _lambda_record(self, record: Mapping[str, Any]) -> dict[str, Any]:
        change = dict(record["dynamodb"])
        change["ApproximateCreationDateTime"] = int(change["ApproximateCreationDateTime"].timestamp())
        for image in ("Keys", "NewImage", "OldImage"):
            if image in change:
                change[image] = {name: _wire(value) for name, value in change[image].items()}
        return {
            "eventID": record["eventID"],
            "eventName": record["eventName"],
            "eventVersion": "1.1",
            "eventSource": "aws:dynamodb",
            "awsRegion": self._eventing._region,
            "dynamodb": change,
            "eventSourceARN": self._mapping.stream_arn,
        }

    def _give_up(self, records: list[dict[str, Any]]) -> None:
        first, last = records[0], records[-1]
        log.error(
            "stream mapping %s: records %s to %s failed %d times; %s",
            self._mapping.logical_id,
            _sequence(first),
            _sequence(last),
            self._attempts,
            f"sent to {self._mapping.on_failure}" if self._mapping.on_failure else "skipped",
        )
        if self._mapping.on_failure is None:
            return
        record = {
            "requestContext": {
                "requestId": str(uuid.uuid4()),
                "functionArn": self._mapping.function_arn,
                "condition": "RetryAttemptsExhausted",
                "approximateInvokeCount": self._attempts,
            },
            "responseContext": {"statusCode": 200, "executedVersion": "$LATEST", "functionError": "Unhandled"},
            "version": "1.0",
            "timestamp": _timestamp(datetime.now(UTC)),
            "DDBStreamBatchInfo": {
                "shardId": self._shard_id,
                "startSequenceNumber": _sequence(first),
                "endSequenceNumber": _sequence(last),
                "approximateArrivalOfFirstRecord": _timestamp(first["dynamodb"]["ApproximateCreationDateTime"]),
                "approximateArrivalOfLastRecord": _timestamp(last["dynamodb"]["ApproximateCreationDateTime"]),
                "batchSize": len(records),
                "streamArn": self._mapping.stream_arn,
            },
        }
        self._eventing._publish(self._mapping.on_failure, json.dumps(record))


def _sequence(record: Mapping[str, Any]) -> str:
    return str(record["dynamodb"]["SequenceNumber"])


def _first_failure(response: Any, sequence_numbers: list[str]) -> str | None:
    """Where to resume after a ReportBatchItemFailures response, as Lambda reads it."""
    failures = response.get("batchItemFailures") if isinstance(response, dict) else None
    if not failures:
        return None
    identifiers = [failure.get("itemIdentifier") if isinstance(failure, dict) else None for failure in failures]
    if any(identifier not in sequence_numbers for identifier in identifiers):
        return sequence_numbers[0]  # an unknown identifier fails the whole batch
    return min((str(identifier) for identifier in identifiers), key=int)


def _wire(value: Mapping[str, Any]) -> dict[str, Any]:
    """An attribute value as Lambda's stream event carries it: binary as base64 text."""
    ((kind, content),) = value.items()
    if kind == "B":
        return {"B": base64.b64encode(content).decode()}
    if kind == "BS":
        return {"BS": [base64.b64encode(item).decode() for item in content]}
    if kind == "L":
        return {"L": [_wire(item) for item in content]}
    if kind == "M":
        return {"M": {name: _wire(item) for name, item in content.items()}}
    return {kind: content}


def _service(arn: str) -> str:
    parts = arn.split(":")
    return parts[2] if len(parts) > 2 else ""


def _bus_name(value: Any) -> str:
    if not value:
        return "default"
    return str(value).split("event-bus/", 1)[-1]


def _timestamp(value: Any) -> str:
    if value is None:
        value = datetime.now(UTC)
    if isinstance(value, int | float):
        value = datetime.fromtimestamp(value, UTC)
    if isinstance(value, datetime):
        return value.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    return str(value)


def _lambda_error(error: Exception) -> tuple[str, str]:
    """The errorType and errorMessage Lambda would report; the runtime's FunctionError carries the function's own."""
    return str(getattr(error, "error_type", type(error).__name__)), str(getattr(error, "message", error))


def _event_object(payload: Any) -> dict[str, Any]:
    if not isinstance(payload, dict):
        raise TypeError(f"a function's event must be a JSON object locally, got {type(payload).__name__}")
    return payload


def _text(payload: Any) -> str:
    return payload if isinstance(payload, str) else json.dumps(payload)


def _log_failure(future: Future[Any]) -> None:
    if not future.cancelled() and future.exception() is not None:
        log.error("event runtime task failed", exc_info=future.exception())


class _Hooks:
    """moto's backends are process-wide: its patched methods consult the Eventing instances running."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._active: list[Eventing] = []

    def register(self, eventing: Eventing) -> None:
        with self._lock:
            _install_patches()
            self._active.append(eventing)

    def unregister(self, eventing: Eventing) -> None:
        with self._lock:
            if eventing in self._active:
                self._active.remove(eventing)

    def active(self) -> list[Eventing]:
        with self._lock:
            return list(self._active)


_HOOKS = _Hooks()


def _install_patches() -> None:
    """Idempotent: wraps moto's PutEvents and its Docker-less Lambda Invoke."""
    put_events = EventsBackend.put_events
    if not getattr(put_events, "__rapport_eventing__", False):
        setattr(EventsBackend, "put_events", _routing_put_events(put_events))  # noqa: B010 - mypy forbids assigning a method
    invoke = LambdaSimpleBackend.invoke
    if not getattr(invoke, "__rapport_eventing__", False):
        setattr(LambdaSimpleBackend, "invoke", _local_invoke(invoke))  # noqa: B010 - as above


def _routing_put_events(original: Callable[..., list[dict[str, Any]]]) -> Callable[..., list[dict[str, Any]]]:
    @functools.wraps(original)
    def put_events(backend: EventsBackend, entries: list[dict[str, Any]]) -> list[dict[str, Any]]:
        results = original(backend, entries)
        for eventing in _HOOKS.active():
            eventing._accept(backend, entries, results)
        return results

    put_events.__rapport_eventing__ = True  # type: ignore[attr-defined]
    return put_events


def _local_invoke(original: Callable[..., Any]) -> Callable[..., Any]:
    @functools.wraps(original)
    def invoke(
        backend: LambdaSimpleBackend,
        function_name: str,
        qualifier: str | None,
        body: Any,
        headers: Any,
        response_headers: dict[str, str],
    ) -> Any:
        for eventing in _HOOKS.active():
            function_id = eventing._function_id(function_name)
            if function_id is not None:
                return eventing._invoke_for_moto(function_id, body, response_headers)
        return original(backend, function_name, qualifier, body, headers, response_headers)

    invoke.__rapport_eventing__ = True  # type: ignore[attr-defined]
    return invoke
