"""Helpers for the follow-up tests: the outbox played by hand, and the notification requests put on the bus."""

from __future__ import annotations

import json
from typing import Any

import boto3  # type: ignore[import-untyped]
import pytest
from botocore.config import Config  # type: ignore[import-untyped]

from rapport.dal.models import Item
from rapport.dal.repository import erasure
from rapport.events import bus
from rapport.events.outbox import publish
from rapport.followups import FOLLOWUP_EVENTS
from rapport.notifications import requests
from tools.lambda_api import LambdaContext

BUS = "rapport-test"
CONTEXT: Any = LambdaContext()  # what a handler is given as its Lambda context


class Bus:
    """Captures what is put on the bus: the domain events the outbox publishes, the requests workflows put."""

    def __init__(self) -> None:
        self.entries: list[dict[str, Any]] = []
        self._seen: set[str] = set()

    def put_events(self, Entries: list[dict[str, Any]]) -> dict[str, Any]:  # noqa: N803 - boto3's name
        self.entries.extend(Entries)
        return {"Entries": [{"EventId": str(n)} for n in range(len(Entries))], "FailedEntryCount": 0}

    def requests(self) -> list[dict[str, Any]]:
        """The notification requests put so far, and forgets them."""
        found = [json.loads(e["Detail"]) for e in self.entries if e["DetailType"] == requests.DETAIL_TYPE]
        self.entries = [e for e in self.entries if e["DetailType"] != requests.DETAIL_TYPE]
        return found

    def publish_new(self) -> list[dict[str, Any]]:
        """The outbox: new stream records of the table as EventBridge events (the envelope rules see)."""
        fresh = [record for record in _stream_records() if record["eventID"] not in self._seen]
        self._seen.update(record["eventID"] for record in fresh)
        published: list[dict[str, Any]] = []
        assert publish(fresh, BUS, lambda batch: self._collect(batch, published), erasure) == []
        return published

    @staticmethod
    def _collect(batch: list[dict[str, Any]], into: list[dict[str, Any]]) -> dict[str, Any]:
        into.extend(
            {"source": e["Source"], "detail-type": e["DetailType"], "detail": json.loads(e["Detail"])} for e in batch
        )
        return {"Entries": [{"EventId": str(n)} for n in range(len(batch))], "FailedEntryCount": 0}


def deliver(events: list[dict[str, Any]]) -> list[Any]:
    """Route events as the followups rule does (by detail-type) to the followups handler; its answers."""
    from followups.handler import lambda_handler

    return [lambda_handler(event, CONTEXT) for event in events if event["detail-type"] in FOLLOWUP_EVENTS]


def scheduled(time: str) -> dict[str, Any]:
    """A scheduled rule's event at `time`, as EventBridge (and `rapport schedule run`) sends it."""
    return {
        "version": "0",
        "id": "x",
        "detail-type": "Scheduled Event",
        "source": "aws.events",
        "time": time,
        "detail": {},
    }


def _stream_records() -> list[dict[str, Any]]:
    table = boto3.client("dynamodb").describe_table(TableName=Item.Meta.table_name)["Table"]
    streams = boto3.client("dynamodbstreams", config=Config(account_id_endpoint_mode="disabled"))
    shards = streams.describe_stream(StreamArn=table["LatestStreamArn"])["StreamDescription"]["Shards"]
    records: list[dict[str, Any]] = []
    for shard in shards:
        iterator = streams.get_shard_iterator(
            StreamArn=table["LatestStreamArn"], ShardId=shard["ShardId"], ShardIteratorType="TRIM_HORIZON"
        )["ShardIterator"]
        records += streams.get_records(ShardIterator=iterator)["Records"]
    return records


def capture(monkeypatch: pytest.MonkeyPatch) -> Bus:
    """The bus as workflows see it (EVENT_BUS_NAME and the events client), capturing what they put."""
    captured = Bus()
    monkeypatch.setenv("EVENT_BUS_NAME", BUS)
    monkeypatch.setattr(bus, "_events_client", lambda: captured)
    return captured
