"""EventBridge rules, played here: moto's EventBridge delivers to neither Lambda nor Step Functions (its
delivery raises on such targets), so rules are not created in moto. Each entry moto's PutEvents accepts is
matched against the template's rules (`event_patterns`) and delivered to their targets off the caller's thread:
a function through `invoke` (retried twice, then the target's `DeadLetterConfig` queue), a state machine by
StartExecution, an SQS queue, an SNS topic, another bus."""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import Any

from moto.events.models import EventsBackend

from local.runtime.event_patterns import (
    EventPredicate,
    InvalidPattern,
    InvalidSchedule,
    Schedule,
    compile_pattern,
    parse_schedule,
    target_input,
)
from local.runtime.eventing.shared import (
    Context,
    EventingError,
    event_object,
    lambda_error,
    log,
    service,
    supported_arn,
    timestamp,
)
from local.runtime.template import Resolver, UnresolvedReference

_ATTEMPTS = 3  # an asynchronous invocation and Lambda's two retries
_TARGET_SERVICES = ("lambda", "states", "sqs", "sns", "events")
_TARGET_KEYS = ("Input", "InputPath", "InputTransformer", "SqsParameters", "DeadLetterConfig")


@dataclass(frozen=True)
class Target:
    arn: str
    spec: Mapping[str, Any]  # Input, InputPath, InputTransformer, SqsParameters
    dead_letter_arn: str | None

    @property
    def service(self) -> str:
        return service(self.arn)


@dataclass(frozen=True)
class Rule:
    logical_id: str
    name: str
    arn: str
    bus: str
    enabled: bool
    pattern: EventPredicate | None
    schedule: Schedule | None
    targets: tuple[Target, ...]


def load_rule(resolver: Resolver, logical_id: str, properties: Mapping[str, Any]) -> Rule:
    resolve = resolver.resolve
    name = logical_id if properties.get("Name") is None else str(resolve(properties["Name"]))
    bus = bus_name(resolve(properties.get("EventBusName")))
    try:
        pattern = compile_pattern(resolve(properties["EventPattern"])) if "EventPattern" in properties else None
        expression = properties.get("ScheduleExpression")
        schedule = parse_schedule(resolve(expression)) if expression else None
    except (InvalidPattern, InvalidSchedule) as error:
        raise EventingError(f"rule {logical_id}: {error}") from error
    path = name if bus == "default" else f"{bus}/{name}"
    return Rule(
        logical_id=logical_id,
        name=name,
        arn=f"arn:aws:events:{resolver.region}:{resolver.account}:rule/{path}",
        bus=bus,
        enabled=properties.get("State", "ENABLED") == "ENABLED",
        pattern=pattern,
        schedule=schedule,
        targets=tuple(_load_targets(resolver, logical_id, properties.get("Targets", []))),
    )


def _load_targets(resolver: Resolver, rule_id: str, targets: list[Mapping[str, Any]]) -> Iterator[Target]:
    for target in targets:
        what = f"rule {rule_id}, target {target.get('Id')}"
        arn = supported_arn(resolver, what, target["Arn"], _TARGET_SERVICES)
        if arn is None:
            continue
        resolved = resolver.resolve({key: target[key] for key in _TARGET_KEYS if key in target})
        yield Target(
            arn=arn,
            spec={key: value for key, value in resolved.items() if key != "DeadLetterConfig"},
            dead_letter_arn=resolved.get("DeadLetterConfig", {}).get("Arn"),
        )


def bus_name(value: Any) -> str:
    if not value:
        return "default"
    return str(value).split("event-bus/", 1)[-1]


class Rules:
    """The template's rules: routes the events moto accepted to the targets of the rules they match."""

    def __init__(self, context: Context, rules: Mapping[str, Rule]) -> None:
        self._context = context
        self.by_id = dict(rules)

    def accept(self, backend: EventsBackend, entries: list[dict[str, Any]], results: list[dict[str, Any]]) -> None:
        """Called with every PutEvents moto accepted."""
        if (backend.account_id, backend.region_name) != (self._context.account, self._context.region):
            return
        for entry, result in zip(entries, results, strict=True):
            if "EventId" in result:
                bus = bus_name(entry.get("EventBusName"))
                self._context.submit(self._route, bus, self._envelope(entry, result["EventId"]))

    def deliver(self, rule: Rule, target: Target, event: Mapping[str, Any]) -> str:
        """Sends the event to the target, retried as Lambda retries an asynchronous invocation; says what it did."""
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

    def _envelope(self, entry: Mapping[str, Any], event_id: str) -> dict[str, Any]:
        return {
            "version": "0",
            "id": event_id,
            "detail-type": entry["DetailType"],
            "source": entry["Source"],
            "account": self._context.account,
            "time": timestamp(entry.get("Time")),
            "region": self._context.region,
            "resources": entry.get("Resources", []),
            "detail": json.loads(entry["Detail"]),
        }

    def _route(self, bus: str, event: dict[str, Any]) -> None:
        for rule in self.by_id.values():
            if rule.bus == bus and rule.enabled and rule.pattern is not None and rule.pattern(event):
                for target in rule.targets:  # each on its own: a slow function holds back no other target
                    self._context.submit(self.deliver, rule, target, event)

    def _send(self, target: Target, payload: Any, event: Mapping[str, Any]) -> str:
        clients = self._context.clients
        if target.service == "lambda":
            function_id = self._context.function_id(target.arn)
            if function_id is None:
                raise UnresolvedReference(f"{target.arn} is not a function of the template")
            self._context.invoke(function_id, event_object(payload))
            return f"function {function_id}"
        if target.service == "states":
            execution = clients["stepfunctions"].start_execution(
                stateMachineArn=target.arn, name=uuid.uuid4().hex, input=json.dumps(payload)
            )
            return f"state machine {target.arn}: execution {execution['executionArn']}"
        if target.service == "events":
            entry = {
                "Source": event["source"],
                "DetailType": event["detail-type"],
                "Detail": json.dumps(event["detail"]),
            }
            clients["events"].put_events(Entries=[{**entry, "EventBusName": target.arn}])
            return f"bus {target.arn}"
        group = target.spec.get("SqsParameters", {}).get("MessageGroupId")
        text = payload if isinstance(payload, str) else json.dumps(payload)
        self._context.publish(target.arn, text, group=group, deduplication=str(event["id"]))
        return f"{'queue' if target.service == 'sqs' else 'topic'} {target.arn}"

    def _dead_letter(self, rule: Rule, target: Target, event: Mapping[str, Any], error: Exception) -> str:
        error_type, message = lambda_error(error)
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
        self._context.publish(target.dead_letter_arn, json.dumps(event), attributes=attributes)
        log.error("rule %s: %s; the event went to %s", rule.name, failed, target.dead_letter_arn)
        return f"{failed}; sent to {target.dead_letter_arn}"
