"""Storage of settings documents: one item per tenant and document (and key), read and put whole over its version,
each save kept in the document's history.

Where each document and its history are: `keys.settings_document_key`, `keys.settings_history_pk`. A document is
put with its kind (and key), so that its change is published as `<kind>.updated` (rapport.events.publisher); its
history items are of a type the publisher leaves alone.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, NamedTuple

from pynamodb.exceptions import DoesNotExist

from rapport.contexts import Kind
from rapport.dal import keys
from rapport.dal.models import Item, RecordItem, SettingItem, SettingVersionItem
from rapport.dal.repository import Position, UnitOfWork, compact, plain


class StoredSetting(NamedTuple):
    data: dict[str, Any]
    version: int
    updated_at: str
    updated_by: str


class SettingVersion(NamedTuple):
    """One save of a document: the version it made, by whom and when, and each field's value before and after."""

    version: int
    updated_at: str
    updated_by: str
    changes: dict[str, Any]


def _stored(item: Item) -> StoredSetting:
    if not isinstance(item, SettingItem | RecordItem):  # a record: a document as it was stored before (see keys)
        raise TypeError(f"{item.pk} / {item.sk} is a {type(item).__name__}, not a settings document")
    return StoredSetting(plain(item.data), item.version or 0, item.updated_at, item.updated_by)


def read(tenant_id: str, kind: Kind, key: str | None = None) -> StoredSetting | None:
    """The document as saved (one strongly consistent GetItem), or None before its first save."""
    try:
        item = Item.get(*keys.settings_document_key(tenant_id, kind, key), consistent_read=True)
    except DoesNotExist:
        return None
    return _stored(item)


def saved(tenant_id: str, kind: Kind, limit: int) -> dict[str, StoredSetting]:
    """The documents of a kind with a document per key that the tenant saved, by key: one Query (on gsi1)."""
    results = Item.gsi1.query(keys.list_pk(tenant_id, kind), limit=limit)
    return {item.gsi1sk: _stored(item) for item in results if item.gsi1sk}


def save(
    tenant_id: str,
    kind: Kind,
    data: dict[str, Any],
    *,
    key: str | None,
    stored_as: str | None = None,
    expected_version: int,
    changes: Mapping[str, Any],
    actor: str,
    at: str,
) -> int:
    """Put the document over `expected_version` (0: never saved) with its history item, in one transaction; its new
    version. `StaleVersion` if it moved on. `stored_as`: where a document kept as a record before stays."""
    pk, sk = keys.settings_document_key(tenant_id, kind, key if key is not None else stored_as)
    item = SettingItem(pk, sk, tenant_id=tenant_id, kind=kind.code, key=key, data=compact(data))
    if key is not None:  # one of a kind's documents: listed by key
        item.gsi1pk, item.gsi1sk = keys.list_pk(tenant_id, kind), key
    item.updated_at, item.updated_by = at, actor
    if expected_version:
        item.version = expected_version
    version = expected_version + 1
    kept = SettingVersionItem(
        keys.settings_history_pk(tenant_id, kind, key),
        keys.settings_version_sk(version),
        tenant_id=tenant_id,
        version=version,
        updated_at=at,
        updated_by=actor,
        changes=dict(changes),
    )
    work = UnitOfWork()
    work.put_item(item)
    work.put_item(kept, Item.pk.does_not_exist())
    work.commit()
    return int(item.version or 0)


def history(
    tenant_id: str, kind: Kind, key: str | None, *, limit: int, position: Position | None
) -> tuple[list[SettingVersion], Position | None]:
    """ONE Query: a page of the document's saves, newest first, and where the next page starts."""
    partition = keys.settings_history_pk(tenant_id, kind, key)
    results = Item.query(
        partition,
        scan_index_forward=False,
        limit=limit + 1,
        page_size=limit + 1,
        last_evaluated_key={name: {"S": value} for name, value in position.items()} if position else None,
    )
    items = [item for item in results if isinstance(item, SettingVersionItem)]
    versions = [
        SettingVersion(int(item.version), item.updated_at, item.updated_by, plain(item.changes))
        for item in items[:limit]
    ]
    return versions, ({"pk": partition, "sk": items[limit - 1].sk} if len(items) > limit else None)
