"""Tenant credentials: one AssumeRole per tenant until near expiry, and every request on tenant data signed with
the bound tenant's credentials — through the dal's real botocore clients, answered before anything is sent."""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from io import BytesIO
from typing import Any

import pytest
from botocore.awsrequest import AWSResponse  # type: ignore[import-untyped]

from infra import table_access
from rapport import aws
from rapport.accounts.manifest import ACCOUNT
from rapport.contacts.manifest import CONTACT
from rapport.dal import keys, repository, tenancy
from rapport.dal.keys import IndexKeys
from rapport.dal.models import TABLE_MODELS, HistoryItem, IdempotencyItem, Item, WebFormKeyItem
from rapport.dal.repository import Record, UnitOfWork
from rapport.dal.tenancy import TenantAlreadyBound, TenantCredentials, TenantNotBound
from rapport.deals.manifest import DEAL
from rapport.web_forms import store as web_form_store

ROLE = "arn:aws:iam::123456789012:role/Rapport-dev-contacts-TenantData"
START = datetime(2026, 11, 20, 9, 0, tzinfo=UTC)
NOW = "2026-11-20T09:00:00Z"


@dataclass
class Clock:
    now: datetime = START

    def __call__(self) -> datetime:
        return self.now


@dataclass
class FakeSts:
    """Answers AssumeRole as STS does: a new key per call, valid for the duration asked."""

    clock: Clock
    requests: list[dict[str, Any]] = field(default_factory=list)

    def assume_role(self, **request: Any) -> dict[str, Any]:
        self.requests.append(request)
        number = len(self.requests)
        return {
            "Credentials": {
                "AccessKeyId": f"ASIATENANT{number:06d}",
                "SecretAccessKey": f"secret-{number}",
                "SessionToken": f"token-{number}",
                "Expiration": self.clock.now + timedelta(seconds=request["DurationSeconds"]),
            }
        }

    def tenant_of(self, access_key: str) -> str:
        request = self.requests[int(access_key.removeprefix("ASIATENANT")) - 1]
        [tag] = request["Tags"]
        return str(tag["Value"])


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def sts(clock: Clock) -> Iterator[FakeSts]:
    fake = FakeSts(clock)
    tenancy.configure(TenantCredentials(ROLE, fake, clock))
    yield fake
    tenancy.configure(None)


@dataclass
class Sent:
    """What left the dal's DynamoDB clients: each request's operation, signing key and security token."""

    requests: list[tuple[str, str, str | None]] = field(default_factory=list)

    def answer(self, request: Any, **_: Any) -> AWSResponse:
        credential = re.search(r"Credential=([^/]+)/", request.headers["Authorization"].decode())
        assert credential is not None
        token = request.headers.get("X-Amz-Security-Token")
        operation = request.headers["X-Amz-Target"].decode().split(".")[-1]
        self.requests.append((operation, credential.group(1), token.decode() if token else None))
        return AWSResponse(request.url, 200, {}, _Body(b"{}"))

    @property
    def keys(self) -> list[str]:
        return [key for _, key, _ in self.requests]


class _Body(BytesIO):
    def stream(self, **_: Any) -> Iterator[bytes]:
        yield self.read()


@pytest.fixture
def sent() -> Iterator[Sent]:
    """Answers every request of the dal's clients with an empty success before it is sent. The clients and the
    session they come from (rapport.aws) are made afresh: one made earlier in this process under moto's mock would
    sign with moto's credentials, not the environment's, which are the function's own here."""
    sent = Sent()
    models = (Item, IdempotencyItem, WebFormKeyItem)
    aws.reset()
    for model in models:
        model._connection = None
    clients = {model._get_connection().connection.client for model in models}
    for client in clients:
        client.meta.events.register_first("before-send.dynamodb", sent.answer, unique_id="test-sent")
    yield sent
    for client in clients:
        client.meta.events.unregister("before-send.dynamodb", unique_id="test-sent")
    for model in models:
        model._connection = None
    aws.reset()


def read_contact(tenant_id: str) -> None:
    repository.get(tenant_id, CONTACT, "01JCONTACT")


def test_credentials_come_from_one_assume_role_per_tenant_until_shortly_before_they_expire(clock: Clock):
    sts = FakeSts(clock)
    credentials = TenantCredentials(ROLE, sts, clock)
    assert sts.requests == []  # nothing at construction: the first request of a tenant asks

    first = credentials.for_tenant("tenant-a")
    assert credentials.for_tenant("tenant-a") is first
    other = credentials.for_tenant("tenant-b")
    assert other.access_key != first.access_key
    assert len(sts.requests) == 2

    clock.now = START + tenancy.SESSION_DURATION - tenancy.REFRESH_BEFORE - timedelta(seconds=1)
    assert credentials.for_tenant("tenant-a") is first
    clock.now += timedelta(seconds=1)
    renewed = credentials.for_tenant("tenant-a")
    assert renewed.access_key != first.access_key
    assert len(sts.requests) == 3


def test_the_role_is_assumed_with_the_tenant_as_its_only_session_tag(clock: Clock):
    sts = FakeSts(clock)
    tenant = "t" * 64  # the longest tenant id a token may carry
    TenantCredentials(ROLE, sts, clock).for_tenant(tenant)
    [request] = sts.requests
    assert request == {
        "RoleArn": ROLE,
        "RoleSessionName": f"tenant-{tenant}"[:64],
        "DurationSeconds": 3600,
        "Tags": [{"Key": "tenant_id", "Value": tenant}],
    }


def test_a_request_in_a_tenant_scope_is_signed_with_that_tenants_credentials(sts: FakeSts, sent: Sent):
    with tenancy.tenant_scope("tenant-a"):
        read_contact("tenant-a")
        read_contact("tenant-a")
    with tenancy.tenant_scope("tenant-b"):
        read_contact("tenant-b")
    assert [sts.tenant_of(key) for key in sent.keys] == ["tenant-a", "tenant-a", "tenant-b"]
    assert [token for _, _, token in sent.requests] == ["token-1", "token-1", "token-2"]
    assert len(sts.requests) == 2


def test_a_transaction_and_the_idempotency_table_are_signed_for_the_tenant_too(sts: FakeSts, sent: Sent):
    record = Record(ACCOUNT, "01JACCOUNT", "tenant-a", {"name": "Acme"}, NOW, "u1", NOW, "u1")
    with tenancy.tenant_scope("tenant-a"):
        work = UnitOfWork()
        repository.stage_write(work, record, IndexKeys())
        work.put_item(HistoryItem(keys.record_pk("tenant-a", DEAL, "01JDEAL"), "H#1", tenant_id="tenant-a"))
        work.commit()
        with pytest.raises(IdempotencyItem.DoesNotExist):
            IdempotencyItem.get(keys.idempotency_pk("tenant-a", "u1", "key-1"))
    assert [operation for operation, _, _ in sent.requests] == ["TransactWriteItems", "GetItem"]
    assert {sts.tenant_of(key) for key in sent.keys} == {"tenant-a"}


def test_outside_a_scope_requests_go_under_the_functions_own_credentials(sts: FakeSts, sent: Sent):
    read_contact("tenant-a")
    assert sent.keys == ["testing"]  # the environment's, as the function's role gives them
    assert sts.requests == []


def test_a_fenced_invocation_refuses_a_request_on_tenant_data_outside_a_scope(sts: FakeSts, sent: Sent):
    with tenancy.fenced(), pytest.raises(TenantNotBound):
        read_contact("tenant-a")
    assert sent.requests == []


def test_tables_that_are_not_tenant_data_keep_the_functions_credentials_in_a_fenced_scope(sts: FakeSts, sent: Sent):
    with tenancy.fenced(), tenancy.tenant_scope("tenant-a"):
        web_form_store.key_of("01JKEYID")  # the key lookup that finds the tenant of a public request
    assert sent.keys == ["testing"]


def test_another_tenant_cannot_be_bound_inside_a_scope(sts: FakeSts):
    with tenancy.tenant_scope("tenant-a"):
        with tenancy.tenant_scope("tenant-a"):
            pass
        with pytest.raises(TenantAlreadyBound), tenancy.tenant_scope("tenant-b"):
            pass


def test_without_a_tenant_role_a_scope_signs_with_the_functions_credentials(sent: Sent):
    tenancy.configure(None)
    with tenancy.fenced(), tenancy.tenant_scope("tenant-a"):
        read_contact("tenant-a")
    assert sent.keys == ["testing"]


def test_the_deployed_fence_names_the_tag_the_dal_sets_and_the_tenants_key_prefix():
    assert table_access.TENANT_TAG == tenancy.TENANT_TAG
    assert keys.tenant_prefix(f"${{aws:PrincipalTag/{tenancy.TENANT_TAG}}}") + "*" == table_access.TENANT_KEYS
    assert table_access.ROLE_VARIABLE == tenancy.ROLE_VARIABLE


def test_every_table_and_client_of_a_function_comes_from_one_botocore_session():
    """Each session loads the SDK's data again: ~50 ms of a cold start per table a request touches (rapport.aws)."""
    aws.reset()
    for model in TABLE_MODELS:
        model._connection = None
    try:
        sessions = {model._get_connection().connection.session for model in TABLE_MODELS}
        assert sessions == {aws.session()}
        assert aws.client("sts") is aws.client("sts")
        before = aws.session()
        aws.reset()
        assert aws.session() is not before
    finally:
        for model in TABLE_MODELS:
            model._connection = None
