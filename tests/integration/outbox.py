"""The table's stream as the publisher sees it, and what it publishes: for tests of events end to end."""

from __future__ import annotations

import json
from typing import Any

import boto3  # type: ignore[import-untyped]
from botocore.config import Config  # type: ignore[import-untyped]
from jsonschema import Draft202012Validator  # type: ignore[import-untyped]

from rapport.dal.models import Item
from rapport.dal.repository import erasure
from rapport.events.models import DomainEvent
from rapport.events.outbox import publish
from tools import event_schemas


def stream_records() -> list[dict[str, Any]]:
    table = boto3.client("dynamodb").describe_table(TableName=Item.Meta.table_name)["Table"]
    # moto answers the regional streams endpoint, not the account-based one botocore picks for a stream ARN
    streams = boto3.client("dynamodbstreams", config=Config(account_id_endpoint_mode="disabled"))
    shards = streams.describe_stream(StreamArn=table["LatestStreamArn"])["StreamDescription"]["Shards"]
    records: list[dict[str, Any]] = []
    for shard in shards:
        iterator = streams.get_shard_iterator(
            StreamArn=table["LatestStreamArn"], ShardId=shard["ShardId"], ShardIteratorType="TRIM_HORIZON"
        )["ShardIterator"]
        records += streams.get_records(ShardIterator=iterator)["Records"]
    return records


def published() -> list[DomainEvent]:
    entries: list[dict[str, Any]] = []

    def put_events(batch: list[dict[str, Any]]) -> dict[str, Any]:
        entries.extend(batch)
        return {"Entries": [{"EventId": str(number)} for number in range(len(batch))], "FailedEntryCount": 0}

    assert publish(stream_records(), "rapport-test", put_events, erasure) == []
    assert {entry["Source"] for entry in entries} == {"rapport"}
    assert {entry["EventBusName"] for entry in entries} == {"rapport-test"}
    validator = Draft202012Validator(json.loads(event_schemas.DOCUMENT.read_text()))
    for entry in entries:
        validator.validate(json.loads(entry["Detail"]))  # the contract consumers code against
    events = [DomainEvent.model_validate_json(entry["Detail"]) for entry in entries]
    assert [entry["DetailType"] for entry in entries] == [event.detail_type for event in events]
    return events
