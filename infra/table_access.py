"""What a function may do on the tenant tables (the single table and the idempotency table, whose every partition
key starts with `T#<tenant>#`), and the fence that keeps a tenant-data role's requests inside one tenant.

Plain IAM policy statements, no CDK: the stack deploys them (infra/constructs/tenancy.py), tests/infra checks that
the template holds exactly them, and the tests evaluate the requests the dal sends against them.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

GSI_NAMES = ("gsi1", "gsi2", "gsi3", "gsi4")
# The session tag rapport.dal.tenancy sets, and the variable it finds the tenant-data role in (tests check both).
TENANT_TAG = "tenant_id"
ROLE_VARIABLE = "TENANT_ROLE_ARN"
# Every partition key a request names must be under the session's tenant: `T#<tenant>#` (rapport.dal.keys).
TENANT_KEYS = f"T#${{aws:PrincipalTag/{TENANT_TAG}}}#*"
FENCE: dict[str, dict[str, Any]] = {
    "ForAllValues:StringLike": {"dynamodb:LeadingKeys": [TENANT_KEYS]},
    # ForAllValues holds for a request that names no partition key at all (a Scan): require one, and the tag.
    "Null": {"dynamodb:LeadingKeys": "false", f"aws:PrincipalTag/{TENANT_TAG}": "false"},
}

# What rapport.dal and rapport.idempotency send; a transaction needs the action of each item it touches. No Scan
# and no PartiQL: no request reads a table whole, and a PartiQL statement's keys are not fenced alike.
ITEM_ACTIONS = (
    "dynamodb:GetItem",
    "dynamodb:BatchGetItem",
    "dynamodb:Query",
    "dynamodb:PutItem",
    "dynamodb:UpdateItem",
    "dynamodb:DeleteItem",
    "dynamodb:BatchWriteItem",
    "dynamodb:ConditionCheckItem",
)
IDEMPOTENCY_ACTIONS = ("dynamodb:GetItem", "dynamodb:PutItem", "dynamodb:UpdateItem", "dynamodb:DeleteItem")
# What DynamoDB asks KMS for on the caller's behalf when it reads and writes a table under the data key.
KEY_ACTIONS = ("kms:Decrypt", "kms:Encrypt", "kms:GenerateDataKey", "kms:DescribeKey")


@dataclass(frozen=True)
class TableAccess:
    """A function's actions on the single table's items, the indexes it queries, and its idempotency actions."""

    items: tuple[str, ...] = ()
    indexes: tuple[str, ...] = ()
    idempotency: tuple[str, ...] = ()


READ_WRITE = TableAccess(ITEM_ACTIONS, GSI_NAMES, IDEMPOTENCY_ACTIONS)


def statements(
    access: TableAccess, *, table_arn: str, idempotency_table_arn: str, fenced: bool
) -> list[dict[str, Any]]:
    """`access` as policy statements; `fenced`: each only for the session's tenant (a tenant-data role's)."""
    condition = {"Condition": FENCE} if fenced else {}
    found: list[dict[str, Any]] = []
    if access.items:
        found.append({"Effect": "Allow", "Action": list(access.items), "Resource": table_arn, **condition})
    if access.indexes:
        indexes = [f"{table_arn}/index/{name}" for name in access.indexes]
        found.append({"Effect": "Allow", "Action": "dynamodb:Query", "Resource": indexes, **condition})
    if access.idempotency:
        found.append(
            {"Effect": "Allow", "Action": list(access.idempotency), "Resource": idempotency_table_arn, **condition}
        )
    return found


def key_statement(key_arn: str) -> dict[str, Any]:
    return {"Effect": "Allow", "Action": list(KEY_ACTIONS), "Resource": key_arn}
