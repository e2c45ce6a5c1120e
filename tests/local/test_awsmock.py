"""moto's DynamoDB streams behave like DynamoDB's across a failed transaction; a transaction costs what its items do."""

from __future__ import annotations

import copy
from collections.abc import Iterator
from typing import Any

import boto3  # type: ignore[import-untyped]
import pytest
from moto import mock_aws
from moto.dynamodb.models.table import Table

from local.awsmock import serialize_dynamodb

TABLE = "streamed"


@pytest.fixture
def dynamodb() -> Iterator[Any]:
    serialize_dynamodb()
    with mock_aws():
        client = boto3.client("dynamodb", region_name="eu-west-1")
        client.create_table(
            TableName=TABLE,
            KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}],
            AttributeDefinitions=[{"AttributeName": "pk", "AttributeType": "S"}],
            BillingMode="PAY_PER_REQUEST",
            StreamSpecification={"StreamEnabled": True, "StreamViewType": "NEW_AND_OLD_IMAGES"},
        )
        yield client


def _put(pk: str) -> dict[str, Any]:
    return {"Put": {"TableName": TABLE, "Item": {"pk": {"S": pk}}, "ConditionExpression": "attribute_not_exists(pk)"}}


def test_a_shard_iterator_reads_on_after_a_failed_transaction(dynamodb: Any) -> None:
    # botocore's default streams endpoint is not one moto's in-process mock recognizes; its classic one is
    streams = boto3.client(
        "dynamodbstreams", region_name="eu-west-1", endpoint_url="https://streams.dynamodb.eu-west-1.amazonaws.com"
    )
    arn = dynamodb.describe_table(TableName=TABLE)["Table"]["LatestStreamArn"]
    shard = streams.describe_stream(StreamArn=arn)["StreamDescription"]["Shards"][0]["ShardId"]
    iterator = streams.get_shard_iterator(StreamArn=arn, ShardId=shard, ShardIteratorType="LATEST")["ShardIterator"]
    dynamodb.put_item(TableName=TABLE, Item={"pk": {"S": "a"}})
    first = streams.get_records(ShardIterator=iterator)
    with pytest.raises(dynamodb.exceptions.TransactionCanceledException):
        dynamodb.transact_write_items(TransactItems=[_put("b"), _put("a")])
    dynamodb.put_item(TableName=TABLE, Item={"pk": {"S": "c"}})
    then = streams.get_records(ShardIterator=first["NextShardIterator"])
    keys = [record["dynamodb"]["Keys"]["pk"]["S"] for record in first["Records"] + then["Records"]]
    assert keys == ["a", "c"]  # b was never written; c is not lost


def test_a_transaction_backs_its_table_up_once_however_many_items_it_has(
    dynamodb: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    for pk in range(50):
        dynamodb.put_item(TableName=TABLE, Item={"pk": {"S": f"old-{pk}"}})
    copies: list[str] = []
    deepcopy = copy.deepcopy

    def counting(value: Any, memo: dict[int, Any] | None = None) -> Any:
        if isinstance(value, Table):
            copies.append(value.name)
        return deepcopy(value, memo)

    monkeypatch.setattr(copy, "deepcopy", counting)
    dynamodb.transact_write_items(TransactItems=[_put(f"new-{pk}") for pk in range(25)])
    with pytest.raises(dynamodb.exceptions.TransactionCanceledException):
        dynamodb.transact_write_items(TransactItems=[_put("late"), _put("new-0")])
    assert copies == [TABLE, TABLE]
    assert dynamodb.get_item(TableName=TABLE, Key={"pk": {"S": "new-24"}}).get("Item")
    assert "Item" not in dynamodb.get_item(TableName=TABLE, Key={"pk": {"S": "late"}}), "the failed one undone"
