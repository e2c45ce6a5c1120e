"""Storage of settings documents: one item per tenant and document, read and put whole over its version.

Where each document is: `keys.settings_document_key`. A document is put with its kind, so that its change is
published as `<kind>.updated` (rapport.events.publisher).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from pynamodb.exceptions import DoesNotExist

from rapport.contexts import Kind
from rapport.dal import keys
from rapport.dal.models import Item, RecordItem, SettingItem
from rapport.dal.repository import UnitOfWork, compact, plain


@dataclass(frozen=True)
class StoredSetting:
    data: dict[str, Any]
    version: int
    updated_at: str
    updated_by: str


def read(tenant_id: str, kind: Kind, key: str | None = None) -> StoredSetting | None:
    """The document as saved (one strongly consistent GetItem), or None before its first save."""
    try:
        item = Item.get(*keys.settings_document_key(tenant_id, kind, key), consistent_read=True)
    except DoesNotExist:
        return None
    if not isinstance(item, SettingItem | RecordItem):  # a record: the scoring rules as they were first stored
        raise TypeError(f"the {kind.label} of {tenant_id} are a {type(item).__name__}")
    return StoredSetting(plain(item.data), item.version or 0, item.updated_at, item.updated_by)


def save(
    tenant_id: str,
    kind: Kind,
    data: dict[str, Any],
    *,
    key: str | None = None,
    expected_version: int,
    actor: str,
    at: str,
) -> int:
    """Put the document over `expected_version` (0: never saved); its new version. `StaleVersion` if it moved on."""
    pk, sk = keys.settings_document_key(tenant_id, kind, key)
    item = SettingItem(pk, sk, tenant_id=tenant_id, kind=kind.code, data=compact(data))
    item.updated_at, item.updated_by = at, actor
    if expected_version:
        item.version = expected_version
    work = UnitOfWork()
    work.put_item(item)
    work.commit()
    return int(item.version or 0)
