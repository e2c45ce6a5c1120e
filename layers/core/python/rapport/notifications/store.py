"""Notifications' markers (rapport.dal.keys has the shared layout and says why this is here).

A sent-marker lives in the idempotency table, not the single table: `T#<t>#NOTIFY#<channel>#<dedupe key>` (TTL),
put in one transaction with the interaction it records (rapport.notifications.notifier says why), or on its own
with status `not_sent` and the reason when the request will never be sent. A tenant's saved templates are settings
documents (rapport.dal.keys).

An email sent for a thread (a case's reply) is kept in the single table for as long as the thread lives, in the
same transaction: `T#<t>#MAIL#SENT#<SES message id>`, sk `#` (kind `sent_mail`, ref the thread's id), so that an
answer whose `In-Reply-To` or `References` names it (`<SES message id@…amazonses.com>`: SES sets every Message-ID
it sends) finds its thread by one Query, whatever its subject became.
"""

from __future__ import annotations

from datetime import datetime
from typing import NamedTuple

from pynamodb.exceptions import PutError

from rapport.dal import keys, repository
from rapport.dal.access import PartitionQuery
from rapport.dal.models import NotificationMarkerItem
from rapport.dal.repository import UnitOfWork

SENT_MAIL_KIND = "sent_mail"
SENT_MAIL_SK = "#"


class Marker(NamedTuple):
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


def _sent_mail_pk(tenant_id: str, ses_message_id: str) -> str:
    return f"{keys.tenant_prefix(tenant_id)}MAIL#SENT#{ses_message_id}"


def stage_sent_mail(work: UnitOfWork, tenant_id: str, ses_message_id: str, thread_id: str) -> None:
    """Add to `work` that the email SES sent as `ses_message_id` belongs to the thread `thread_id`."""
    partition = _sent_mail_pk(tenant_id, ses_message_id)
    data = {"thread_id": thread_id}
    work.put_item(repository.summary_item(tenant_id, partition, SENT_MAIL_SK, SENT_MAIL_KIND, thread_id, data))


def thread_of(tenant_id: str, ses_message_id: str) -> str | None:
    """The thread of the email SES sent as `ses_message_id`, if one was kept (ONE Query)."""
    pattern = PartitionQuery(_sent_mail_pk(tenant_id, ses_message_id), start=SENT_MAIL_SK, end=SENT_MAIL_SK)
    found = next(repository.partition_summaries(pattern), None)
    return found.ref_id if found else None
