"""Events and workflows of the local runtime: buses, rules, schedules, state machines and table streams.

moto keeps these resources but, without AWS behind it, does not connect them. This package does:

- `resources`: buses, state machines, SQS queues and SNS topics of the template are created in moto (through
  boto3 at the endpoint) and defined on the runtime's one `Resolver` (`template.py`), which resolves the
  intrinsics in their properties; anything unknown fails with its logical id named.
- `rules`: the template's rules, matched against every event moto's PutEvents accepts and delivered to their
  targets (moto's EventBridge delivers to neither Lambda nor Step Functions).
- `schedules`: scheduled rules fire on timers while running, or at once through `run_schedule`.
- `timers`: one-time EventBridge Scheduler schedules (`at(...)`) of the template's schedule groups, which moto
  stores but never fires, fire when due while running, or through `fire_due_schedules` (the clock passed in).
- `streams`: Lambda's event source mappings on DynamoDB streams, played by pollers reading moto's shard.
- `moto_patches`: PutEvents reaches the rules, and Step Functions task states that call a function run it
  through `invoke` (moto's Lambda without Docker echoes payloads).

The patches act on moto's backends in this process: moto's server must run in it (`aws.EmbeddedAws`).
Step Functions executions call AWS from inside moto at `http://localhost:$MOTO_PORT`, so `start` points
MOTO_PORT at the endpoint's port, and switches moto to executing state machines and to Lambda without
Docker through its `/moto-api/config` endpoint.

Wait states: moto really sleeps through them (`WaitFunction._wait_interval` in
`moto/stepfunctions/parser/asl/component/state/wait/wait_function/wait_function.py`); no setting shortens
it. Two ways to test a Wait until a timestamp without sleeping:

- Give the execution a timestamp in the past (`TimestampPath` pointing at it, or a literal `Timestamp`):
  moto computes a negative wait and goes on at once. moto subtracts the naive *local* time
  (`datetime.now()`) from the UTC timestamp: the runtime makes its clock UTC (`resources.utc_clock`); a
  test that runs moto in its own process keeps the timestamp more than 14 hours in the past. Write it as
  `YYYY-MM-DDTHH:MM:SS[.fff]Z`: moto fails the execution (States.Runtime) on any other form, `+00:00` included.
- In-process, make waits return at once:
  `monkeypatch.setattr(WaitFunction, "_wait_interval", lambda *args, **kwargs: None)` — every Wait
  (Seconds, SecondsPath, Timestamp, TimestampPath) then ends immediately, while the rest still runs.
"""

from __future__ import annotations

import json
import logging
import threading
from collections.abc import Callable
from datetime import datetime
from typing import Any

import boto3  # type: ignore[import-untyped]
from moto.events.models import EventsBackend

from local.runtime.eventing.moto_patches import LISTENERS
from local.runtime.eventing.resources import MotoResources, configure_moto, of_type
from local.runtime.eventing.rules import Rules, load_rule
from local.runtime.eventing.schedules import Schedules
from local.runtime.eventing.shared import Context, EventingError, Invoke, Pool, event_object, lambda_error
from local.runtime.eventing.streams import Readers, StreamPoller, load_mapping
from local.runtime.eventing.timers import OneTimeSchedules
from local.runtime.template import Resolver

__all__ = ["Eventing", "EventingError"]

log = logging.getLogger("rapport.local")
_CREDENTIALS = {"aws_access_key_id": "local", "aws_secret_access_key": "local"}
_SERVICES = ("dynamodb", "dynamodbstreams", "events", "scheduler", "sns", "sqs", "stepfunctions")
_WORKERS = 4


class Eventing:
    """Buses, rules, schedules, state machines and stream mappings of one template, run against moto. What it
    creates is defined on `resolver`, which must know the stack's tables (and may know its functions)."""

    def __init__(self, template: dict[str, Any], invoke: Invoke, aws_endpoint: str, resolver: Resolver) -> None:
        self._resolver = resolver
        self._endpoint = aws_endpoint
        self._invoke = invoke
        self._resources: dict[str, Any] = template.get("Resources", {})
        self._stop = threading.Event()
        self._threads: list[threading.Thread] = []
        self._pool = Pool(_WORKERS)
        self._created: dict[str, str] = {}
        self._context: Context | None = None
        self._rules: Rules | None = None
        self._schedules: Schedules | None = None
        self._timers: OneTimeSchedules | None = None

    def start(self) -> None:
        configure_moto(self._endpoint)
        resolver = self._resolver
        session = boto3.session.Session(region_name=resolver.region, **_CREDENTIALS)
        clients = {service: session.client(service, endpoint_url=self._endpoint) for service in _SERVICES}
        moto = MotoResources(resolver, clients)
        functions = moto.define_functions()
        moto.define_tables()
        moto.create()
        self._created = moto.created
        context = self._context = Context(
            resolver.region, resolver.account, clients, self._invoke, functions, self._stop, self._pool
        )
        rules = self._rules = Rules(
            context, {logical_id: load_rule(resolver, logical_id, p) for logical_id, p in self._of("Events::Rule")}
        )
        self._schedules = Schedules(context, rules)
        self._timers = OneTimeSchedules(context, moto.schedule_groups())
        mappings = [
            load_mapping(context, resolver, logical_id, p) for logical_id, p in self._of("Lambda::EventSourceMapping")
        ]
        LISTENERS.register(self)
        readers = Readers(context, [mapping for mapping in mappings if mapping is not None])
        for mapping in filter(None, mappings):
            self._spawn(f"stream {mapping.logical_id}", StreamPoller(context, readers, mapping).run)
        if self._schedules.due:
            self._spawn("schedules", self._schedules.run_timers)
        if self._timers.groups:
            self._spawn("one-time schedules", self._timers.run_timers)

    def stop(self) -> None:
        self._stop.set()
        LISTENERS.unregister(self)
        for thread in self._threads:
            thread.join(timeout=5)
        dropped = self._pool.shutdown()
        if dropped:
            log.warning("event runtime stopped: %d queued deliveries of accepted events were not run", dropped)

    def pending(self) -> int:
        """Events accepted and deliveries due that have not run yet."""
        return self._pool.pending()

    def run_schedule(self, rule: str) -> list[str]:
        """Fires a scheduled rule now, by logical id or name, and says what each target did."""
        if self._schedules is None:
            raise EventingError("the event runtime is not started")
        return self._schedules.run(rule)

    def fire_due_schedules(self, now: datetime) -> list[str]:
        """Fires the one-time schedules due at `now` (their targets run on the pool); their names."""
        if self._timers is None:
            raise EventingError("the event runtime is not started")
        return self._timers.fire_due(now)

    def resource_names(self) -> dict[str, str]:
        """Logical id -> what `Ref` gives for each bus, state machine, queue and topic created here."""
        return dict(self._created)

    def accept(self, backend: EventsBackend, entries: list[dict[str, Any]], results: list[dict[str, Any]]) -> None:
        if self._rules is not None:
            self._rules.accept(backend, entries, results)

    def invoke_for_moto(self, function_name: str, body: Any, response_headers: dict[str, str]) -> bytes | None:
        """A task state's call of a function, answered as Lambda's Invoke answers."""
        function_id = self._context.function_id(function_name) if self._context else None
        if function_id is None:
            return None
        try:
            result = self._invoke(function_id, event_object(json.loads(body or "{}")))
        except Exception as error:
            response_headers["x-amz-function-error"] = "Unhandled"
            error_type, message = lambda_error(error)
            return json.dumps({"errorType": error_type, "errorMessage": message}).encode()
        return json.dumps(result).encode()

    def _of(self, resource_type: str) -> list[tuple[str, dict[str, Any]]]:
        return list(of_type(self._resources, f"AWS::{resource_type}"))

    def _spawn(self, name: str, target: Callable[[], None]) -> None:
        thread = threading.Thread(target=target, name=f"rapport-{name}", daemon=True)
        thread.start()
        self._threads.append(thread)
