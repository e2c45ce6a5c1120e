"""A record's field history in its own partition (keys.py: `T#<t>#HISTORY#<KIND>#<id>`), newest first.

Each write of a record is one item at its version, put only while the record exists (trashed or not): an event
that arrives after the record was erased, whose history went with it, brings none of it back.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from datetime import datetime
from typing import Any, NamedTuple

from rapport.contexts import Kind
from rapport.dal import keys
from rapport.dal.models import FieldChangesItem
from rapport.dal.repository import Parent, ParentMissing, Position, UnitOfWork, delete_items


class KeptChanges(NamedTuple):
    """What one write changed: `changes` as `{"field": <JSON pointer>, "before": ..., "after": ...}`."""

    version: int
    action: str
    actor: str
    at: str
    changes: Sequence[dict[str, Any]]


def keep(tenant_id: str, kind: Kind, record_id: str, kept: KeptChanges, *, expires_at: datetime | None) -> bool:
    """Put `kept` in the record's history if the record still exists; whether it did."""
    item = FieldChangesItem(
        keys.history_pk(tenant_id, kind, record_id),
        keys.history_sk(kept.version),
        tenant_id=tenant_id,
        kind=kind.code,
        record_id=record_id,
        version=kept.version,
        action=kept.action,
        actor=kept.actor,
        at=kept.at,
        changes=json.dumps(list(kept.changes), separators=(",", ":")),
        expires_at=expires_at,
    )
    work = UnitOfWork()
    work.require_live(tenant_id, Parent(kind, record_id), trashed_ok=True)
    work.put_item(item)
    try:
        work.commit()
    except ParentMissing:
        return False
    return True


def page(
    tenant_id: str, kind: Kind, record_id: str, *, limit: int, position: Position | None
) -> tuple[list[KeptChanges], Position | None]:
    """ONE Query: a page of the record's changes, newest first, and where the next page starts."""
    partition = keys.history_pk(tenant_id, kind, record_id)
    results = FieldChangesItem.query(
        partition,
        scan_index_forward=False,
        limit=limit + 1,
        page_size=limit + 1,
        last_evaluated_key={name: {"S": value} for name, value in position.items()} if position else None,
    )
    items = [item for item in results if isinstance(item, FieldChangesItem)]
    found = [
        KeptChanges(int(item.version), item.action, item.actor, item.at, json.loads(item.changes))
        for item in items[:limit]
    ]
    return found, ({"pk": partition, "sk": items[limit - 1].sk} if len(items) > limit else None)


def erase(tenant_id: str, kind: Kind, record_id: str) -> int:
    """Delete the record's whole history (after the record was erased); how many changes it held."""
    found = list(FieldChangesItem.query(keys.history_pk(tenant_id, kind, record_id)))
    delete_items(found)
    return len(found)
