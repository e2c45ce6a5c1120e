"""The unattended jobs' own storage: the tenant registry and "already sent" markers (rapport.dal.keys has the shared
layout and says why this is here). What the jobs read is the tasks', appointments' and deals' access patterns
(rapport.tasks.store, rapport.appointments.store, rapport.deals.store): sparse, tenant-prefixed partitions that
the records' own writes keep current, one Query per tenant each, no extra items, no Scan.

"Already sent" markers of reminders and digests live in the idempotency table (`T#<t>#SENT#<what>`, with its TTL),
not in the single table: they are not business changes and must not flow through the stream.

The jobs run for every tenant, and "every tenant" cannot be a partition of the single table (each key starts
with one tenant): the tenant registry is a small table of its own (`TENANTS` / tenant id), one partition that a
Query reads whole, written by the follow-ups worker when it sees a tenant's task, appointment or pipeline created
(an idempotent put). No API function reads or writes it.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime, timedelta

from pynamodb.exceptions import PutError

from rapport.dal import keys
from rapport.dal.models import IdempotencyItem, TenantItem

TENANTS_PK = "TENANTS"  # the tenant registry's one partition
SENT_STATUS = "sent"
SENT_KEPT = timedelta(days=14)  # longer than any reminder offset and the digest's day: a redelivery finds it


def register_tenant(tenant_id: str, now: str) -> None:
    """Note that `tenant_id` has work for the scheduled jobs (idempotent; the first sighting is kept)."""
    item = TenantItem(TENANTS_PK, tenant_id)
    item.update(actions=[TenantItem.first_seen.set(TenantItem.first_seen | now)])


def tenants() -> Iterator[str]:
    """Every registered tenant: one Query on the registry's partition (paged by DynamoDB when large)."""
    for item in TenantItem.query(TENANTS_PK):
        yield item.sk


def mark_sent(tenant_id: str, what: str, now: datetime) -> bool:
    """Claim the message `what` (a reminder, a digest) for sending: True for the first caller only."""
    item = IdempotencyItem(
        _sent_pk(tenant_id, what),
        status=SENT_STATUS,
        request_hash=what,
        expires_at=now + SENT_KEPT,
    )
    try:
        item.save(condition=IdempotencyItem.pk.does_not_exist())
    except PutError as error:
        if error.cause_response_code == "ConditionalCheckFailedException":
            return False
        raise
    return True


def unmark_sent(tenant_id: str, what: str) -> None:
    """Release a claim whose message could not be handed over, so that the next run tries again."""
    IdempotencyItem(_sent_pk(tenant_id, what)).delete()


def _sent_pk(tenant_id: str, what: str) -> str:
    """A workflow's "already sent" marker: `what` names the message."""
    return f"{keys.tenant_prefix(tenant_id)}SENT#{what}"
