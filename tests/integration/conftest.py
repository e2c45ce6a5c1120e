from collections.abc import Iterator

import boto3  # type: ignore[import-untyped]
import pytest

from tests.integration.tenant_fence import RecordingSts, TenantFence


@pytest.fixture(autouse=True)
def _tables(tables: None) -> None:
    """Every integration test runs against fresh tables under moto."""


@pytest.fixture(scope="session")
def recording_sts() -> RecordingSts:
    return RecordingSts(boto3.client("sts"))


@pytest.fixture(autouse=True)
def tenant_fence(_tables: None, recording_sts: RecordingSts) -> Iterator[TenantFence]:
    """Every request made for a tenant is signed with its tenant-data role's credentials (through moto's STS) and
    judged by the policy the stack deploys for that role: one that it denies fails as on AWS."""
    with TenantFence(recording_sts).installed() as fence:
        yield fence
    assert fence.denied == [], "the deployed tenant-data policy denies requests the code sent"
