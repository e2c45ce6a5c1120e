"""Tenant isolation by IAM: under a tenant's credentials, another tenant's keys are denied, whatever the code asks.

The services never build another tenant's key (a request for another tenant's record is a 404, tested with each
area); these tests go below them, to the dal, and ask for tenant B's data in tenant A's scope, as a bug would. The
fence (tests/integration/tenant_fence.py) judges each request with the tenant-data role's policy as deployed.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import pytest
from pynamodb.exceptions import GetError, PynamoDBException, QueryError, ScanError, TransactWriteError

from rapport.contacts.manifest import CONTACT
from rapport.dal import access, keys, repository, tenancy
from rapport.dal.access import PartitionQuery
from rapport.dal.models import HistoryItem, Item, RecordItem
from rapport.dal.repository import Parent, UnitOfWork
from rapport.dal.tenancy import TenantCredentials
from rapport.deals.manifest import DEAL
from tests.integration.tenant_fence import ROLE_ARN, RecordingSts, TenantFence
from tools.lambda_api import Staff, call, create
from tools.metering import dynamodb_requests

ACME = Staff(tenant="acme", user="ada", groups=("admin",))
GLOBEX = Staff(tenant="globex", user="hank", groups=("admin",))
DENIED = "AccessDeniedException"


@dataclass
class Clock:
    now: datetime

    def __call__(self) -> datetime:
        return self.now


@pytest.fixture
def contacts() -> dict[str, str]:
    """A contact of each tenant, created through the API."""
    made = {}
    for staff in (ACME, GLOBEX):
        made[staff.tenant] = create("createContact", staff, last_name="Doe", email=f"doe@{staff.tenant}.example")["id"]
    return made


@pytest.fixture
def denials(tenant_fence: TenantFence) -> Callable[[], list[str]]:
    """The actions the fence denied so far, taken off its list (which must be empty when a test ends)."""

    def taken() -> list[str]:
        actions = [authorization.action for authorization in tenant_fence.denied]
        tenant_fence.denied.clear()
        return actions

    return taken


def test_a_read_of_another_tenants_record_is_denied_and_the_tenants_own_is_not(contacts, denials):
    with tenancy.tenant_scope("acme"):
        assert repository.get("acme", CONTACT, contacts["acme"]) is not None
        with pytest.raises(GetError) as refused:
            repository.get("globex", CONTACT, contacts["globex"])
    assert refused.value.cause_response_code == DENIED
    assert denials() == ["dynamodb:GetItem"]
    with tenancy.tenant_scope("globex"):  # it is there, for its own tenant
        assert repository.get("globex", CONTACT, contacts["globex"]) is not None


def test_a_query_of_another_tenants_partition_or_index_partition_is_denied(contacts, denials):
    with tenancy.tenant_scope("acme"):
        page = repository.query(access.listed("acme", CONTACT), limit=10)
        assert [record.id for record in page.records] == [contacts["acme"]]
        with pytest.raises(QueryError) as on_index:
            repository.query(access.listed("globex", CONTACT), limit=10)
        with pytest.raises(QueryError) as on_table:
            repository.read_partition(PartitionQuery(keys.record_pk("globex", CONTACT, contacts["globex"])), limit=10)
    assert on_index.value.cause_response_code == on_table.value.cause_response_code == DENIED
    assert denials() == ["dynamodb:Query", "dynamodb:Query"]


def test_a_batch_or_a_transaction_naming_one_key_of_another_tenant_is_denied_whole(contacts, denials):
    mine = HistoryItem(keys.record_pk("acme", DEAL, "01JDEAL"), "H#1", tenant_id="acme")
    contact_keys = [(keys.record_pk(tenant, CONTACT, contacts[tenant]), keys.META_SK) for tenant in contacts]
    with tenancy.tenant_scope("acme"):
        assert len(repository.get_records("acme", [Parent(CONTACT, contacts["acme"])])) == 1
        with pytest.raises(PynamoDBException) as batch:
            list(RecordItem.batch_get(contact_keys))
        work = UnitOfWork()
        work.put_item(mine)
        work.put_item(HistoryItem(keys.record_pk("globex", DEAL, "01JDEAL"), "H#1", tenant_id="globex"))
        with pytest.raises(TransactWriteError) as transaction:
            work.commit()
        assert not [item for item in Item.query(mine.pk) if item.sk == mine.sk]  # nothing of it was written
    assert batch.value.cause_response_code == transaction.value.cause_response_code == DENIED
    assert denials() == ["dynamodb:BatchGetItem", "dynamodb:PutItem"]


def test_a_scan_is_denied_even_of_the_tenants_own_items(contacts, denials):
    with tenancy.tenant_scope("acme"), pytest.raises(ScanError) as refused:
        list(Item.scan(Item.tenant_id == "acme"))
    assert refused.value.cause_response_code == DENIED
    assert denials() == ["dynamodb:Scan"]


def test_every_request_of_an_api_call_is_signed_for_the_callers_tenant(tenant_fence: TenantFence):
    with dynamodb_requests() as requests:
        contact = create("createContact", ACME, last_name="Signed", email="signed@acme.example")
        assert call("getContact", ACME, record_id=contact["id"]).status == 200
    made = len(requests)
    assert made >= 2 and tenant_fence.sessions[-made:] == ["acme"] * made
    with dynamodb_requests() as requests:
        assert call("getContact", GLOBEX, record_id=contact["id"]).status == 404
    assert tenant_fence.sessions[-len(requests) :] == ["globex"] * len(requests)


def test_credentials_are_asked_once_per_tenant_and_again_shortly_before_they_expire(
    contacts, recording_sts: RecordingSts
):
    clock = Clock(datetime.now(UTC))
    sts = RecordingSts(recording_sts.sts)
    fence = TenantFence(sts)
    with fence.installed(TenantCredentials(ROLE_ARN, sts, clock)):
        for _ in range(3):
            assert call("getContact", ACME, record_id=contacts["acme"]).status == 200
        assert len(sts.requests) == 1
        assert call("getContact", GLOBEX, record_id=contacts["globex"]).status == 200
        assert [request["Tags"] for request in sts.requests] == [
            [{"Key": "tenant_id", "Value": "acme"}],
            [{"Key": "tenant_id", "Value": "globex"}],
        ]
        clock.now += tenancy.SESSION_DURATION - tenancy.REFRESH_BEFORE + timedelta(seconds=1)
        assert call("getContact", ACME, record_id=contacts["acme"]).status == 200
        assert len(sts.requests) == 3
    assert fence.denied == []
