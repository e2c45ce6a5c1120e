"""Field history: every change of every field of a record — who, when, before and after — kept from its domain
events and read newest first (`GET /<records>/{id}/history`, registered for every record family by
rapport.api.records).

- A worker (functions/field_history) keeps each life-cycle event of a record (`created`, `updated`, `deleted` for
  trashed, `restored`) as one entry at the version it made; `erased` deletes the record's whole history.
- A field is named by its JSON pointer (RFC 6901): a change inside an object shows each value that changed
  (`/address/city`), so a merge patch shows only what it changed; a list is one value (a patch replaces it whole).
  Trashing and restoring show as such, their changes the trash marks (`/deleted_at`, `/deleted_by`).
- Kept for the tenant's retention (`history_retention_days` in the tenant settings; none: for ever): each entry
  expires by the table's TTL, counted from the change.
- An event is delivered at least once, in any order: an entry is put at its version (a redelivery puts it again,
  unchanged), and only while the record exists, so an event late after the erase brings nothing back.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from datetime import datetime, timedelta
from functools import cache
from typing import Any, Literal

from pydantic import Field

from rapport import contexts, pagination
from rapport.contexts import Kind
from rapport.dal import history, repository
from rapport.dal.history import KeptChanges
from rapport.errors import NotFound
from rapport.events.models import DomainEvent
from rapport.pagination import Page
from rapport.types import LazyModel

KEPT = ("created", "updated", "deleted", "restored")
ERASED = "erased"
Action = Literal["created", "updated", "deleted", "restored"]


class FieldChange(LazyModel):
    field: str = Field(description="The field as a JSON pointer (RFC 6901), e.g. `/address/city`")
    before: Any = Field(default=None, description="Its value before (null: it had none)")
    after: Any = Field(default=None, description="Its value after (null: it has none)")


class RecordChange(LazyModel):
    """One write of a record: what it changed, who made it and when."""

    version: int = Field(description="The record's version this write made")
    action: Action = Field(description="created, updated, deleted (trashed) or restored")
    actor: str = Field(description="Who made the change (a user id, or a workflow)")
    at: str = Field(description="When, ISO 8601 UTC")
    changes: list[FieldChange]


@cache
def _record_kinds() -> dict[str, Kind]:
    """The kinds with a life cycle (not settings documents, not summaries), by entity."""
    return {kind.entity: kind for kind in contexts.kinds() if not kind.document and not kind.summary}


def pointer(path: tuple[str, ...]) -> str:
    """The JSON pointer of `path` (RFC 6901: `~` is `~0`, `/` is `~1`)."""
    return "".join("/" + part.replace("~", "~0").replace("/", "~1") for part in path)


def field_changes(before: Any, after: Any, path: tuple[str, ...] = ()) -> Iterator[FieldChange]:
    """Each value that differs between `before` and `after`, objects compared member by member (a missing one is
    None), anything else (a list, a string...) as one value."""
    if before == after:
        return
    if isinstance(before, Mapping | None) and isinstance(after, Mapping | None) and (before or after):
        old, new = before or {}, after or {}
        for name in sorted(set(old) | set(new)):
            yield from field_changes(old.get(name), new.get(name), (*path, name))
        return
    yield FieldChange(field=pointer(path), before=before, after=after)


def _action(event: DomainEvent) -> str | None:
    entity, _, verb = event.detail_type.partition(".")
    return verb if entity == event.entity and entity in _record_kinds() else None


def keep(event: DomainEvent, retention_days: Callable[[], int | None]) -> str:
    """Keep what `event` changed in its record's history (or erase the history with the record); what was done:
    `kept`, `erased`, `gone` (the record was erased since), `ignored` (not a record's life-cycle event)."""
    action = _action(event)
    if action not in (*KEPT, ERASED):
        return "ignored"
    kind = _record_kinds()[event.entity]
    if action == ERASED:
        history.erase(event.tenant_id, kind, event.entity_id)
        return "erased"
    assert event.version is not None, "a record's life-cycle event carries the version it made"
    changes = [
        change.model_dump(mode="json")
        for name, value in event.changes.items()
        for change in field_changes(value.before, value.after, (name,))
    ]
    kept = KeptChanges(event.version, action, event.actor, event.occurred_at, changes)
    days = retention_days()
    expires_at = datetime.fromisoformat(event.occurred_at) + timedelta(days=days) if days else None
    return "kept" if history.keep(event.tenant_id, kind, event.entity_id, kept, expires_at=expires_at) else "gone"


def read(
    tenant_id: str, kind: Kind, record_id: str, *, query: str, limit: int, cursor: str | None
) -> Page[RecordChange]:
    """A page of the record's changes, newest first: ONE Query (and, when its first page is empty, one read to
    tell a record without history from no record: 404). `query` names the route the cursor is bound to."""
    binding = pagination.fingerprint(tenant_id, query, {"id": record_id})
    position = pagination.decode_cursor(cursor, binding)
    found, next_position = history.page(tenant_id, kind, record_id, limit=limit, position=position)
    if not found and position is None and repository.get(tenant_id, kind, record_id) is None:
        raise NotFound(f"No {kind.label} has the id {record_id}.")
    return Page(
        items=[RecordChange.model_validate(change._asdict()) for change in found],
        next_cursor=pagination.encode_cursor(next_position, binding),
    )
