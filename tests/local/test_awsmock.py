"""Each patch of moto's DynamoDB (local/awsmock.py), tested under the name of the moto behaviour it replaces."""

from __future__ import annotations

import copy
import json
import random
import sys
import threading
from collections.abc import Iterator
from typing import Any

import boto3  # type: ignore[import-untyped]
import pytest
from moto import mock_aws
from moto.core.models import DEFAULT_ACCOUNT_ID
from moto.dynamodb.models import dynamodb_backends
from moto.dynamodb.models.dynamo_type import Item
from moto.dynamodb.models.table import Table

from local import awsmock
from local.awsmock import calling_as, lock_wait, on_write, patch_dynamodb

TABLE = "streamed"
REGION = "eu-west-1"


def _create(client: Any, name: str, **extra: Any) -> None:
    client.create_table(
        TableName=name,
        KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}, {"AttributeName": "sk", "KeyType": "RANGE"}],
        AttributeDefinitions=[{"AttributeName": name, "AttributeType": "S"} for name in ("pk", "sk", "gpk", "gsk")],
        BillingMode="PAY_PER_REQUEST",
        GlobalSecondaryIndexes=[
            {
                "IndexName": "gsi",
                "KeySchema": [
                    {"AttributeName": "gpk", "KeyType": "HASH"},
                    {"AttributeName": "gsk", "KeyType": "RANGE"},
                ],
                "Projection": {"ProjectionType": "ALL"},
            },
            {
                "IndexName": "keys",
                "KeySchema": [{"AttributeName": "gpk", "KeyType": "HASH"}],
                "Projection": {"ProjectionType": "KEYS_ONLY"},
            },
        ],
        **extra,
    )


@pytest.fixture
def dynamodb() -> Iterator[Any]:
    patch_dynamodb()
    with mock_aws():
        client = boto3.client("dynamodb", region_name=REGION)
        _create(client, TABLE, StreamSpecification={"StreamEnabled": True, "StreamViewType": "NEW_AND_OLD_IMAGES"})
        yield client


def _table(name: str = TABLE) -> Table:
    return dynamodb_backends[DEFAULT_ACCOUNT_ID][REGION].get_table(name)


def _streams() -> Any:
    # botocore's default streams endpoint is not one moto's in-process mock recognizes; its classic one is
    return boto3.client(
        "dynamodbstreams", region_name=REGION, endpoint_url=f"https://streams.dynamodb.{REGION}.amazonaws.com"
    )


def _stream_keys(dynamodb: Any, iterator_type: str = "TRIM_HORIZON") -> list[str]:
    streams = _streams()
    arn = dynamodb.describe_table(TableName=TABLE)["Table"]["LatestStreamArn"]
    shard = streams.describe_stream(StreamArn=arn)["StreamDescription"]["Shards"][0]["ShardId"]
    iterator = streams.get_shard_iterator(StreamArn=arn, ShardId=shard, ShardIteratorType=iterator_type)
    records = streams.get_records(ShardIterator=iterator["ShardIterator"])["Records"]
    return [record["dynamodb"]["Keys"]["pk"]["S"] for record in records]


def _put(pk: str, sk: str = "A", **attributes: str) -> dict[str, Any]:
    item = {"pk": {"S": pk}, "sk": {"S": sk}, **{name: {"S": value} for name, value in attributes.items()}}
    return {"Put": {"TableName": TABLE, "Item": item, "ConditionExpression": "attribute_not_exists(pk)"}}


# _serialized


def test_a_shard_iterator_reads_on_after_a_failed_transaction(dynamodb: Any) -> None:
    streams = _streams()
    arn = dynamodb.describe_table(TableName=TABLE)["Table"]["LatestStreamArn"]
    shard = streams.describe_stream(StreamArn=arn)["StreamDescription"]["Shards"][0]["ShardId"]
    iterator = streams.get_shard_iterator(StreamArn=arn, ShardId=shard, ShardIteratorType="LATEST")["ShardIterator"]
    dynamodb.put_item(TableName=TABLE, Item={"pk": {"S": "a"}, "sk": {"S": "A"}})
    first = streams.get_records(ShardIterator=iterator)
    with pytest.raises(dynamodb.exceptions.TransactionCanceledException):
        dynamodb.transact_write_items(TransactItems=[_put("b"), _put("a")])
    dynamodb.put_item(TableName=TABLE, Item={"pk": {"S": "c"}, "sk": {"S": "A"}})
    then = streams.get_records(ShardIterator=first["NextShardIterator"])
    keys = [record["dynamodb"]["Keys"]["pk"]["S"] for record in first["Records"] + then["Records"]]
    assert keys == ["a", "c"]  # b was never written; c is not lost


def test_serialized_calls_count_the_time_a_caller_waited_for_the_lock(dynamodb: Any) -> None:
    held, release = threading.Event(), threading.Event()

    def hold() -> None:
        with awsmock._locked():
            held.set()
            release.wait(5)

    holder = threading.Thread(target=hold)
    holder.start()
    held.wait(5)
    threading.Timer(0.3, release.set).start()
    with calling_as("worker-1"):
        dynamodb.get_item(TableName=TABLE, Key={"pk": {"S": "x"}, "sk": {"S": "A"}})
    holder.join()
    assert 0.2 < lock_wait("worker-1") < 5
    assert lock_wait("worker-1") == 0.0  # counted once
    assert lock_wait("someone-else") == 0.0


# transact_write_items_deep_copies_every_table


def test_transact_write_items_deep_copies_every_table(dynamodb: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    for index in range(50):
        dynamodb.put_item(TableName=TABLE, Item={"pk": {"S": f"p{index}"}, "sk": {"S": "A"}})
    copied: list[type] = []
    deepcopy = copy.deepcopy

    def spy(value: Any, *args: Any) -> Any:
        copied.append(type(value))
        return deepcopy(value, *args)

    monkeypatch.setattr(copy, "deepcopy", spy)
    dynamodb.transact_write_items(TransactItems=[_put("new-1"), _put("new-2")])
    with pytest.raises(dynamodb.exceptions.TransactionCanceledException):
        dynamodb.transact_write_items(TransactItems=[_put("new-3"), _put("p1")])
    assert Table not in copied
    assert copied.count(Item) == 1  # the one existing item the transactions touched: p1


def test_a_cancelled_transaction_undoes_its_writes_and_names_each_reason(dynamodb: Any) -> None:
    dynamodb.put_item(TableName=TABLE, Item={"pk": {"S": "taken"}, "sk": {"S": "A"}, "v": {"S": "old"}})
    dynamodb.put_item(TableName=TABLE, Item={"pk": {"S": "other"}, "sk": {"S": "A"}, "v": {"S": "old"}})
    update = {
        "Update": {
            "TableName": TABLE,
            "Key": {"pk": {"S": "other"}, "sk": {"S": "A"}},
            "UpdateExpression": "SET v = :v",
            "ExpressionAttributeValues": {":v": {"S": "new"}},
        }
    }
    refused = {**_put("taken"), "Put": {**_put("taken")["Put"], "ReturnValuesOnConditionCheckFailure": "ALL_OLD"}}
    refused["Put"]["Item"] = {"pk": {"S": "taken"}, "sk": {"S": "B"}}
    refused["Put"]["ConditionExpression"] = "attribute_not_exists(pk)"
    check = {
        "ConditionCheck": {
            "TableName": TABLE,
            "Key": {"pk": {"S": "taken"}, "sk": {"S": "A"}},
            "ConditionExpression": "attribute_not_exists(pk)",
            "ReturnValuesOnConditionCheckFailure": "ALL_OLD",
        }
    }
    with pytest.raises(dynamodb.exceptions.TransactionCanceledException) as cancelled:
        dynamodb.transact_write_items(TransactItems=[_put("fresh"), update, refused, check])
    reasons = cancelled.value.response["CancellationReasons"]
    assert [reason["Code"] for reason in reasons] == ["None", "None", "None", "ConditionalCheckFailed"]
    assert reasons[3]["Item"]["v"] == {"S": "old"}  # ALL_OLD: the item as it was
    assert "Item" not in dynamodb.get_item(TableName=TABLE, Key={"pk": {"S": "fresh"}, "sk": {"S": "A"}})
    assert "Item" not in dynamodb.get_item(TableName=TABLE, Key={"pk": {"S": "taken"}, "sk": {"S": "B"}})
    kept = dynamodb.get_item(TableName=TABLE, Key={"pk": {"S": "other"}, "sk": {"S": "A"}})["Item"]
    assert kept["v"] == {"S": "old"}
    assert _stream_keys(dynamodb) == ["taken", "other"]  # the put before; nothing of the cancelled transaction
    with pytest.raises(dynamodb.exceptions.ClientError, match="multiple operations on one item"):
        dynamodb.transact_write_items(TransactItems=[_put("twice"), _put("twice")])
    assert "Item" not in dynamodb.get_item(TableName=TABLE, Key={"pk": {"S": "twice"}, "sk": {"S": "A"}})


def test_a_committed_transaction_is_reported_once_per_item(dynamodb: Any) -> None:
    seen: list[tuple[str, str, dict[str, Any] | None]] = []

    def listener(table: Table, changes: list[Any]) -> None:
        for hash_key, _, item in changes:
            seen.append((table.name, hash_key.value, json.loads(item) if item else None))

    remove = on_write(listener)
    try:
        dynamodb.put_item(TableName=TABLE, Item={"pk": {"S": "gone"}, "sk": {"S": "A"}})
        seen.clear()
        delete = {"Delete": {"TableName": TABLE, "Key": {"pk": {"S": "gone"}, "sk": {"S": "A"}}}}
        dynamodb.transact_write_items(TransactItems=[_put("one"), delete])
    finally:
        remove()
    assert sorted(seen, key=str) == sorted(
        [(TABLE, "one", {"pk": {"S": "one"}, "sk": {"S": "A"}}), (TABLE, "gone", None)], key=str
    )


# query_sorts_the_whole_table


def _random_items(count: int, rng: random.Random) -> list[dict[str, Any]]:
    items = []
    for index in range(count):
        item: dict[str, Any] = {"pk": {"S": f"p{rng.randrange(4)}"}, "sk": {"S": f"s{index:04d}{rng.choice('ab')}"}}
        if rng.random() < 0.8:  # a sparse index
            item["gpk"] = {"S": f"g{rng.randrange(3)}"}
            if rng.random() < 0.8:
                item["gsk"] = {"S": rng.choice(["aa", "ab", "b", "ba", "c"]) + str(rng.randrange(5))}
        item["data"] = {"S": "x" * rng.randrange(1, 20)}
        items.append(item)
    return items


def _queries(rng: random.Random) -> Iterator[dict[str, Any]]:
    conditions = [
        ("gsk = :a", {":a": {"S": "ab1"}}),
        ("gsk < :a", {":a": {"S": "b"}}),
        ("gsk <= :a", {":a": {"S": "b0"}}),
        ("gsk > :a", {":a": {"S": "ab"}}),
        ("gsk >= :a", {":a": {"S": "ba1"}}),
        ("gsk BETWEEN :a AND :b", {":a": {"S": "ab"}, ":b": {"S": "ba9"}}),
        ("begins_with(gsk, :a)", {":a": {"S": "b"}}),
    ]
    for _ in range(80):
        index = rng.choice([None, "gsi", "keys"])
        hash_name, hash_value = ("pk", f"p{rng.randrange(5)}") if index is None else ("gpk", f"g{rng.randrange(4)}")
        expression, values = f"{hash_name} = :h", {":h": {"S": hash_value}}
        if index == "gsi" and rng.random() < 0.7:
            condition, condition_values = rng.choice(conditions)
            expression, values = f"{expression} AND {condition}", {**values, **condition_values}
        elif index is None and rng.random() < 0.5:
            expression, values = f"{expression} AND begins_with(sk, :p)", {**values, ":p": {"S": "s00"}}
        query: dict[str, Any] = {
            "KeyConditionExpression": expression,
            "ExpressionAttributeValues": values,
            "ScanIndexForward": rng.random() < 0.5,
        }
        if index:
            query["IndexName"] = index
        if rng.random() < 0.7:
            query["Limit"] = rng.randrange(1, 12)
        if index != "keys" and rng.random() < 0.2:
            query["FilterExpression"] = "size(#d) > :n"
            query["ExpressionAttributeNames"] = {"#d": "data"}
            query["ExpressionAttributeValues"] = {**values, ":n": {"N": "5"}}
        yield query


def _pages(dynamodb: Any, query: dict[str, Any]) -> list[tuple[list[Any], Any, int, int]]:
    pages, start = [], None
    while True:
        page = dynamodb.query(**{"TableName": TABLE, **query}, **({"ExclusiveStartKey": start} if start else {}))
        pages.append((page["Items"], page.get("LastEvaluatedKey"), page["Count"], page["ScannedCount"]))
        start = page.get("LastEvaluatedKey")
        if start is None or len(pages) > 200:
            return pages


def test_query_sorts_the_whole_table(dynamodb: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    """Every page of every query is what moto's own query answers, without reading the whole table."""
    rng = random.Random(7)
    for item in _random_items(120, rng):
        dynamodb.put_item(TableName=TABLE, Item=item)
    for index in range(0, 120, 7):  # writes after the partitions are built keep them current
        dynamodb.delete_item(TableName=TABLE, Key={"pk": {"S": f"p{index % 4}"}, "sk": {"S": f"s{index:04d}a"}})
    moved = {"pk": {"S": "p1"}, "sk": {"S": "s0001b"}}
    dynamodb.update_item(
        TableName=TABLE,
        Key=moved,
        UpdateExpression="SET gpk = :g, gsk = :s, #d = :d",
        ExpressionAttributeNames={"#d": "data"},
        ExpressionAttributeValues={":g": {"S": "g0"}, ":s": {"S": "ab1"}, ":d": {"S": "moved"}},
    )
    queries = list(_queries(rng))
    patched = [_pages(dynamodb, query) for query in queries]

    def reading_everything(table: Table) -> Any:
        raise AssertionError("a query read the whole table")

    monkeypatch.setattr(Table, "all_items", reading_everything)
    assert [_pages(dynamodb, query) for query in queries[:5]]  # the patched query never asks for all items
    monkeypatch.undo()
    monkeypatch.setattr(Table, "query", getattr(Table.query, "__wrapped__"))  # noqa: B009 - mypy knows no __wrapped__
    assert [_pages(dynamodb, query) for query in queries] == patched


def test_a_query_costs_what_it_returns_not_the_table(dynamodb: Any) -> None:
    """A page of 25 from an index partition of 10,000 items makes as many calls as one from 200: counted, not
    timed, so that a loaded machine cannot make it pass or fail."""

    def calls_for_a_page(count: int) -> int:
        with dynamodb_batch(dynamodb) as put:
            for index in range(count):
                put({"pk": {"S": f"bulk{index}"}, "sk": {"S": "A"}, "gpk": {"S": "all"}, "gsk": {"S": f"{index:06d}"}})
        query = {"KeyConditionExpression": "gpk = :h", "ExpressionAttributeValues": {":h": {"S": "all"}}}
        dynamodb.query(TableName=TABLE, IndexName="gsi", Limit=25, **query)  # builds the partitions
        page = {"TableName": TABLE, "IndexName": "gsi", "Limit": 25, "ScanIndexForward": False, **query}
        return _calls(lambda: dynamodb.query(**page))

    small = calls_for_a_page(200)
    large = calls_for_a_page(10_000)
    assert large <= small * 1.05


def _calls(action: Any) -> int:
    """How many Python and C functions `action` calls on this thread."""
    calls = 0

    def count(frame: Any, event: str, arg: Any) -> None:
        nonlocal calls
        if event in ("call", "c_call"):
            calls += 1

    sys.setprofile(count)
    try:
        action()
    finally:
        sys.setprofile(None)
    return calls


# query_builds_every_item_it_returns

EVERY_TYPE = {
    "s": {"S": "text é"},
    "n": {"N": "-12.50"},
    "b": {"B": b"\x00\xffbytes"},
    "bool": {"BOOL": False},
    "null": {"NULL": True},
    "ss": {"SS": ["a", "b"]},
    "ns": {"NS": ["1", "2.5"]},
    "bs": {"BS": [b"x", b"y"]},
    "l": {"L": [{"S": "x"}, {"N": "1"}, {"M": {"deep": {"B": b"z"}}}]},
    "m": {"M": {"inner": {"L": [{"BOOL": True}]}, "empty": {"M": {}}}},
}


def test_query_builds_every_item_it_returns(dynamodb: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    """A page is written from the items' kept text, and reads as moto's own answer: every attribute type, both
    directions, paged, from an index, filtered, counted, with consumed capacity. No item is made an object."""
    for index in range(7):
        item = {"pk": {"S": "p"}, "sk": {"S": f"s{index}"}, "gpk": {"S": "g"}, "gsk": {"S": f"{7 - index}"}}
        dynamodb.put_item(TableName=TABLE, Item={**item, **EVERY_TYPE})
    table_query = {"KeyConditionExpression": "pk = :p", "ExpressionAttributeValues": {":p": {"S": "p"}}}
    index_query = {
        "IndexName": "gsi",
        "KeyConditionExpression": "gpk = :g",
        "ExpressionAttributeValues": {":g": {"S": "g"}},
    }
    names = {
        "ExpressionAttributeNames": {"#b": "b", "#i": "inner"},
        "ExpressionAttributeValues": {":p": {"S": "p"}, ":x": {"S": "3"}, ":b": {"B": b"\x00\xffbytes"}},
    }
    queries = [
        {**query, **options}
        for query in (table_query, index_query)
        for options in (
            {},
            {"Limit": 3},
            {"Limit": 7},
            {"Limit": 2, "ScanIndexForward": False},
            {"Select": "COUNT"},
            {"ReturnConsumedCapacity": "TOTAL", "Limit": 4},
        )
    ] + [
        {**table_query, "Limit": limit, "FilterExpression": "gsk > :x AND #b = :b AND attribute_exists(m.#i)", **names}
        for limit in (2, 5, 9)
    ]
    made = 0
    make = Item.__init__

    def counted(*args: Any, **kwargs: Any) -> None:
        nonlocal made
        made += 1
        make(*args, **kwargs)

    def answers() -> list[list[dict[str, Any]]]:
        pages: list[list[dict[str, Any]]] = []
        for query in queries:
            pages.append([])
            start = None
            while True:
                page = dynamodb.query(TableName=TABLE, **query, **({"ExclusiveStartKey": start} if start else {}))
                page.pop("ResponseMetadata")
                pages[-1].append(page)
                start = page.get("LastEvaluatedKey")
                if start is None:
                    break
        return pages

    dynamodb.query(TableName=TABLE, **index_query)  # builds the partitions
    monkeypatch.setattr(Item, "__init__", counted)
    assert dynamodb.query(TableName=TABLE, **table_query)["Count"] == 7
    assert made == 0
    assert "LastEvaluatedKey" in dynamodb.query(TableName=TABLE, Limit=3, **table_query)
    assert made == 0
    from_text = answers()
    monkeypatch.setattr(awsmock, "_answerable_as_text", lambda *_: False)
    assert from_text == answers()
    assert from_text[0][0]["Items"][0]["b"] == {"B": b"\x00\xffbytes"}


def test_a_page_of_kept_texts_stops_at_a_megabyte_as_moto_does(dynamodb: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    for index in range(6):
        item = {"pk": {"S": "big"}, "sk": {"S": f"s{index}"}, "a": {"S": "x" * 300_000}}
        dynamodb.put_item(TableName=TABLE, Item=item)

    def keys() -> list[tuple[list[str], Any]]:
        pages: list[tuple[list[str], Any]] = []
        start = None
        query = {"KeyConditionExpression": "pk = :p", "ExpressionAttributeValues": {":p": {"S": "big"}}}
        while True:
            extra: dict[str, Any] = {"ExclusiveStartKey": start} if start else {}
            page = dynamodb.query(TableName=TABLE, **query, **extra)
            pages.append(([item["sk"]["S"] for item in page["Items"]], page.get("LastEvaluatedKey")))
            start = page.get("LastEvaluatedKey")
            if start is None:
                return pages

    from_text = keys()
    assert len(from_text) == 2
    monkeypatch.setattr(awsmock, "_answerable_as_text", lambda *_: False)
    assert from_text == keys()


class dynamodb_batch:  # noqa: N801 - used as a context manager, like a function
    def __init__(self, dynamodb: Any) -> None:
        self._dynamodb = dynamodb
        self._items: list[dict[str, Any]] = []

    def __enter__(self) -> Any:
        return self._items.append

    def __exit__(self, *_: object) -> None:
        for start in range(0, len(self._items), 25):
            requests = [{"PutRequest": {"Item": item}} for item in self._items[start : start + 25]]
            self._dynamodb.batch_write_item(RequestItems={TABLE: requests})


# condition_expressions_are_lexed_at_each_request

EXPRESSIONS = [
    "#0 IN (:0, :1, :2)",
    "attribute_not_exists(pk) AND (#v = :v OR size(#l) > :n)",
    "NOT begins_with(#a.b[1], :p) AND #n BETWEEN :x AND :y",
    "#a <> :a",
]


def test_condition_expressions_are_lexed_at_each_request(monkeypatch: pytest.MonkeyPatch) -> None:
    """Each expression is lexed once, and parses as moto parses it, as often as it is parsed."""
    from moto.dynamodb.comparisons import ConditionExpressionParser

    patch_dynamodb()
    names = {"#0": "type", "#v": "version", "#l": "list", "#a": "a", "#n": "n"}
    values = {name: {"S": name} for name in (":0", ":1", ":2", ":v", ":p", ":a", ":x", ":y")} | {":n": {"N": "1"}}

    def parsed() -> list[Any]:
        return [_tree(ConditionExpressionParser(expression, names, values).parse()) for expression in EXPRESSIONS * 2]

    lexed = 0
    lex_one = ConditionExpressionParser._lex_one_node

    def counted(parser: Any, remaining: str) -> Any:
        nonlocal lexed
        lexed += 1
        return lex_one(parser, remaining)

    monkeypatch.setattr(ConditionExpressionParser, "_lex_one_node", counted)
    patched = parsed()
    once = lexed
    assert parsed() == patched
    assert lexed == once
    with pytest.raises(ValueError, match="Cannot parse condition starting at:!"):
        ConditionExpressionParser("#a = :a !", names, values).parse()
    unpatched = getattr(ConditionExpressionParser._lex_condition_expression, "__wrapped__")  # noqa: B009
    monkeypatch.setattr(ConditionExpressionParser, "_lex_condition_expression", unpatched)
    assert parsed() == patched
    assert lexed > once


def _tree(node: Any) -> Any:
    """A parsed expression as plain values, to compare (moto's own repr fails on list indexes)."""
    if isinstance(node, list | tuple):
        return [_tree(element) for element in node]
    if isinstance(node, dict):
        return {name: _tree(value) for name, value in node.items()}
    if hasattr(node, "__dict__"):
        return (type(node).__name__, _tree(vars(node)))
    return node


# stream_shard_keeps_every_record


def test_stream_shard_keeps_every_record(dynamodb: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(awsmock, "STREAM_RECORDS_KEPT", 5)
    for index in range(12):
        dynamodb.put_item(TableName=TABLE, Item={"pk": {"S": f"k{index}"}, "sk": {"S": "A"}})
    shard = _table().stream_shard
    assert shard is not None
    assert len(shard.items) == 5
    assert _stream_keys(dynamodb) == [f"k{index}" for index in range(7, 12)]  # the newest, in order
    numbers = [int(record.record["dynamodb"]["SequenceNumber"]) for record in shard.items]
    assert numbers == list(range(numbers[0], numbers[0] + 5))
    awsmock.release(shard, numbers[2])
    assert _stream_keys(dynamodb) == ["k10", "k11"]
    dynamodb.put_item(TableName=TABLE, Item={"pk": {"S": "k12"}, "sk": {"S": "A"}})
    assert int(shard.items[-1].record["dynamodb"]["SequenceNumber"]) == numbers[-1] + 1


# shard_iterators_are_kept_for_ever


def test_shard_iterators_are_kept_for_ever(dynamodb: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    from moto.dynamodbstreams.models import dynamodbstreams_backends

    monkeypatch.setattr(awsmock, "SHARD_ITERATORS_KEPT", 10)
    streams = _streams()
    arn = dynamodb.describe_table(TableName=TABLE)["Table"]["LatestStreamArn"]
    shard = streams.describe_stream(StreamArn=arn)["StreamDescription"]["Shards"][0]["ShardId"]
    held = streams.get_shard_iterator(StreamArn=arn, ShardId=shard, ShardIteratorType="LATEST")["ShardIterator"]
    for _ in range(30):  # an idle poller: it keeps its iterator, each poll makes a new one
        assert streams.get_records(ShardIterator=held)["Records"] == []
    assert len(dynamodbstreams_backends[DEFAULT_ACCOUNT_ID][REGION].shard_iterators) <= 10
    dynamodb.put_item(TableName=TABLE, Item={"pk": {"S": "late"}, "sk": {"S": "A"}})
    assert [record["dynamodb"]["Keys"]["pk"]["S"] for record in streams.get_records(ShardIterator=held)["Records"]] == [
        "late"
    ]


# item_measures_itself_at_each_attribute


def test_item_measures_itself_at_each_attribute(dynamodb: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    from moto.dynamodb.models.dynamo_type import DynamoType

    measured = 0
    size = DynamoType.size

    def counted(value: DynamoType) -> int:
        nonlocal measured
        measured += 1
        return size(value)

    monkeypatch.setattr(DynamoType, "size", counted)
    wide = {"pk": {"S": "wide"}, "sk": {"S": "A"}, **{f"a{index}": {"S": "x"} for index in range(300)}}
    dynamodb.put_item(TableName=TABLE, Item=wide)
    assert measured < 5 * len(wide)  # moto measures every attribute again at each one it adds: 45,000 times
    monkeypatch.undo()
    with pytest.raises(dynamodb.exceptions.ClientError, match="Item size has exceeded the maximum allowed size"):
        dynamodb.put_item(TableName=TABLE, Item={"pk": {"S": "big"}, "sk": {"S": "A"}, "a": {"S": "x" * 410_000}})


# items_are_trees_of_objects


def test_items_are_trees_of_objects(dynamodb: Any) -> None:
    """Items loaded from text answer every read and write as items put through the API, in a fraction of the memory."""
    import tracemalloc

    rng = random.Random(3)
    items = _random_items(600, rng)
    _create(dynamodb, "eager")
    with dynamodb_batch(dynamodb) as put:
        for item in items:
            put(item)
    tracemalloc.start()
    loaded = awsmock.load_items(_table(), (json.dumps(item) for item in items))
    held, _ = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    for item in items:
        dynamodb.put_item(TableName="eager", Item=item)
    assert loaded == len(items)
    assert held / loaded < 1_500  # bytes an item: moto's objects take about 2,300 B for these small items

    def answers(table: str) -> list[Any]:
        key = {"pk": {"S": "p1"}, "sk": items[5]["sk"]}
        return [
            dynamodb.get_item(TableName=table, Key={"pk": items[5]["pk"], "sk": items[5]["sk"]}).get("Item"),
            *(_pages(dynamodb, {**query, "TableName": table}) for query in list(_queries(random.Random(5)))[:30]),
            dynamodb.update_item(
                TableName=table,
                Key={"pk": items[7]["pk"], "sk": items[7]["sk"]},
                UpdateExpression="SET n = :n",
                ExpressionAttributeValues={":n": {"N": "1"}},
                ReturnValues="ALL_NEW",
            )["Attributes"],
            dynamodb.delete_item(TableName=table, Key=key, ReturnValues="ALL_OLD").get("Attributes"),
            sorted(map(str, dynamodb.scan(TableName=table)["Items"])),
        ]

    assert answers(TABLE) == answers("eager")


def test_a_load_runs_without_the_garbage_collector_and_gives_it_back(dynamodb: Any) -> None:
    """Every object a load makes stays: a collection during it walks them all and frees nothing."""
    import gc

    collecting: list[bool] = []

    def texts() -> Iterator[str]:
        for item in _random_items(20, random.Random(4)):
            collecting.append(gc.isenabled())
            yield json.dumps(item)

    assert gc.isenabled()
    awsmock.load_items(_table(), texts())
    assert collecting == [False] * 20
    assert gc.isenabled()
    gc.disable()
    try:
        awsmock.load_items(_table(), iter([]))
        assert not gc.isenabled()  # paused by its caller: left paused
    finally:
        gc.enable()


def test_items_written_or_read_are_kept_as_text_between_requests(dynamodb: Any) -> None:
    """No request leaves objects behind: memory follows the items, not the writes and reads made."""
    for index in range(50):
        dynamodb.put_item(TableName=TABLE, Item={"pk": {"S": "p"}, "sk": {"S": f"s{index}"}, "n": {"N": "0"}})
        dynamodb.update_item(
            TableName=TABLE,
            Key={"pk": {"S": "p"}, "sk": {"S": f"s{index}"}},
            UpdateExpression="ADD n :one",
            ExpressionAttributeValues={":one": {"N": "1"}},
        )
    dynamodb.transact_write_items(TransactItems=[_put("t1"), _put("t2")])
    dynamodb.get_item(TableName=TABLE, Key={"pk": {"S": "p"}, "sk": {"S": "s1"}})
    page = dynamodb.query(
        TableName=TABLE, KeyConditionExpression="pk = :p", ExpressionAttributeValues={":p": {"S": "p"}}
    )
    stored = [value for partition in _table().items.values() for value in dict.values(partition)]
    assert len(stored) == 52
    assert all(isinstance(value, str) for value in stored)
    assert {item["n"]["N"] for item in page["Items"]} == {"1"}


def test_loaded_partitions_outlive_a_table_update(dynamodb: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    """Switching a table's stream or TTL on leaves its query partitions be: only a new index rebuilds them."""
    awsmock.load_items(_table(), (json.dumps(item) for item in _random_items(50, random.Random(1))))

    def rebuilt(*_: Any) -> Any:
        raise AssertionError("the partitions were built again from every item")

    monkeypatch.setattr(awsmock._Partitions, "of", rebuilt)
    dynamodb.update_time_to_live(TableName=TABLE, TimeToLiveSpecification={"Enabled": True, "AttributeName": "ttl"})
    dynamodb.update_table(TableName=TABLE, BillingMode="PAY_PER_REQUEST")
    query = {"KeyConditionExpression": "gpk = :g", "ExpressionAttributeValues": {":g": {"S": "g1"}}}
    assert dynamodb.query(TableName=TABLE, IndexName="gsi", **query)["Items"]


# reads_are_serialized_shape_by_shape


def test_reads_are_serialized_shape_by_shape(dynamodb: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    """Reads written as plain JSON parse to what moto's generic serializer gives, every attribute type included."""
    from moto.core.serialize import get_serializer_class
    from moto.dynamodb.responses import DynamoResult

    for index in range(3):
        dynamodb.put_item(TableName=TABLE, Item={"pk": {"S": "p"}, "sk": {"S": f"s{index}"}, **EVERY_TYPE})
    key = {"pk": {"S": "p"}, "sk": {"S": "s1"}}
    query = {"KeyConditionExpression": "pk = :p", "ExpressionAttributeValues": {":p": {"S": "p"}}}

    def reads() -> list[Any]:
        answers = [
            dynamodb.get_item(TableName=TABLE, Key=key),
            dynamodb.get_item(TableName=TABLE, Key={"pk": {"S": "none"}, "sk": {"S": "A"}}),
            dynamodb.query(TableName=TABLE, Limit=2, **query),
            dynamodb.scan(TableName=TABLE, Limit=2),
            dynamodb.batch_get_item(RequestItems={TABLE: {"Keys": [key]}}),
            dynamodb.transact_get_items(TransactItems=[{"Get": {"TableName": TABLE, "Key": key}}]),
        ]
        for answer in answers:
            answer.pop("ResponseMetadata")
        return answers

    serializer = get_serializer_class("dynamodb", "json")

    def walking_shapes(*_: Any) -> Any:
        raise AssertionError("a read went through the generic serializer")

    with monkeypatch.context() as patch:
        patch.setattr(serializer, "serialize", walking_shapes)
        patched = reads()
    monkeypatch.setattr(DynamoResult, "execute_result", getattr(DynamoResult.execute_result, "__wrapped__"))  # noqa: B009
    assert patched == reads()
    assert patched[0]["Item"]["b"] == {"B": b"\x00\xffbytes"}


# requests_are_parsed_shape_by_shape


def test_requests_are_parsed_shape_by_shape(dynamodb: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    """The requests that carry items are read as plain JSON, to exactly what moto's generic parser gives: items of
    every attribute type, conditions, updates, queries, batches and transactions; binary values still go through
    it (it decodes them)."""
    from moto.dynamodb.responses import DynamoHandler

    generic = getattr(DynamoHandler.parse_parameters, "__wrapped__")  # noqa: B009 - unknown to mypy
    walks: list[str] = []

    def walking(handler: Any, request: Any) -> None:
        walks.append(handler._get_action())
        generic(handler, request)

    patched = awsmock._plain_json_requests(walking)
    plain: list[str] = []

    def both(handler: Any, request: Any) -> None:
        generic(handler, request)
        walked, walks_before = handler.params, len(walks)
        patched(handler, request)
        assert handler.params == walked, handler._get_action()
        if len(walks) == walks_before:
            plain.append(handler._get_action())

    monkeypatch.setattr(DynamoHandler, "parse_parameters", both)
    rng = random.Random(11)
    items = _random_items(40, rng)
    nested = {"pk": {"S": "p9"}, "sk": {"S": "n"}, "m": {"M": {"l": {"L": [{"N": "1.5"}, {"NULL": True}]}}}}
    nested |= {"ss": {"SS": ["a", "b"]}, "ns": {"NS": ["1", "2"]}, "t": {"BOOL": True}}
    dynamodb.batch_write_item(RequestItems={TABLE: [{"PutRequest": {"Item": item}} for item in items[:20]]})
    dynamodb.put_item(TableName=TABLE, Item=nested, ConditionExpression="attribute_not_exists(pk)")
    dynamodb.transact_write_items(
        TransactItems=[
            {"Put": {"TableName": TABLE, "Item": items[20]}},
            {
                "Update": {
                    "TableName": TABLE,
                    "Key": {"pk": nested["pk"], "sk": nested["sk"]},
                    "UpdateExpression": "SET #c = if_not_exists(#c, :zero) + :one REMOVE t",
                    "ExpressionAttributeNames": {"#c": "count"},
                    "ExpressionAttributeValues": {":zero": {"N": "0"}, ":one": {"N": "1"}},
                    "ConditionExpression": "attribute_exists(pk)",
                }
            },
        ]
    )
    for query in list(_queries(rng))[:10]:
        _pages(dynamodb, query)
    dynamodb.get_item(TableName=TABLE, Key={"pk": nested["pk"], "sk": nested["sk"]}, ConsistentRead=True)
    dynamodb.batch_get_item(RequestItems={TABLE: {"Keys": [{"pk": nested["pk"], "sk": nested["sk"]}]}})
    dynamodb.scan(TableName=TABLE, Limit=5)
    dynamodb.delete_item(TableName=TABLE, Key={"pk": items[0]["pk"], "sk": items[0]["sk"]}, ReturnValues="ALL_OLD")
    assert {"BatchWriteItem", "PutItem", "TransactWriteItems", "Query", "GetItem", "Scan", "DeleteItem"} <= set(plain)
    plain.clear()
    dynamodb.put_item(TableName=TABLE, Item={"pk": {"S": "b"}, "sk": {"S": "b"}, "m": {"M": {"x": {"B": b"\x00"}}}})
    assert plain == []  # binary: moto's parser decodes it
    read = dynamodb.get_item(TableName=TABLE, Key={"pk": {"S": "b"}, "sk": {"S": "b"}})["Item"]
    assert plain == ["GetItem"]
    assert read["m"] == {"M": {"x": {"B": b"\x00"}}}


def test_stream_records_are_serialized_shape_by_shape(dynamodb: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    """A stream's records written as plain JSON parse to what moto's generic serializer gives: images of every
    attribute type, binary nested or not, and the time of the change."""
    from moto.core.serialize import get_serializer_class
    from moto.dynamodbstreams.responses import DynamoDBStreamsHandler

    item = {
        "pk": {"S": "p"},
        "sk": {"S": "s"},
        "b": {"B": b"\x00\x01"},
        "bs": {"BS": [b"\x02"]},
        "n": {"N": "1.50"},
        "m": {"M": {"deep": {"B": b"\x03"}, "l": {"L": [{"N": "2"}, {"NULL": True}, {"BOOL": False}]}}},
        "ss": {"SS": ["q", "r"]},
    }
    dynamodb.put_item(TableName=TABLE, Item=item)
    dynamodb.put_item(TableName=TABLE, Item={**item, "n": {"N": "2"}})
    streams = _streams()
    arn = dynamodb.describe_table(TableName=TABLE)["Table"]["LatestStreamArn"]
    shard = streams.describe_stream(StreamArn=arn)["StreamDescription"]["Shards"][0]["ShardId"]
    iterator = streams.get_shard_iterator(StreamArn=arn, ShardId=shard, ShardIteratorType="TRIM_HORIZON")

    def records() -> list[dict[str, Any]]:
        read: list[dict[str, Any]] = streams.get_records(ShardIterator=iterator["ShardIterator"])["Records"]
        return read

    def walking_shapes(*_: Any) -> Any:
        raise AssertionError("GetRecords went through the generic serializer")

    with monkeypatch.context() as patch:
        patch.setattr(get_serializer_class("dynamodbstreams", "json"), "serialize", walking_shapes)
        patched = records()
    unpatched = getattr(DynamoDBStreamsHandler.get_records, "__wrapped__")  # noqa: B009 - unknown to mypy
    monkeypatch.setattr(DynamoDBStreamsHandler, "get_records", unpatched)
    assert patched == records()
    assert [record["eventName"] for record in patched] == ["INSERT", "MODIFY"]
    assert patched[1]["dynamodb"]["OldImage"]["m"]["M"]["deep"] == {"B": b"\x03"}


# every_instance_is_tracked_for_ever


def test_every_instance_is_tracked_for_ever(dynamodb: Any) -> None:
    """Items, stream records and shard iterators are freed once nothing uses them: moto kept each one made."""
    from moto.dynamodb.models.table import StreamRecord
    from moto.dynamodbstreams.models import ShardIterator

    for index in range(30):
        dynamodb.put_item(TableName=TABLE, Item={"pk": {"S": f"k{index}"}, "sk": {"S": "A"}})
        dynamodb.get_item(TableName=TABLE, Key={"pk": {"S": f"k{index}"}, "sk": {"S": "A"}})
    _stream_keys(dynamodb)
    tracked = [getattr(model, "instances_tracked") for model in (Item, StreamRecord, ShardIterator)]  # noqa: B009
    assert tracked == [[], [], []]


# data_json_reads_models_while_requests_change_them


def test_data_json_reads_models_while_requests_change_them(dynamodb: Any) -> None:
    """The page waits for a write in progress: it found the shard's records empty, a write added one, and the page
    it then wrote out failed."""
    from moto.moto_api._internal import urls

    held, release = threading.Event(), threading.Event()
    pages: list[str] = []

    def write_while_holding_the_lock() -> None:
        with awsmock._locked():
            held.set()
            release.wait(5)
            dynamodb.put_item(TableName=TABLE, Item={"pk": {"S": "late"}, "sk": {"S": "A"}})

    writer = threading.Thread(target=write_while_holding_the_lock)
    writer.start()
    held.wait(5)
    reader = threading.Thread(
        target=lambda: pages.append(str(urls.url_paths["{0}/moto-api/data.json"](None, "", {})[2]))
    )
    reader.start()
    reader.join(0.3)
    assert reader.is_alive()  # waiting for the write
    release.set()
    writer.join()
    reader.join(5)
    shards = json.loads(pages[0])["dynamodb"]["StreamShard"]
    assert shards and all("items" not in shard for shard in shards)  # the record the write added is left out
