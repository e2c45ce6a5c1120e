"""What the rules, schedules and streams of the eventing share: moto's clients, the template's functions, the
pool their deliveries run on, and sending to a queue or a topic.

The pool's queue is held in memory, as EventBridge holds an event it accepted until its targets have it: what is
still queued when the runtime stops is not run, and the stop says how much (`Pool.shutdown`)."""

from __future__ import annotations

import logging
import threading
import uuid
from collections.abc import Callable, Mapping
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from local.runtime.template import Resolver, UnresolvedReference

log = logging.getLogger("rapport.local")
Invoke = Callable[[str, dict[str, Any]], Any]


class EventingError(Exception):
    """The template asks for something the local event runtime cannot provide."""


@dataclass(frozen=True)
class Context:
    region: str
    account: str
    clients: Mapping[str, Any]  # made before any thread starts: creating clients from several at once is not safe
    invoke: Invoke
    functions: Mapping[str, str]  # function name -> logical id
    stop: threading.Event
    pool: Pool

    def function_id(self, name_or_arn: str) -> str | None:
        name = name_or_arn.split(":function:", 1)[-1].split(":")[0]
        return self.functions.get(name)

    def submit(self, function: Callable[..., Any], *args: Any) -> None:
        """Runs `function` off the caller's thread; its failure is logged."""
        self.pool.submit(function, *args)

    def publish(
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
        if service(arn) == "sns":
            self.clients["sns"].publish(TopicArn=arn, Message=message, **extra)
            return
        sqs = self.clients["sqs"]
        account, name = arn.split(":")[4:6]
        url = sqs.get_queue_url(QueueName=name, QueueOwnerAWSAccountId=account)["QueueUrl"]
        sqs.send_message(QueueUrl=url, MessageBody=message, **extra)


def supported_arn(resolver: Resolver, what: str, value: Any, services: tuple[str, ...]) -> str | None:
    """The ARN, or None (with a warning) when it is of a service the local runtime does not connect."""
    try:
        arn = str(resolver.resolve(value))
    except UnresolvedReference as error:
        log.warning("%s is not run locally: %s", what, error)
        return None
    if service(arn) not in services:
        log.warning("%s is not run locally: %s is not supported", what, arn)
        return None
    return arn


def service(arn: str) -> str:
    parts = arn.split(":")
    return parts[2] if len(parts) > 2 else ""


def timestamp(value: Any) -> str:
    if value is None:
        value = datetime.now(UTC)
    if isinstance(value, int | float):
        value = datetime.fromtimestamp(value, UTC)
    if isinstance(value, datetime):
        return value.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    return str(value)


def lambda_error(error: Exception) -> tuple[str, str]:
    """The errorType and errorMessage Lambda would report; the runtime's FunctionError carries the function's own."""
    return str(getattr(error, "error_type", type(error).__name__)), str(getattr(error, "message", error))


def event_object(payload: Any) -> dict[str, Any]:
    if not isinstance(payload, dict):
        raise TypeError(f"a function's event must be a JSON object locally, got {type(payload).__name__}")
    return payload


class Pool:
    """The threads the deliveries (and the routing of events to them) run on, counting what they have not run."""

    def __init__(self, workers: int) -> None:
        self._executor = ThreadPoolExecutor(max_workers=workers, thread_name_prefix="rapport-events")
        self._lock = threading.Lock()
        self._pending = 0
        self._cancelled = 0

    def submit(self, function: Callable[..., Any], *args: Any) -> None:
        with self._lock:
            self._pending += 1
        try:
            future = self._executor.submit(function, *args)
        except RuntimeError:  # shut down: stop() is under way
            self._ended(cancelled=True)
            log.warning("event runtime stopping: %s not run", function.__name__)
            return
        future.add_done_callback(self._done)

    def pending(self) -> int:
        """Tasks submitted and not ended: an event's routing, or one target's delivery."""
        with self._lock:
            return self._pending

    def shutdown(self) -> int:
        """Ends the running tasks and drops the queued ones; how many were dropped."""
        self._executor.shutdown(wait=True, cancel_futures=True)
        with self._lock:
            return self._cancelled

    def _done(self, future: Future[Any]) -> None:
        self._ended(cancelled=future.cancelled())
        _log_failure(future)

    def _ended(self, *, cancelled: bool) -> None:
        with self._lock:
            self._pending -= 1
            self._cancelled += cancelled


def _log_failure(future: Future[Any]) -> None:
    if not future.cancelled() and future.exception() is not None:
        log.error("event runtime task failed", exc_info=future.exception())
