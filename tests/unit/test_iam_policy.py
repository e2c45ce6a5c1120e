"""The IAM evaluator the tests judge tenant fencing with (tests/iam_policy.py), on the statements the stack deploys:
IAM's documented semantics, including the ones that make a fence fail open."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import pytest

from infra.table_access import READ_WRITE, statements
from tests.iam_policy import Authorization, Unsupported, allows, dynamodb_authorizations

TABLE = "arn:aws:dynamodb:eu-west-1:123456789012:table/rapport"
IDEMPOTENCY = "arn:aws:dynamodb:eu-west-1:123456789012:table/rapport-idempotency"
FENCED = statements(READ_WRITE, table_arn=TABLE, idempotency_table_arn=IDEMPOTENCY, fenced=True)
ACME: Mapping[str, tuple[str, ...]] = {"aws:PrincipalTag/tenant_id": ("acme",)}


def authorize(operation: str, params: dict[str, Any], session: Mapping[str, tuple[str, ...]] = ACME) -> list[bool]:
    return [
        allows(FENCED, authorization)
        for authorization in dynamodb_authorizations(
            operation,
            params,
            table_arn=lambda name: TABLE.replace("rapport", name),
            partition_key=lambda index: f"{index}pk" if index else "pk",
            session=session,
        )
    ]


def key(pk: str, sk: str = "A#META") -> dict[str, Any]:
    return {"pk": {"S": pk}, "sk": {"S": sk}}


def query(partition: str, index: str | None = None) -> dict[str, Any]:
    name = f"{index}pk" if index else "pk"
    return {
        "TableName": "rapport",
        "KeyConditionExpression": "#0 = :0 AND begins_with (#1, :1)",
        "ExpressionAttributeNames": {"#0": name, "#1": "sk"},
        "ExpressionAttributeValues": {":0": {"S": partition}, ":1": {"S": "E#"}},
        **({"IndexName": index} if index else {}),
    }


def test_a_tenant_reads_and_writes_its_own_items_and_not_anothers():
    assert authorize("GetItem", {"TableName": "rapport", "Key": key("T#acme#CON#1")}) == [True]
    assert authorize("PutItem", {"TableName": "rapport", "Item": key("T#acme#CON#1")}) == [True]
    assert authorize("GetItem", {"TableName": "rapport", "Key": key("T#globex#CON#1")}) == [False]
    assert authorize("DeleteItem", {"TableName": "rapport", "Key": key("T#globex#CON#1")}) == [False]


def test_a_tenant_whose_id_starts_anothers_does_not_reach_it():
    assert authorize("GetItem", {"TableName": "rapport", "Key": key("T#acme-eu#CON#1")}) == [False]
    assert authorize("GetItem", {"TableName": "rapport", "Key": key("T#acme")}) == [False]


def test_queries_are_fenced_on_the_tables_and_the_indexes_partition_keys():
    assert authorize("Query", query("T#acme#CON#1")) == [True]
    assert authorize("Query", query("T#acme#CON", "gsi1")) == [True]
    assert authorize("Query", query("T#globex#CON", "gsi1")) == [False]
    assert authorize("Query", query("T#acme#CON", "gsi9")) == [False]  # an index the role does not name


def test_a_batch_is_allowed_only_when_every_key_is_the_tenants():
    mine = {"RequestItems": {"rapport": {"Keys": [key("T#acme#CON#1"), key("T#acme#CON#2")]}}}
    mixed = {"RequestItems": {"rapport": {"Keys": [key("T#acme#CON#1"), key("T#globex#CON#2")]}}}
    assert authorize("BatchGetItem", mine) == [True]
    assert authorize("BatchGetItem", mixed) == [False]
    writes = [{"PutRequest": {"Item": key("T#acme#X")}}, {"DeleteRequest": {"Key": key("T#globex#X")}}]
    assert authorize("BatchWriteItem", {"RequestItems": {"rapport": writes}}) == [False]


def test_each_item_of_a_transaction_is_authorized_on_its_own():
    items = [
        {"Put": {"TableName": "rapport", "Item": key("T#acme#CON#1")}},
        {"ConditionCheck": {"TableName": "rapport", "Key": key("T#globex#ACC#1")}},
        {"Update": {"TableName": "rapport-idempotency", "Key": {"pk": {"S": "T#acme#IDEM#u#k"}}}},
    ]
    assert authorize("TransactWriteItems", {"TransactItems": items}) == [True, False, True]


def test_a_scan_is_denied_because_null_requires_leading_keys_which_for_all_values_alone_does_not():
    scan = {"TableName": "rapport"}
    assert authorize("Scan", scan) == [False]
    with_scan = [{**statement, "Action": "dynamodb:*"} for statement in FENCED]
    without_null = [
        {**statement, "Condition": {"ForAllValues:StringLike": statement["Condition"]["ForAllValues:StringLike"]}}
        for statement in with_scan
    ]
    [request] = dynamodb_authorizations(
        "Scan", scan, table_arn=lambda _: TABLE, partition_key=lambda _: "pk", session=ACME
    )
    assert allows(without_null, request)  # ForAllValues over no values holds: it fails open
    assert not allows(with_scan, request)


def test_partiql_is_not_allowed():
    assert authorize("ExecuteStatement", {"Statement": 'SELECT * FROM "rapport" WHERE pk = ?'}) == [False]
    assert authorize("ExecuteStatement", {"Statement": 'DELETE FROM "rapport" WHERE pk = ?'}) == [False]


def test_a_session_without_the_tenant_tag_reaches_nothing():
    assert authorize("GetItem", {"TableName": "rapport", "Key": key("T##CON#1")}, session={}) == [False]
    assert authorize("GetItem", {"TableName": "rapport", "Key": key("T#acme#CON#1")}, session={}) == [False]


def test_an_explicit_deny_wins_and_nothing_allowed_is_denied():
    request = Authorization("dynamodb:GetItem", TABLE)
    allow = {"Effect": "Allow", "Action": "dynamodb:Get*", "Resource": "arn:aws:dynamodb:*:*:table/*"}
    deny = {"Effect": "Deny", "Action": "DYNAMODB:getitem", "Resource": TABLE}
    assert allows([allow], request)
    assert not allows([allow, deny], request)
    assert not allows([], request)


def test_what_it_does_not_model_raises():
    odd = {"Effect": "Allow", "Action": "*", "Resource": "*", "Condition": {"NumericLessThan": {"x": "1"}}}
    with pytest.raises(Unsupported):
        allows([odd], Authorization("dynamodb:GetItem", TABLE, {"x": ("0",)}))
    with pytest.raises(Unsupported):
        authorize("DescribeTable", {"TableName": "rapport"})
