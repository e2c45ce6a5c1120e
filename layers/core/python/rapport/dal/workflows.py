"""Storage of the unattended jobs (rapport.followups): the tenant registry, the sparse partitions they read
whole, "already sent" markers, and the tenant's settings for them (reminder offsets, the time zone and locale
of notifications). Key layout in `rapport.dal.keys`.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime, timedelta
from typing import Any

from pynamodb.exceptions import DoesNotExist, PutError

from rapport.dal import keys
from rapport.dal.models import IdempotencyItem, Item, RecordItem, SettingItem, TenantItem
from rapport.dal.repository import Record, _from_item, _plain, _sort_key_range

SENT_STATUS = "sent"
SENT_KEPT = timedelta(days=14)  # longer than any reminder offset and the digest's day: a redelivery finds it


def register_tenant(tenant_id: str, now: str) -> None:
    """Note that `tenant_id` has work for the scheduled jobs (idempotent; the first sighting is kept)."""
    item = TenantItem(keys.TENANTS_PK, keys.tenant_registry_sk(tenant_id))
    item.update(actions=[TenantItem.first_seen.set(TenantItem.first_seen | now)])


def tenants() -> Iterator[str]:
    """Every registered tenant: one Query on the registry's partition (paged by DynamoDB when large)."""
    for item in TenantItem.query(keys.TENANTS_PK):
        yield item.sk


def records_between(
    index: str, partition: str, *, start: str | None = None, end: str | None = None
) -> Iterator[Record]:
    """The records of an index partition whose sort keys run from `start` to `end` (inclusive; None: open):
    one Query, paged as DynamoDB pages it."""
    condition = _sort_key_range(getattr(Item, f"{index}sk"), start, end)
    for item in getattr(Item, index).query(partition, range_key_condition=condition):
        if isinstance(item, RecordItem):
            yield _from_item(item)


def mark_sent(tenant_id: str, what: str, now: datetime) -> bool:
    """Claim the message `what` (a reminder, a digest) for sending: True for the first caller only."""
    item = IdempotencyItem(
        keys.sent_marker_pk(tenant_id, what),
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
    IdempotencyItem(keys.sent_marker_pk(tenant_id, what)).delete()


def tenant_setting(tenant_id: str, name: str) -> dict[str, Any] | None:
    """The tenant's settings item `name` (a `*_SETTINGS_SK` of rapport.dal.keys), or None before one is saved."""
    try:
        item = SettingItem.get(keys.settings_pk(tenant_id), name)
    except DoesNotExist:
        return None
    return dict(_plain(item.data))


def put_tenant_setting(tenant_id: str, name: str, data: dict[str, Any], *, actor: str, now: str) -> None:
    SettingItem(
        keys.settings_pk(tenant_id),
        name,
        tenant_id=tenant_id,
        data=data,
        updated_at=now,
        updated_by=actor,
    ).save()
