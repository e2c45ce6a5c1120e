"""The outbox end to end: API writes -> the table's stream (moto) -> the publisher -> events on the bus."""

from __future__ import annotations

import json
from typing import Any

import boto3  # type: ignore[import-untyped]
import pytest
from botocore.config import Config  # type: ignore[import-untyped]
from jsonschema import Draft202012Validator  # type: ignore[import-untyped]

from local import event_schemas
from local.lambda_api import Staff, call, create
from rapport.dal.models import Item
from rapport.events.models import DomainEvent
from rapport.events.outbox import publish
from rapport.events.publisher import events_of

ADMIN = Staff().as_("admin")


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

    assert publish(stream_records(), "rapport-test", put_events) == []
    assert {entry["Source"] for entry in entries} == {"rapport"}
    assert {entry["EventBusName"] for entry in entries} == {"rapport-test"}
    validator = Draft202012Validator(json.loads(event_schemas.DOCUMENT.read_text()))
    for entry in entries:
        validator.validate(json.loads(entry["Detail"]))  # the contract consumers code against
    events = [DomainEvent.model_validate_json(entry["Detail"]) for entry in entries]
    assert [entry["DetailType"] for entry in entries] == [event.detail_type for event in events]
    return events


def test_a_contacts_life_is_told_by_its_events():
    contact = create("createContact", last_name="Lovelace", email="ada@acme.example")
    call("updateContact", record_id=contact["id"], body={"job_title": "CTO"})
    call("deleteContact", record_id=contact["id"], headers={"If-Match": None})
    call("restoreContact", ADMIN, record_id=contact["id"], headers={"If-Match": None})
    call("deleteContact", ADMIN, record_id=contact["id"], query={"permanent": "true"}, headers={"If-Match": None})

    events = published()
    assert [event.detail_type for event in events] == [
        "contact.created",
        "contact.updated",
        "contact.deleted",
        "contact.restored",
        "contact.erased",
    ]
    created, updated, deleted, _, erased = events
    assert {event.entity_id for event in events} == {contact["id"]}
    assert {event.tenant_id for event in events} == {"tenant-a"}
    assert created.record["email"] == "ada@acme.example"
    assert created.version == 1
    assert updated.changes["job_title"].model_dump() == {"before": None, "after": "CTO"}
    assert set(updated.changes) == {"job_title"}
    assert deleted.actor == "user-1"
    assert deleted.changes["deleted_at"].before is None
    assert erased.version is None
    assert erased.record["last_name"] == "Lovelace"
    assert len({event.event_id for event in events}) == len(events)


def test_guards_and_idempotency_records_make_no_events():
    call("createAccount")  # with an Idempotency-Key and a domain guard
    assert [event.detail_type for event in published()] == ["account.created"]


def test_redelivery_keeps_event_ids():
    create("createAccount", name="Acme")
    assert [event.event_id for event in published()] == [event.event_id for event in published()]


@pytest.mark.parametrize("failing_entry", [0, 3])
def test_a_rejected_event_is_retried_from_its_record_on(failing_entry):
    for number in range(5):
        create("createAccount", name=f"Company {number}")
    records = stream_records()

    def put_events(batch: list[dict[str, Any]]) -> dict[str, Any]:
        results: list[dict[str, Any]] = [{"EventId": "x"} for _ in batch]
        results[failing_entry] = {"ErrorCode": "InternalFailure", "ErrorMessage": "try again"}
        return {"Entries": results, "FailedEntryCount": 1}

    retry = publish(records, "rapport-test", put_events)
    failing_record = [position for position, record in enumerate(records) if events_of(record)][failing_entry]
    assert retry == [record["dynamodb"]["SequenceNumber"] for record in records[failing_record:]]
