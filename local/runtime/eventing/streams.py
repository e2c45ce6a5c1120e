"""Lambda's event source mappings on DynamoDB streams, played by pollers reading moto's stream shard: batches,
filters, retries, partial batch failures, the on-failure destination. The records every mapping of a stream
has read are released from the shard, which would otherwise keep them all. The pollers run in the process that
holds moto, so they read the shard there (`local.awsmock.stream_records`) rather than through GetRecords: a
request to the runtime's own AWS endpoint, serialized, sent and parsed again, was a fifth of the process's time
while a seed's events flowed. An idle poller waits for a write to its table (`local.awsmock.on_write`) rather
than asking the shard over and over."""

from __future__ import annotations

import base64
import json
import threading
import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from moto.dynamodb.models import dynamodb_backends
from moto.dynamodb.models.table import Table

from local.awsmock import next_sequence_number, on_write, release, stream_records
from local.runtime.event_patterns import EventPredicate, compile_pattern
from local.runtime.eventing.shared import Context, EventingError, log, supported_arn, timestamp
from local.runtime.template import Resolver

_IDLE_POLL_SECONDS = 1.0  # without a write to wake it: in case a change reached the shard without one
_RETRY_PAUSE = (0.2, 10.0)  # first and longest pause before a failed stream batch is tried again


@dataclass(frozen=True)
class StreamMapping:
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


def load_mapping(
    context: Context, resolver: Resolver, logical_id: str, properties: Mapping[str, Any]
) -> StreamMapping | None:
    what = f"event source mapping {logical_id}"
    source = supported_arn(resolver, what, properties["EventSourceArn"], ("dynamodb",))
    if source is None or not properties.get("Enabled", True):
        return None
    resolved = resolver.resolve({key: value for key, value in properties.items() if key != "Tags"})
    function_id = context.function_id(str(resolved["FunctionName"]))
    if function_id is None:
        raise EventingError(f"{what}: {resolved['FunctionName']} is not a template function")
    retries = int(resolved.get("MaximumRetryAttempts", -1))
    filters = resolved.get("FilterCriteria", {}).get("Filters", [])
    return StreamMapping(
        logical_id=logical_id,
        function_id=function_id,
        function_arn=resolver.get_att(function_id, "Arn"),
        stream_arn=source,
        batch_size=int(resolved.get("BatchSize", 100)),
        starting_position=resolved.get("StartingPosition", "TRIM_HORIZON"),
        report_failures="ReportBatchItemFailures" in resolved.get("FunctionResponseTypes", []),
        max_retries=None if retries < 0 else retries,
        on_failure=resolved.get("DestinationConfig", {}).get("OnFailure", {}).get("Destination"),
        filters=tuple(compile_pattern(item["Pattern"]) for item in filters),
    )


class Readers:
    """How far each mapping of each stream has read."""

    def __init__(self, context: Context, mappings: list[StreamMapping]) -> None:
        self._context = context
        self._lock = threading.Lock()
        self._read: dict[str, dict[str, int]] = {}  # stream ARN -> mapping -> last sequence number it read
        for mapping in mappings:
            self._read.setdefault(mapping.stream_arn, {})[mapping.logical_id] = 0

    def read(self, mapping: StreamMapping, sequence_number: int) -> None:
        """A mapping is done with its stream's records up to `sequence_number`: those every mapping of the
        stream is done with are dropped from moto's shard."""
        with self._lock:
            readers = self._read[mapping.stream_arn]
            readers[mapping.logical_id] = sequence_number
            done = min(readers.values())
        table = _stream_table(self._context, mapping.stream_arn)
        if done and table is not None and table.stream_shard is not None:
            release(table.stream_shard, done)


def _table_name(stream_arn: str) -> str:
    return stream_arn.split(":table/", 1)[1].split("/stream/", 1)[0]


def _stream_table(context: Context, stream_arn: str) -> Table | None:
    """The table in moto whose stream `stream_arn` is."""
    return dynamodb_backends[context.account][context.region].tables.get(_table_name(stream_arn))


class StreamPoller:
    """One mapping's poller: runs until the eventing stops."""

    def __init__(self, context: Context, readers: Readers, mapping: StreamMapping) -> None:
        self._context = context
        self._readers = readers
        self._mapping = mapping
        self._stop = context.stop
        self._next: int | None = None  # the sequence number to read from; None until the poller starts
        self._failed_at: str | None = None
        self._attempts = 0

    def run(self) -> None:
        written = threading.Event()
        table = _table_name(self._mapping.stream_arn)
        stop_listening = on_write(lambda changed, _: written.set() if changed.name == table else None)
        try:
            while not self._stop.is_set():
                written.clear()  # before the poll: a write during it wakes the next wait at once
                try:
                    if self._next is None:
                        self._next = self._starting_position()
                    if not self._poll():
                        written.wait(_IDLE_POLL_SECONDS)
                except Exception:
                    log.exception("stream mapping %s: polling failed", self._mapping.logical_id)
                    self._next = None
                    self._stop.wait(_RETRY_PAUSE[1])
        finally:
            stop_listening()

    def _table(self) -> Table:
        table = _stream_table(self._context, self._mapping.stream_arn)
        if table is None:
            raise EventingError(f"stream mapping {self._mapping.logical_id}: its table is not in moto")
        return table

    def _starting_position(self) -> int | None:
        """TRIM_HORIZON: the oldest record kept (None); LATEST: the next record to come."""
        if self._mapping.starting_position == "LATEST":
            return next_sequence_number(self._table())
        return None

    def _poll(self) -> bool:
        """Handles one batch; False when there was none."""
        found = stream_records(self._table(), self._next, self._mapping.batch_size)
        records = [self._lambda_record(record) for record in found]
        if not records:
            return False
        failed_at = self._invoke([record for record in records if self._wanted(record)])
        last = int(_sequence(records[-1]))
        if failed_at is None:
            self._attempts, self._next = 0, last + 1
            self._readers.read(self._mapping, last)
            return True
        self._attempts = self._attempts + 1 if failed_at == self._failed_at else 1
        self._failed_at = failed_at
        retries = self._mapping.max_retries
        if retries is not None and self._attempts > retries:
            self._give_up([record for record in records if int(_sequence(record)) >= int(failed_at)])
            self._attempts, self._next = 0, last + 1
            self._readers.read(self._mapping, last)
        else:
            self._stop.wait(min(_RETRY_PAUSE[0] * 2 ** (self._attempts - 1), _RETRY_PAUSE[1]))
            self._next = int(failed_at)
        return True

    def _wanted(self, record: Mapping[str, Any]) -> bool:
        return not self._mapping.filters or any(matches(record) for matches in self._mapping.filters)

    def _invoke(self, batch: list[dict[str, Any]]) -> str | None:
        """The sequence number to retry from, or None when the batch is done."""
        if not batch:
            return None
        try:
            response = self._context.invoke(self._mapping.function_id, {"Records": batch})
        except Exception as error:
            log.warning("stream mapping %s: %s failed: %r", self._mapping.logical_id, self._mapping.function_id, error)
            return _sequence(batch[0])
        if not self._mapping.report_failures:
            return None
        return _first_failure(response, [_sequence(record) for record in batch])

    def _lambda_record(self, record: Mapping[str, Any]) -> dict[str, Any]:
        change = dict(record["dynamodb"])
        created = change["ApproximateCreationDateTime"]  # moto's: naive, in UTC
        change["ApproximateCreationDateTime"] = int(created.replace(tzinfo=created.tzinfo or UTC).timestamp())
        for image in ("Keys", "NewImage", "OldImage"):
            if image in change:
                change[image] = {name: _wire(value) for name, value in change[image].items()}
        return {
            "eventID": record["eventID"],
            "eventName": record["eventName"],
            "eventVersion": "1.1",
            "eventSource": "aws:dynamodb",
            "awsRegion": self._context.region,
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
            "timestamp": timestamp(datetime.now(UTC)),
            "DDBStreamBatchInfo": {
                "shardId": _shard_id(self._table()),
                "startSequenceNumber": _sequence(first),
                "endSequenceNumber": _sequence(last),
                "approximateArrivalOfFirstRecord": timestamp(first["dynamodb"]["ApproximateCreationDateTime"]),
                "approximateArrivalOfLastRecord": timestamp(last["dynamodb"]["ApproximateCreationDateTime"]),
                "batchSize": len(records),
                "streamArn": self._mapping.stream_arn,
            },
        }
        self._context.publish(self._mapping.on_failure, json.dumps(record))


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
    """An attribute value as Lambda's stream event carries it: binary as base64 text (moto holds either)."""
    ((kind, content),) = value.items()
    if kind == "B":
        return {"B": _base64(content)}
    if kind == "BS":
        return {"BS": [_base64(item) for item in content]}
    if kind == "L":
        return {"L": [_wire(item) for item in content]}
    if kind == "M":
        return {"M": {name: _wire(item) for name, item in content.items()}}
    return {kind: content}


def _base64(content: bytes | str) -> str:
    return base64.b64encode(content).decode() if isinstance(content, bytes) else content


def _shard_id(table: Table) -> str:
    return table.stream_shard.id if table.stream_shard is not None else ""
