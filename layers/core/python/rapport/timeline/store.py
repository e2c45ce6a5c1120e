"""Where timeline entries are stored: the shared layout of rapport.dal.keys (`E#<inverted time + id>` in the
partition of each record whose timeline shows it), as summary items of kind `entry`."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from rapport.contexts import Kind
from rapport.dal import access, keys, repository
from rapport.dal.access import PartitionQuery
from rapport.dal.models import SummaryItem
from rapport.dal.repository import Parent

ENTRY_KIND = "entry"  # the kind of a timeline entry's summary item


def entry_item(tenant_id: str, owner: Parent, occurred_at: str, entry_id: str, data: Mapping[str, Any]) -> SummaryItem:
    """The entry `entry_id` (what happened at `occurred_at`) in `owner`'s timeline, for a `UnitOfWork` to put."""
    return stored_entry(tenant_id, owner, keys.entry_sk(occurred_at, entry_id), entry_id, data)


def stored_entry(tenant_id: str, owner: Parent, sk: str, entry_id: str, data: Mapping[str, Any]) -> SummaryItem:
    """An entry in `owner`'s timeline where it is stored (`sk`, as read): to delete it."""
    partition = keys.record_pk(tenant_id, owner.kind, owner.id)
    return repository.summary_item(tenant_id, partition, sk, ENTRY_KIND, entry_id, data)


def entries(tenant_id: str, owner: Parent, item_kinds: Sequence[str]) -> PartitionQuery:
    """The entries of `owner`'s timeline (summaries of `item_kinds`), newest first."""
    return access.entries(tenant_id, owner.kind, owner.id, item_kinds)


def is_entry_key(sk: str) -> bool:
    return sk.startswith(keys.INTERACTION_PREFIX)


def timeline(tenant_id: str, kind: Kind, record_id: str, item_kinds: Sequence[str]) -> PartitionQuery:
    """A record and its timeline (`access.timeline`)."""
    return access.timeline(tenant_id, kind, record_id, item_kinds)
