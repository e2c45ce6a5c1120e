"""The webhooks' key layout and access patterns (rapport.dal.keys has the shared layout and says why this is here).

| item                            | pk              | sk                                                  |
|---------------------------------|-----------------|-----------------------------------------------------|
| webhook                         | T#<t>#WHK#<id>  | A#META                                              |
| its deliveries, newest first    | T#<t>#WHK#<id>  | E#<inverted delivery ulid> (kind `webhook_delivery`) |
| its signing secrets, sealed     | T#<t>#WHK#<id>  | K#SECRETS (kind `webhook_secrets`)                  |

The secrets are not in the record's data: the record's changes go on the bus (rapport.events), the secrets never
do (a summary item makes no event). A delivery's id is a ULID of the event's time, its randomness a hash of the
event and the webhook (the same event queued twice for a webhook is one delivery); its key is the timeline's
(`keys.entry_sk`), so the webhook and its latest deliveries are ONE Query.

| index | serves                                         | pk                   | sk           |
|-------|------------------------------------------------|----------------------|--------------|
| gsi1  | the tenant's webhooks (or their trash), by id  | T#<t>#WHK (#DELETED) | <webhook id> |
| gsi2  | the tenant's active webhooks: the dispatcher's | T#<t>#WHK#ACTIVE     | <webhook id> |
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from datetime import datetime
from typing import Any

from pynamodb.expressions.condition import Condition
from ulid import ULID

from rapport.dal import keys, repository
from rapport.dal.access import IndexQuery, PartitionQuery
from rapport.dal.keys import IndexKeys
from rapport.dal.models import SummaryItem
from rapport.webhooks.manifest import WEBHOOK

SECRETS_SK = "K#SECRETS"  # after the deliveries (`E#`): the delivery log's Query never reads it
SECRETS_KIND = "webhook_secrets"
DELIVERY_KIND = "webhook_delivery"


def _active_pk(tenant_id: str) -> str:
    return f"{keys.list_pk(tenant_id, WEBHOOK)}#ACTIVE"


def index_keys(tenant_id: str, webhook_id: str, *, active: bool, deleted: bool) -> IndexKeys:
    return IndexKeys(
        gsi1pk=keys.list_pk(tenant_id, WEBHOOK, deleted=deleted),
        gsi1sk=webhook_id,
        gsi2pk=_active_pk(tenant_id) if active and not deleted else None,
        gsi2sk=webhook_id if active and not deleted else None,
    )


def listed(tenant_id: str) -> IndexQuery:
    """The tenant's live webhooks, by id (oldest first)."""
    return IndexQuery("gsi1", keys.list_pk(tenant_id, WEBHOOK))


def active(tenant_id: str) -> IndexQuery:
    """The tenant's active webhooks."""
    return IndexQuery("gsi2", _active_pk(tenant_id))


def _partition(tenant_id: str, webhook_id: str) -> str:
    return keys.record_pk(tenant_id, WEBHOOK, webhook_id)


def secrets_item(tenant_id: str, webhook_id: str, data: Mapping[str, Any]) -> SummaryItem:
    partition = _partition(tenant_id, webhook_id)
    return repository.summary_item(tenant_id, partition, SECRETS_SK, SECRETS_KIND, webhook_id, data)


def secrets_key(tenant_id: str, webhook_id: str) -> SummaryItem:
    return SummaryItem(_partition(tenant_id, webhook_id), SECRETS_SK)


def read_secrets(tenant_id: str, webhook_id: str) -> dict[str, Any] | None:
    """The webhook's sealed secrets (one GetItem)."""
    return _read(secrets_key(tenant_id, webhook_id))


def delivery_id(occurred_at: str, event_id: str, webhook_id: str) -> str:
    """The delivery of event `event_id` to webhook `webhook_id`: a ULID of the event's time, the same every time."""
    randomness = hashlib.sha256(f"{event_id}/{webhook_id}".encode()).digest()[:10]
    stamp = ULID.from_datetime(datetime.fromisoformat(occurred_at)).milliseconds.to_bytes(6, "big")
    return str(ULID.from_bytes(stamp + randomness))


def _delivery_sk(delivery_id_: str) -> str:
    return keys.entry_sk(ULID.from_str(delivery_id_).datetime.isoformat(), delivery_id_)


def delivery_item(tenant_id: str, webhook_id: str, delivery_id_: str, data: Mapping[str, Any]) -> SummaryItem:
    partition = _partition(tenant_id, webhook_id)
    return repository.summary_item(tenant_id, partition, _delivery_sk(delivery_id_), DELIVERY_KIND, delivery_id_, data)


def delivery_is(status: str) -> Condition:
    """The condition that the delivery a write replaces is in `status`."""
    return SummaryItem.data["status"] == status  # type: ignore[no-any-return]


def delivery_absent() -> Condition:
    """The condition that no delivery is at a write's key yet."""
    return SummaryItem.sk.does_not_exist()


def delivery_in_run(run: int) -> Condition:
    """The condition that the delivery a write replaces is still in run `run` (not redelivered since)."""
    return SummaryItem.data["run"] == run  # type: ignore[no-any-return]


def delivery_key(tenant_id: str, webhook_id: str, delivery_id_: str) -> SummaryItem:
    return SummaryItem(_partition(tenant_id, webhook_id), _delivery_sk(delivery_id_))


def read_delivery(tenant_id: str, webhook_id: str, delivery_id_: str) -> dict[str, Any] | None:
    """A delivery's data (one GetItem), or None."""
    return _read(delivery_key(tenant_id, webhook_id, delivery_id_))


def _read(key: SummaryItem) -> dict[str, Any] | None:
    try:
        key.refresh(consistent_read=True)
    except SummaryItem.DoesNotExist:
        return None
    return repository.plain(key.summary_data())  # type: ignore[no-any-return]


def delivery_log(tenant_id: str, webhook_id: str) -> PartitionQuery:
    """The webhook, then its deliveries, newest first (its secrets sort after them)."""
    return PartitionQuery(_partition(tenant_id, webhook_id), start=keys.META_SK, end=keys.INTERACTIONS_END)


def deliveries(tenant_id: str, webhook_id: str) -> PartitionQuery:
    """The webhook's deliveries alone (to erase them)."""
    return PartitionQuery(_partition(tenant_id, webhook_id), start=keys.INTERACTION_PREFIX, end=keys.INTERACTIONS_END)
