"""Access patterns: each read a service makes is one of these, named and built by the data access layer.

An `IndexQuery` is ONE Query on an index partition, a `PartitionQuery` ONE Query on a record's partition of the
base table; the repository runs them (`repository.query`, `repository.read_partition`). They are built only by the
data access layer: this module for the layouts every kind shares (a kind's list, its name words, a parent's
children, a record's partition), each context's `store.py` for its own (`rapport.contacts.store.by_email`).
Services choose a pattern by name and hand it over; they never name an index, a partition key or a condition.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import datetime
from typing import NamedTuple

from rapport.contexts import Kind
from rapport.dal import keys


@dataclass(frozen=True)
class IndexQuery:
    """ONE Query on `index`'s `partition`, narrowed by its sort key (a `prefix`, the inclusive range `start`..`end`
    or below `before`), filtered by `words` and `data_equals` (see `repository.query`), newest first if asked."""

    index: str
    partition: str
    prefix: str | None = None
    start: str | None = None
    end: str | None = None
    before: str | None = None
    words: Sequence[str] = ()
    data_equals: Mapping[str, str] | None = None
    newest_first: bool = False

    def between(self, start: str | None, end: str | None) -> IndexQuery:
        """The pattern narrowed to sort keys from `start` to `end` (inclusive; None: open)."""
        return replace(self, start=start, end=end)


class PartitionQuery(NamedTuple):
    """ONE Query on a partition of the base table: its items with sort keys from `start` to `end` (inclusive), only
    records and summaries of `kinds` if given."""

    partition: str
    start: str | None = None
    end: str | None = None
    kinds: Sequence[str] = ()


def listed(tenant_id: str, kind: Kind, *, deleted: bool = False) -> IndexQuery:
    """Every record of `kind` by its list order (a name, a date, a score), or its trash."""
    return IndexQuery("gsi1", keys.list_pk(tenant_id, kind, deleted=deleted))


def named(tenant_id: str, kind: Kind, terms: Sequence[str], data_equals: Mapping[str, str] | None = None) -> IndexQuery:
    """Live records of `kind` with a word of their name starting with each of `terms`: the word partition read
    from its longest term, the others (and `data_equals`) as a filter."""
    key = max(terms, key=len)
    others = [term for term in terms if term != key]
    return IndexQuery("gsi1", keys.word_pk(tenant_id, kind), prefix=key, words=others, data_equals=data_equals)


def children(tenant_id: str, parent: Kind, parent_id: str, child: Kind) -> IndexQuery:
    """A parent's live children of `child` kind by name; the parent itself sits before them (keys.PARENT_SK)."""
    return IndexQuery("gsi4", keys.children_pk(tenant_id, parent, parent_id, child))


def timeline(tenant_id: str, kind: Kind, record_id: str, entry_kinds: Sequence[str]) -> PartitionQuery:
    """A record and its timeline's entries, newest first (with the summaries between them)."""
    partition = keys.record_pk(tenant_id, kind, record_id)
    return PartitionQuery(partition, start=keys.META_SK, end=keys.INTERACTIONS_END, kinds=(kind, *entry_kinds))


def entries(tenant_id: str, kind: Kind, record_id: str, entry_kinds: Sequence[str] = ()) -> PartitionQuery:
    """A record's timeline entries alone, newest first."""
    partition = keys.record_pk(tenant_id, kind, record_id)
    return PartitionQuery(partition, start=keys.INTERACTION_PREFIX, end=keys.INTERACTIONS_END, kinds=entry_kinds)


def entries_between(
    tenant_id: str, kind: Kind, record_id: str, earliest: datetime, latest: datetime, entry_kinds: Sequence[str] = ()
) -> PartitionQuery:
    """A record's timeline entries from `latest` back to `earliest`, newest first."""
    partition = keys.record_pk(tenant_id, kind, record_id)
    start, end = keys.entries_from(latest), keys.entries_until(earliest)
    return PartitionQuery(partition, start=start, end=end, kinds=entry_kinds)


def summaries(tenant_id: str, kind: Kind, record_id: str) -> PartitionQuery:
    """Everything a record's reads take from its partition, in key order: the summaries of other records kept
    there, the record, then its timeline's entries, newest first."""
    partition = keys.record_pk(tenant_id, kind, record_id)
    return PartitionQuery(partition, start=keys.PARTITION_START, end=keys.INTERACTIONS_END)
