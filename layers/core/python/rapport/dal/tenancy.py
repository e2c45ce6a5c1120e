"""Tenant-scoped DynamoDB credentials: a request's reads and writes on tenant data cannot leave its tenant.

Every key of the single table and of the idempotency table, base table and indexes alike, starts with
`T#<tenant>#` (rapport.dal.keys). A tenant-fenced function's own role may do nothing on those tables: it assumes
its tenant-data role with the session tag `tenant_id=<tenant>`, whose policy allows the tables' item actions only
where every partition key a request names (`dynamodb:LeadingKeys`) matches `T#${aws:PrincipalTag/tenant_id}#*`,
and only when the request names some (infra/table_access.py). Which functions are fenced, and which cross tenants
and why, is declared where each function is built (infra/constructs).

- `tenant_scope(tenant_id)` binds a tenant for a block: the requests of the models on those tables
  (`TenantTable`) are signed with that tenant's credentials. Another tenant cannot be bound inside it.
- `fenced()` marks an invocation whose every request on those tables needs a bound tenant (the API, the workers
  that serve one tenant per event): one made outside a scope raises `TenantNotBound` rather than go out under the
  function's own role, which AWS refuses and moto (locally, in tests) would not.
- `TenantCredentials` gets a tenant's credentials with one AssumeRole and keeps them until shortly before they
  expire: one call per tenant per warm container. Nothing happens at import: the STS client and the first
  credentials are made by a tenant's first request, never during a cold start's init, and the client comes from
  the session the table's client was made from (rapport.aws), which makes it cheap.

A function without `TENANT_ROLE_ARN` (a cross-tenant function, the tests that configure no role) sends every
request under its own credentials, bound or not.
"""

from __future__ import annotations

import weakref
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any, NamedTuple, Protocol

from botocore.credentials import Credentials  # type: ignore[import-untyped]
from pynamodb.connection.table import TableConnection

from rapport import aws, config
from rapport.dal.connection import SessionModel

TENANT_TAG = "tenant_id"  # the session tag the tenant-data role's policy reads (infra/table_access.py)
ROLE_VARIABLE = config.variable("tenant_role_arn")
# A role assumed by a Lambda function's own role is role chaining, which AWS caps at an hour.
SESSION_DURATION = timedelta(hours=1)
# Credentials are renewed this long before they expire: longer than any invocation (API 10 s, workers 60 s).
REFRESH_BEFORE = timedelta(minutes=5)
MAX_SESSION_NAME = 64
_SIGNING_HOOK = "rapport-tenant-credentials"


class TenantNotBound(RuntimeError):
    """A tenant-fenced function sent a request on tenant data without a tenant: a bug, never the client's."""


class TenantAlreadyBound(RuntimeError):
    """Code serving one tenant tried to bind another."""


class Sts(Protocol):
    """The one STS operation the credentials need (a botocore STS client)."""

    def assume_role(self, **request: Any) -> Mapping[str, Any]: ...


class _Issued(NamedTuple):
    credentials: Credentials
    renew_at: datetime


class TenantCredentials:
    """Credentials for a role, one set per tenant (tagged with it), each kept until `refresh_before` its expiry."""

    def __init__(
        self,
        role_arn: str,
        sts: Sts,
        clock: Callable[[], datetime],
        *,
        refresh_before: timedelta = REFRESH_BEFORE,
    ) -> None:
        self.role_arn = role_arn
        self._sts = sts
        self._clock = clock
        self._refresh_before = refresh_before
        self._issued: dict[str, _Issued] = {}

    def for_tenant(self, tenant_id: str) -> Credentials:
        issued = self._issued.get(tenant_id)
        if issued is None or self._clock() >= issued.renew_at:
            issued = self._issued[tenant_id] = self._assume(tenant_id)
        return issued.credentials

    def _assume(self, tenant_id: str) -> _Issued:
        response = self._sts.assume_role(
            RoleArn=self.role_arn,
            RoleSessionName=f"tenant-{tenant_id}"[:MAX_SESSION_NAME],
            DurationSeconds=int(SESSION_DURATION.total_seconds()),
            Tags=[{"Key": TENANT_TAG, "Value": tenant_id}],
        )
        issued = response["Credentials"]
        credentials = Credentials(
            issued["AccessKeyId"], issued["SecretAccessKey"], issued["SessionToken"], method="tenant-role"
        )
        return _Issued(credentials, issued["Expiration"] - self._refresh_before)


@dataclass
class _Setup:
    """The credentials tenant-bound requests are signed with: from the environment on first use, or configured."""

    credentials: TenantCredentials | None = None
    resolved: bool = False


_SETUP = _Setup()
_tenant: ContextVar[str | None] = ContextVar("rapport_tenant", default=None)
_fenced: ContextVar[bool] = ContextVar("rapport_fenced", default=False)
_signed_clients: weakref.WeakSet[Any] = weakref.WeakSet()


def configure(credentials: TenantCredentials | None) -> None:
    """Sign tenant-bound requests with `credentials` (None: the function's own) instead of what the environment
    says (`TENANT_ROLE_ARN`)."""
    _SETUP.credentials, _SETUP.resolved = credentials, True


def _credentials() -> TenantCredentials | None:
    if not _SETUP.resolved:
        configure(_from_environment())
    return _SETUP.credentials


def _from_environment() -> TenantCredentials | None:
    role_arn = config.current().tenant_role_arn
    if not role_arn:
        return None
    return TenantCredentials(role_arn, aws.client("sts"), lambda: datetime.now(UTC))


@contextmanager
def tenant_scope(tenant_id: str) -> Iterator[None]:
    """Requests on tenant data in this block are `tenant_id`'s (the same tenant may be bound again inside)."""
    if not tenant_id:
        raise ValueError("a tenant scope needs a tenant id")
    bound = _tenant.get()
    if bound is not None and bound != tenant_id:
        raise TenantAlreadyBound(f"tenant {bound} is bound: {tenant_id} cannot be bound inside its scope")
    token = _tenant.set(tenant_id)
    try:
        yield
    finally:
        _tenant.reset(token)


@contextmanager
def fenced() -> Iterator[None]:
    """Every request on tenant data in this block (or decorated function) must be made in a tenant scope."""
    token = _fenced.set(True)
    try:
        yield
    finally:
        _fenced.reset(token)


def _sign_for_bound_tenant(request: Any, **_: Any) -> None:
    """botocore's `before-sign`: a request made in a tenant scope is signed with the tenant's credentials."""
    tenant_id = _tenant.get()
    if tenant_id is None:
        if _fenced.get():
            raise TenantNotBound("a tenant-fenced function sent a request on tenant data outside a tenant scope")
        return
    credentials = _credentials()
    if credentials is not None:
        request.context.setdefault("signing", {})["request_credentials"] = credentials.for_tenant(tenant_id)


class TenantTable(SessionModel):
    """A model of a table whose every key starts with the tenant: its requests are signed for the bound tenant."""

    @classmethod
    def _get_connection(cls) -> TableConnection:
        connection = super()._get_connection()
        client = connection.connection.client
        if client not in _signed_clients:
            client.meta.events.register_first("before-sign.dynamodb", _sign_for_bound_tenant, unique_id=_SIGNING_HOOK)
            _signed_clients.add(client)
        return connection
