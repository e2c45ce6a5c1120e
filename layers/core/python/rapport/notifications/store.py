"""Notifications' markers (rapport.dal.keys has the shared layout and says why this is here).

A sent-marker lives in the idempotency table, not the single table: `T#<t>#NOTIFY#<channel>#<dedupe key>` (TTL),
put in one transaction with the interaction it records (rapport.notifications.notifier says why), or on its own
with status `not_sent` and the reason when the request will never be sent. A tenant's saved templates are settings
documents (rapport.dal.keys).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from pynamodb.exceptions import PutError

from rapport.dal import keys
from rapport.dal.models import NotificationMarkerItem
from rapport.dal.repository import UnitOfWork


@dataclass(frozen=True)
class Marker:
    """What became of a request under its dedupe key: `sent` (with the message's id), or `not_sent` and why."""

    status: str
    channel: str
    message_id: str | None
    reason: str | None


def _pk(tenant_id: str, channel: str, dedupe_key: str) -> str:
    return f"{keys.tenant_prefix(tenant_id)}NOTIFY#{channel}#{dedupe_key}"


def marker(tenant_id: str, channel: str, dedupe_key: str) -> Marker | None:
    try:
        item = NotificationMarkerItem.get(_pk(tenant_id, channel, dedupe_key), consistent_read=True)
    except NotificationMarkerItem.DoesNotExist:
        return None
    return Marker(item.status, item.channel, item.message_id, item.reason)


def stage_sent(
    work: UnitOfWork, tenant_id: str, channel: str, dedupe_key: str, message_id: str, *, at: str, expires: datetime
) -> None:
    """Add the sent-marker to `work`, only if there is none (a concurrent delivery's makes it fail: StaleVersion)."""
    item = NotificationMarkerItem(
        _pk(tenant_id, channel, dedupe_key), channel=channel, message_id=message_id, sent_at=at, expires_at=expires
    )
    work.put_item(item, NotificationMarkerItem.pk.does_not_exist())


def record_not_sent(
    tenant_id: str, channel: str, dedupe_key: str, reason: str, *, at: str, expires: datetime, status: str
) -> None:
    """Say under the dedupe key that the request will never be sent, and why (unless a marker is there already)."""
    item = NotificationMarkerItem(
        _pk(tenant_id, channel, dedupe_key),
        status=status,
        channel=channel,
        reason=reason,
        sent_at=at,
        expires_at=expires,
    )
    try:
        item.save(condition=NotificationMarkerItem.pk.does_not_exist())
    except PutError as error:
        if error.cause_response_code != "ConditionalCheckFailedException":
            raise
