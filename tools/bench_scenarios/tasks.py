"""The tasks' scenario for `make bench` (tools.bench_scenarios): tasks on a contact of the bench's account, and a
task's field history (kept here from the table's stream, as the worker keeps it from the bus)."""

from __future__ import annotations

from typing import Any

import boto3  # type: ignore[import-untyped]
from botocore.config import Config  # type: ignore[import-untyped]

from rapport import field_history
from rapport.dal.models import Item
from rapport.dal.repository import erasure
from rapport.events.publisher import events_of
from tools.bench_scenarios import Operation
from tools.lambda_api import call, create


def _stream_records() -> list[dict[str, Any]]:
    table = boto3.client("dynamodb").describe_table(TableName=Item.Meta.table_name)["Table"]
    # moto answers the regional streams endpoint, not the account-based one botocore picks for a stream ARN
    streams = boto3.client("dynamodbstreams", config=Config(account_id_endpoint_mode="disabled"))
    records: list[dict[str, Any]] = []
    for shard in streams.describe_stream(StreamArn=table["LatestStreamArn"])["StreamDescription"]["Shards"]:
        iterator = streams.get_shard_iterator(
            StreamArn=table["LatestStreamArn"], ShardId=shard["ShardId"], ShardIteratorType="TRIM_HORIZON"
        )["ShardIterator"]
        records += streams.get_records(ShardIterator=iterator)["Records"]
    return records


def _keep_history(record_id: str) -> None:
    """The field history worker's part for one record: the bench has no bus."""
    for record in _stream_records():
        for event in events_of(record, erasure):
            if event.entity_id == record_id:
                field_history.keep(event, lambda: None)


def operations(account_id: str) -> list[Operation]:
    contact = create("createContact", last_name="Tasks", account_id=account_id)["id"]
    task = create("createTask", title="Follow up", due_at="2026-11-27T17:00:00Z", contact_id=contact)
    moved = {"due_at": "2026-11-28T09:00:00Z"}
    kept = create("createTask", title="Kept", contact_id=contact)
    raised = call("updateTask", record_id=kept["id"], headers={"If-Match": '"1"'}, body={"priority": "high"})
    assert raised.status == 200, raised.body
    _keep_history(kept["id"])
    return [
        ("POST /tasks (contact)", lambda: create("createTask", title="Call back", contact_id=contact)),
        (
            "PATCH /tasks/{id} (due moves)",
            lambda: call("updateTask", record_id=task["id"], headers={"If-Match": '"1"'}, body=moved),
        ),
        (
            "GET /tasks?assignee_id=me&status=open",
            lambda: call("listTasks", query={"due_before": "2026-12-01T00:00:00Z"}),
        ),
        ("GET /tasks/{id}/history", lambda: call("listTaskHistory", record_id=kept["id"])),
    ]
