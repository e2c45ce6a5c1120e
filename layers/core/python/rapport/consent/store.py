"""The consent ledger's key layout: each change an item of its own in the contact's partition, after its timeline.

| item                      | pk              | sk                                   |
|---------------------------|-----------------|--------------------------------------|
| a change of its consent   | T#<t>#CON#<id>  | H#CONSENT#<entry ULID> (oldest first) |

A change is put only if absent, in the transaction that changes the contact's `consent` (its current state), so
the ledger and the state never disagree; nothing updates or deletes an entry but the contact's erasure. The
history is ONE Query on the prefix, backwards: newest first.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from rapport.contacts.manifest import CONTACT
from rapport.dal import keys
from rapport.dal.models import HistoryItem, Item
from rapport.dal.repository import UnitOfWork, compact, plain

LEDGER_PREFIX = "H#CONSENT#"


def _partition(tenant_id: str, contact_id: str) -> str:
    return keys.record_pk(tenant_id, CONTACT, contact_id)


def stage_entry(work: UnitOfWork, tenant_id: str, contact_id: str, entry: Mapping[str, Any]) -> None:
    """Add the ledger entry (`entry["id"]`, a ULID) to `work`; an entry is written once."""
    item = HistoryItem(
        _partition(tenant_id, contact_id),
        f"{LEDGER_PREFIX}{entry['id']}",
        tenant_id=tenant_id,
        data=compact(dict(entry)),
    )
    work.put_item(item, Item.pk.does_not_exist())


def history(
    tenant_id: str, contact_id: str, *, limit: int, position: Mapping[str, str] | None
) -> tuple[list[dict[str, Any]], dict[str, str] | None]:
    """ONE Query: a page of the contact's consent changes, newest first, and where the next page starts."""
    partition = _partition(tenant_id, contact_id)
    results = Item.query(
        partition,
        Item.sk.startswith(LEDGER_PREFIX),
        scan_index_forward=False,
        limit=limit + 1,
        page_size=limit + 1,
        last_evaluated_key={name: {"S": value} for name, value in position.items()} if position else None,
    )
    items = [item for item in results if isinstance(item, HistoryItem)]
    next_position = {"pk": partition, "sk": items[limit - 1].sk} if len(items) > limit else None
    return [plain(item.data) for item in items[:limit]], next_position


def entry_items(tenant_id: str, contact_id: str) -> list[HistoryItem]:
    """Every ledger entry of the contact (to erase them with it)."""
    partition = _partition(tenant_id, contact_id)
    found = Item.query(partition, Item.sk.startswith(LEDGER_PREFIX))
    return [item for item in found if isinstance(item, HistoryItem)]
