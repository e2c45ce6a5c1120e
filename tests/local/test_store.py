"""The data folder's database: a write is on disk before moto answers it, and before its stream record is read."""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import boto3  # type: ignore[import-untyped]
import pytest
from moto import mock_aws
from moto.core.models import DEFAULT_ACCOUNT_ID
from moto.dynamodb.models import dynamodb_backends

from local.awsmock import load_items, on_write, patch_dynamodb
from local.runtime.store import Database, persist_tables

REGION = "eu-west-1"
TABLE = "kept"


@pytest.fixture
def dynamodb() -> Iterator[Any]:
    patch_dynamodb()
    with mock_aws():
        client = boto3.client("dynamodb", region_name=REGION)
        client.create_table(
            TableName=TABLE,
            KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}, {"AttributeName": "sk", "KeyType": "RANGE"}],
            AttributeDefinitions=[{"AttributeName": name, "AttributeType": "S"} for name in ("pk", "sk")],
            BillingMode="PAY_PER_REQUEST",
            StreamSpecification={"StreamEnabled": True, "StreamViewType": "NEW_AND_OLD_IMAGES"},
        )
        yield client


def _item(pk: str, **attributes: str) -> dict[str, Any]:
    return {"pk": {"S": pk}, "sk": {"S": "A"}, **{name: {"S": value} for name, value in attributes.items()}}


def test_every_change_is_in_the_database_when_moto_answers(dynamodb: Any, tmp_path: Path) -> None:
    database = Database(tmp_path / "state.sqlite3")
    stop = persist_tables(database, {TABLE: "Kept"})
    try:
        dynamodb.put_item(TableName=TABLE, Item=_item("a", v="1"))
        dynamodb.put_item(TableName=TABLE, Item=_item("b"))
        dynamodb.update_item(
            TableName=TABLE,
            Key={"pk": {"S": "a"}, "sk": {"S": "A"}},
            UpdateExpression="SET v = :v",
            ExpressionAttributeValues={":v": {"S": "2"}},
        )
        dynamodb.delete_item(TableName=TABLE, Key={"pk": {"S": "b"}, "sk": {"S": "A"}})
        with database.batched():
            dynamodb.put_item(TableName=TABLE, Item=_item("c"))
        reopened = Database(tmp_path / "state.sqlite3")  # what a restart after kill -9 reads
        kept = sorted(
            json.loads(item)["pk"]["S"] + json.loads(item).get("v", {}).get("S", "") for item in reopened.items("Kept")
        )
    finally:
        stop()
        database.close()
    assert kept == ["a2", "c"]
    table = dynamodb_backends[DEFAULT_ACCOUNT_ID][REGION].get_table(TABLE)
    table.items.clear()
    assert load_items(table, reopened.items("Kept")) == 2
    assert dynamodb.get_item(TableName=TABLE, Key={"pk": {"S": "a"}, "sk": {"S": "A"}})["Item"]["v"] == {"S": "2"}


def test_a_stream_record_is_read_only_once_its_write_is_on_disk(dynamodb: Any) -> None:
    writing, written = threading.Event(), threading.Event()

    def slow_disk(table: Any, changes: list[Any]) -> None:
        writing.set()
        written.wait(5)

    streams = boto3.client(
        "dynamodbstreams", region_name=REGION, endpoint_url=f"https://streams.dynamodb.{REGION}.amazonaws.com"
    )
    arn = dynamodb.describe_table(TableName=TABLE)["Table"]["LatestStreamArn"]
    shard = streams.describe_stream(StreamArn=arn)["StreamDescription"]["Shards"][0]["ShardId"]
    iterator = streams.get_shard_iterator(StreamArn=arn, ShardId=shard, ShardIteratorType="TRIM_HORIZON")
    read: list[Any] = []
    remove = on_write(slow_disk)
    try:
        writer = threading.Thread(target=dynamodb.put_item, kwargs={"TableName": TABLE, "Item": _item("a")})
        writer.start()
        writing.wait(5)
        reader = threading.Thread(
            target=lambda: read.extend(streams.get_records(ShardIterator=iterator["ShardIterator"])["Records"])
        )
        reader.start()
        time.sleep(0.3)
        assert read == []  # the publisher cannot see the change while it is not on disk
        written.set()
        writer.join()
        reader.join()
    finally:
        remove()
    assert [record["dynamodb"]["Keys"]["pk"]["S"] for record in read] == ["a"]
