"""Publishes a batch of stream records as domain events, reporting the records that did not make it.

Stream records of one shard must be published in order, so on the first record that fails, it and every record
after it are reported as failures: Lambda retries the batch from there (ReportBatchItemFailures).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Any

from rapport.events.models import SOURCE, DomainEvent
from rapport.events.publisher import Erasures, events_of

PUT_EVENTS_LIMIT = 10
PutEvents = Callable[[list[dict[str, Any]]], Mapping[str, Any]]


def publish(
    records: Sequence[Mapping[str, Any]], bus_name: str, put_events: PutEvents, erasures: Erasures
) -> list[str]:
    """Put each record's events on the bus; returns the sequence numbers to retry (empty when all went).

    `erasures` says who erased a record, and when (see rapport.events.publisher)."""
    pending: list[tuple[int, DomainEvent]] = [
        (position, event) for position, record in enumerate(records) for event in events_of(record, erasures)
    ]
    for start in range(0, len(pending), PUT_EVENTS_LIMIT):
        chunk = pending[start : start + PUT_EVENTS_LIMIT]
        response = put_events([_entry(event, bus_name) for _, event in chunk])
        failed = [
            position for (position, _), result in zip(chunk, response["Entries"], strict=True) if "ErrorCode" in result
        ]
        if failed:
            return [_sequence_number(record) for record in records[min(failed) :]]
    return []


def _entry(event: DomainEvent, bus_name: str) -> dict[str, Any]:
    return {
        "Source": SOURCE,
        "DetailType": event.detail_type,
        "Detail": event.model_dump_json(),
        "EventBusName": bus_name,
        "Resources": [],
    }


def _sequence_number(record: Mapping[str, Any]) -> str:
    return str(record["dynamodb"]["SequenceNumber"])
