"""The tenant fence as AWS enforces it, in front of moto: every request the dal signs with a tenant's credentials
is judged, before moto answers it, by the policy the stack deploys for the tenant-data role (infra/table_access.py)
and the session tags the dal asked STS for. A request that policy denies gets DynamoDB's AccessDeniedException.

moto's STS issues the credentials (its AssumeRole drops the tags, so they are remembered here from the request);
requests under other credentials (a cross-tenant function's own, a test's setup) are not tenant sessions and pass.
"""

from __future__ import annotations

import json
import os
import re
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from botocore.exceptions import ClientError  # type: ignore[import-untyped]

from infra.table_access import READ_WRITE, TENANT_TAG, statements
from rapport.dal import tenancy
from rapport.dal.tenancy import TenantCredentials, TenantTable
from tests.iam_policy import Authorization, allows, dynamodb_authorizations

REGION = os.environ["AWS_DEFAULT_REGION"]
ACCOUNT = "123456789012"  # moto's, where it keeps the tables: an assumed role's keys act in the role's account
ROLE_ARN = f"arn:aws:iam::{ACCOUNT}:role/Rapport-test-TenantDataRole"
_HOOK = "tests-tenant-fence"
_CREDENTIAL = re.compile(r"Credential=([^/]+)/")


def table_arn(name: str) -> str:
    return f"arn:aws:dynamodb:{REGION}:{ACCOUNT}:table/{name}"


def partition_key(index: str | None) -> str:
    """The partition key attribute of the table (`pk`) or of an index (`gsi1pk`...): rapport.dal.models."""
    return f"{index}pk" if index else "pk"


POLICY = statements(
    READ_WRITE,
    table_arn=table_arn(os.environ["TABLE_NAME"]),
    idempotency_table_arn=table_arn(os.environ["IDEMPOTENCY_TABLE_NAME"]),
    fenced=True,
)


@dataclass
class RecordingSts:
    """An STS client that remembers the session tags of each key it issued, and counts its calls."""

    sts: Any
    tags: dict[str, dict[str, str]] = field(default_factory=dict)
    requests: list[Mapping[str, Any]] = field(default_factory=list)

    def assume_role(self, **request: Any) -> Mapping[str, Any]:
        response: Mapping[str, Any] = self.sts.assume_role(**request)
        self.requests.append(request)
        tags = {tag["Key"]: tag["Value"] for tag in request.get("Tags", [])}
        self.tags[response["Credentials"]["AccessKeyId"]] = tags
        return response


@dataclass
class TenantFence:
    sts: RecordingSts
    denied: list[Authorization] = field(default_factory=list)
    sessions: list[str] = field(default_factory=list)  # the tenant of each request judged, in order

    def credentials(self) -> TenantCredentials:
        return TenantCredentials(ROLE_ARN, self.sts, lambda: datetime.now(UTC))

    def judge(self, request: Any, **_: Any) -> None:
        """botocore's `before-send`: DynamoDB's error for a tenant session's request the policy denies, raised before
        moto (a later handler of the same event) sees the request."""
        found = _CREDENTIAL.search(request.headers["Authorization"].decode())
        tags = self.sts.tags.get(found.group(1)) if found else None
        if tags is None:
            return
        self.sessions.append(tags[TENANT_TAG])
        operation = request.headers["X-Amz-Target"].decode().rpartition(".")[2]
        session = {f"aws:PrincipalTag/{key}": (value,) for key, value in tags.items()}
        refused = [
            authorization
            for authorization in dynamodb_authorizations(
                operation, json.loads(request.body), table_arn=table_arn, partition_key=partition_key, session=session
            )
            if not allows(POLICY, authorization)
        ]
        if not refused:
            return
        self.denied.extend(refused)
        message = f"not authorized to perform: {refused[0].action} on resource: {refused[0].resource}"
        error = {"Error": {"Code": "AccessDeniedException", "Message": message}}
        raise ClientError({**error, "ResponseMetadata": {"HTTPStatusCode": 400}}, operation)

    @contextmanager
    def installed(self, credentials: TenantCredentials | None = None) -> Iterator[TenantFence]:
        """The dal signs tenant-bound requests with `credentials` (a fresh cache: the fence's by default), judged."""
        clients = {model._get_connection().connection.client for model in _tenant_table_models()}
        tenancy.configure(credentials or self.credentials())
        for client in clients:
            client.meta.events.register_first("before-send.dynamodb", self.judge, unique_id=_HOOK)
        try:
            yield self
        finally:
            for client in clients:
                client.meta.events.unregister("before-send.dynamodb", unique_id=_HOOK)
            tenancy.configure(None)


def _tenant_table_models() -> list[type[TenantTable]]:
    """Every model of the tenant tables, parents first (a subclass then shares its parent's connection)."""
    models: list[type[TenantTable]] = []
    pending: list[type[TenantTable]] = list(TenantTable.__subclasses__())
    while pending:
        model = pending.pop(0)
        models.append(model)
        pending.extend(model.__subclasses__())
    return models
