"""A small evaluator of IAM identity policies, and the authorizations DynamoDB asks for each API request.

moto cannot prove what fences a tenant: with its IAM checks on, its DynamoDB authorizes every request against the
resource `*`, its only condition operator is StringEquals (in trust policies), it knows no DynamoDB condition key,
and its AssumeRole drops session tags. This evaluates the statements Rapport deploys (infra/table_access.py) as
the IAM documentation describes evaluation:

- an explicit Deny wins, an Allow allows, anything else is denied;
- `Action` (case-insensitive) and `Resource` match with the wildcards `*` and `?`;
- conditions: StringEquals, StringLike, ArnEquals, ArnLike and Null; every operator and every key of a statement
  must hold, any one of a key's values may match; `ForAllValues:` holds when each of the request's values matches
  (and so when the request has none: why the fence adds Null), `ForAnyValue:` when one does;
- the policy variable `${aws:PrincipalTag/<key>}` in condition values (a value whose tag is absent matches nothing).

What it does not know raises, rather than answer.

`dynamodb_authorizations` is what DynamoDB authorizes for one request, as its IAM reference describes: one action
per item of a transaction, each batch per table, a Query on an index against the index's ARN; and
`dynamodb:LeadingKeys`, the partition key values the request names (none for a Scan or a PartiQL statement).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

LEADING_KEYS = "dynamodb:LeadingKeys"
_VARIABLE = re.compile(r"\$\{aws:PrincipalTag/([^}]+)\}")
_EQUALITY = re.compile(r"(#?[A-Za-z0-9_]+)\s*=\s*(:[A-Za-z0-9_]+)")
_PARTIQL = {"SELECT": "PartiQLSelect", "INSERT": "PartiQLInsert", "UPDATE": "PartiQLUpdate", "DELETE": "PartiQLDelete"}
_TRANSACTION_ACTIONS = {
    "Put": "PutItem",
    "Update": "UpdateItem",
    "Delete": "DeleteItem",
    "ConditionCheck": "ConditionCheckItem",
}


class Unsupported(Exception):
    """A policy or request this evaluator does not model."""


@dataclass(frozen=True)
class Authorization:
    """One authorization IAM makes: an action on a resource, with the request's condition keys."""

    action: str
    resource: str
    context: Mapping[str, tuple[str, ...]] = field(default_factory=dict)


def allows(statements: Sequence[Mapping[str, Any]], request: Authorization) -> bool:
    effects = [statement["Effect"] for statement in statements if _applies(statement, request)]
    return "Allow" in effects and "Deny" not in effects


def _applies(statement: Mapping[str, Any], request: Authorization) -> bool:
    if set(statement) - {"Sid", "Effect", "Action", "Resource", "Condition"}:
        raise Unsupported(f"statement elements {sorted(statement)}")
    actions = _list(statement["Action"])
    resources = _list(statement["Resource"])
    return (
        any(_like(pattern.lower(), request.action.lower()) for pattern in actions)
        and any(_like(pattern, request.resource) for pattern in resources)
        and all(
            _holds(operator, key, _list(values), request.context)
            for operator, block in statement.get("Condition", {}).items()
            for key, values in block.items()
        )
    )


def _holds(operator: str, key: str, expected: list[str], context: Mapping[str, tuple[str, ...]]) -> bool:
    actual = context.get(key, ())
    qualifier, _, name = operator.rpartition(":")
    if name == "Null":
        if qualifier or expected not in (["true"], ["false"]):
            raise Unsupported(f"{operator} {expected}")
        return (not actual) == (expected == ["true"])
    patterns = [_resolved(value, context) for value in expected]
    if qualifier == "ForAllValues":
        return all(_matches(name, patterns, value) for value in actual)
    if qualifier == "ForAnyValue":
        return any(_matches(name, patterns, value) for value in actual)
    if qualifier or len(actual) > 1:
        raise Unsupported(f"{operator} on {key} with {len(actual)} values")
    return bool(actual) and _matches(name, patterns, actual[0])


def _matches(operator: str, patterns: list[str | None], value: str) -> bool:
    if operator in ("StringEquals", "ArnEquals"):
        return value in patterns
    if operator in ("StringLike", "ArnLike"):
        return any(pattern is not None and _like(pattern, value) for pattern in patterns)
    raise Unsupported(operator)


def _resolved(value: str, context: Mapping[str, tuple[str, ...]]) -> str | None:
    """`value` with its policy variables replaced; None when one names a tag the session does not have."""
    missing = False

    def replace(match: re.Match[str]) -> str:
        nonlocal missing
        tag = context.get(f"aws:PrincipalTag/{match.group(1)}", ())
        missing = missing or not tag
        return tag[0] if tag else ""

    resolved = _VARIABLE.sub(replace, value)
    if "${" in resolved:
        raise Unsupported(f"policy variable in {value}")
    return None if missing else resolved


def _like(pattern: str, value: str) -> bool:
    """IAM's wildcards: `*` any run of characters, `?` one character; nothing else is special."""
    regex = "".join(".*" if char == "*" else "." if char == "?" else re.escape(char) for char in pattern)
    return re.fullmatch(regex, value, re.DOTALL) is not None


def _list(value: Any) -> list[Any]:
    return list(value) if isinstance(value, list | tuple) else [value]


def dynamodb_authorizations(
    operation: str,
    params: Mapping[str, Any],
    *,
    table_arn: Callable[[str], str],
    partition_key: Callable[[str | None], str],
    session: Mapping[str, tuple[str, ...]],
) -> list[Authorization]:
    """What DynamoDB authorizes for `operation` with `params` (the request's JSON body). `table_arn` names a table's
    ARN, `partition_key` the partition key attribute of the table (None) or of an index; `session` is the caller's
    context (its principal tags)."""

    def authorization(action: str, table: str, leading: Sequence[str], index: str | None = None) -> Authorization:
        resource = table_arn(table) + (f"/index/{index}" if index else "")
        context = {**session, **({LEADING_KEYS: tuple(leading)} if leading else {})}
        return Authorization(f"dynamodb:{action}", resource, context)

    def partition(item: Mapping[str, Any]) -> str:
        return str(item[partition_key(None)]["S"])

    if operation in ("GetItem", "DeleteItem", "UpdateItem"):
        return [authorization(operation, params["TableName"], [partition(params["Key"])])]
    if operation == "PutItem":
        return [authorization(operation, params["TableName"], [partition(params["Item"])])]
    if operation == "Query":
        index = params.get("IndexName")
        return [
            authorization(operation, params["TableName"], [_queried_partition(params, partition_key(index))], index)
        ]
    if operation == "Scan":
        return [authorization(operation, params["TableName"], [], params.get("IndexName"))]
    if operation == "BatchGetItem":
        return [
            authorization(operation, table, [partition(key) for key in request["Keys"]])
            for table, request in params["RequestItems"].items()
        ]
    if operation == "BatchWriteItem":
        return [
            authorization(operation, table, [partition(_written(write)) for write in writes])
            for table, writes in params["RequestItems"].items()
        ]
    if operation in ("TransactWriteItems", "TransactGetItems"):
        return list(_transaction(params["TransactItems"], authorization, partition))
    if operation in ("ExecuteStatement", "BatchExecuteStatement", "ExecuteTransaction"):
        return list(_partiql(params, authorization))
    raise Unsupported(operation)


def _queried_partition(params: Mapping[str, Any], key: str) -> str:
    names = params.get("ExpressionAttributeNames", {})
    for name, value in _EQUALITY.findall(params["KeyConditionExpression"]):
        if names.get(name, name) == key:
            return str(params["ExpressionAttributeValues"][value]["S"])
    raise Unsupported(f"no equality on {key} in {params['KeyConditionExpression']}")


def _written(write: Mapping[str, Any]) -> Mapping[str, Any]:
    written: Mapping[str, Any] = write["PutRequest"]["Item"] if "PutRequest" in write else write["DeleteRequest"]["Key"]
    return written


def _transaction(
    items: Sequence[Mapping[str, Any]],
    authorization: Callable[[str, str, Sequence[str]], Authorization],
    partition: Callable[[Mapping[str, Any]], str],
) -> Iterator[Authorization]:
    for item in items:
        [(kind, request)] = item.items()
        action = "GetItem" if kind == "Get" else _TRANSACTION_ACTIONS[kind]
        yield authorization(action, request["TableName"], [partition(request.get("Item") or request["Key"])])


def _partiql(
    params: Mapping[str, Any], authorization: Callable[[str, str, Sequence[str]], Authorization]
) -> Iterator[Authorization]:
    statements = params.get("TransactStatements") or params.get("Statements") or [params]
    for statement in statements:
        text = str(statement["Statement"])
        verb = text.split(None, 1)[0].upper()
        table = re.search(r'(?:FROM|INTO|UPDATE)\s+"?([A-Za-z0-9_.-]+)"?', text, re.IGNORECASE)
        if verb not in _PARTIQL or table is None:
            raise Unsupported(text)
        yield authorization(_PARTIQL[verb], table.group(1), [])
