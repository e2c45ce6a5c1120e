"""Timelines: what happened with a record, newest first, written and read in one place.

Every kind of entry (`TimelineEntry`: an activity, a message sent, a lead submitted again, a deal's stage move,
and those the contexts declare, such as a case's opening) is stored the same way: a summary item of kind `entry`
(rapport.timeline.store: newest first by `occurred_at`) in the partition of each record whose timeline shows it,
its data the entry as the API shows it. Writers make those items with `entry_items`; every reader (the
timelines, the 360 view, a lead's conversion, assignment's check) reads them with `read_entry`, which also reads
the shapes stored before this model: activities' and messages' summaries of kind `ACT`, and lead submissions'
of kind `interaction`.

Whose timelines: the records the entry links and, for a linked contact or deal that belongs to an account, that
account too, so an account's timeline rolls up what happened with its contacts and deals (`timelines_of`). The
account is the one the contact or deal belonged to when the entry was written or linked to it: when a contact
moves to another account, its later entries go to the new account's timeline, and what happened before stays
in the old one's (where it happened). Activities keep whose timelines they are in (`ActivityStored.timelines`),
so an edit or a trash rewrites or removes exactly those entries.

`TimelineEntry` is the discriminated union (by `kind`) of the kernel's entries (rapport.timeline.models) and the
contexts' (`Context.timeline_entries`), in that order, the contexts' by name: the OpenAPI document names the
union after its members. It is built on first use, not when this package is imported: a context's entry module
imports `rapport.timeline.models`, hence this package, before its model exists.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from functools import cache
from typing import TYPE_CHECKING, Annotated, Any, TypeAlias, Union

from pydantic import Field, TypeAdapter

from rapport.accounts.manifest import ACCOUNT
from rapport.activities.manifest import ACTIVITY
from rapport.contacts.manifest import CONTACT
from rapport.contexts import Kind, contexts, load
from rapport.dal import repository
from rapport.dal.repository import Parent, Record, Summary, TableItem
from rapport.deals.manifest import DEAL
from rapport.links import LINK_FIELDS
from rapport.timeline import store
from rapport.timeline.models import KERNEL_ENTRIES, Entry, EntryKind

LEGACY_ACTIVITY_KIND = ACTIVITY.code  # activities' and messages' summaries before entries had kinds
LEGACY_SUBMISSION_KIND = "interaction"  # lead submissions' summaries before entries had kinds
ITEM_KINDS = (store.ENTRY_KIND, LEGACY_ACTIVITY_KIND, LEGACY_SUBMISSION_KIND)

if TYPE_CHECKING:
    TimelineEntry: TypeAlias = Entry


@cache
def entry_types() -> tuple[type[Entry], ...]:
    """Every kind of entry: the kernel's, then those the contexts declare."""
    declared = (load(reference) for context in contexts() for reference in context.timeline_entries)
    return (*KERNEL_ENTRIES, *declared)


@cache
def _entry_union() -> Any:
    return Annotated[Union[entry_types()], Field(discriminator="kind")]  # noqa: UP007 (the members are a tuple)


@cache
def _adapter() -> TypeAdapter[Entry]:
    return TypeAdapter(_entry_union())


def __getattr__(name: str) -> Any:
    """`TimelineEntry`, built when first asked for (see above)."""
    if name == "TimelineEntry":
        return _entry_union()
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def timelines_of(kind: Kind, record: Record) -> list[Parent]:
    """The timelines an entry about `record` goes to: its own and, for a contact or deal, its account's."""
    owners = [Parent(kind, record.id)]
    account_id = record.data.get("account_id") if kind in (CONTACT, DEAL) else None
    if account_id:
        owners.append(Parent(ACCOUNT, account_id))
    return owners


def entry_items(tenant_id: str, entry: Entry, owners: Iterable[Parent]) -> list[TableItem]:
    """The items that put `entry` in each of `owners`' timelines (each once)."""
    data = entry.model_dump(mode="json", exclude={"id"}, exclude_none=True)
    return [store.entry_item(tenant_id, owner, data["occurred_at"], entry.id, data) for owner in dict.fromkeys(owners)]


def read_entry(summary: Summary) -> TimelineEntry:
    """The entry a summary item of one of `ITEM_KINDS` holds, whichever shape it was stored in."""
    return _adapter().validate_python({**_current_shape(summary), "id": summary.ref_id})


def delete_entries(tenant_id: str, owner: Parent, entry_type: type[Entry]) -> None:
    """Delete the entries of `entry_type` in `owner`'s timeline, and their copies in the other timelines each links
    (its account's): for a record erased for good. Reads the whole timeline (Queries), then batch deletes."""
    doomed: list[TableItem] = []
    for summary in repository.partition_summaries(store.entries(tenant_id, owner, ITEM_KINDS)):
        if not isinstance(entry := read_entry(summary), entry_type):
            continue
        linked = [
            Parent(link_kind, record_id)
            for field, link_kind in LINK_FIELDS.items()
            if (record_id := getattr(entry, field))
        ]
        doomed += [
            store.stored_entry(tenant_id, linked_owner, summary.sk, entry.id, {}) for linked_owner in {owner, *linked}
        ]
    repository.delete_items(doomed)


def is_entry(summary: Summary) -> bool:
    return store.is_entry_key(summary.sk) and summary.kind in ITEM_KINDS


def _current_shape(summary: Summary) -> Mapping[str, Any]:
    data = summary.data
    if summary.kind == store.ENTRY_KIND:
        return data
    if summary.kind == LEGACY_SUBMISSION_KIND:
        return {
            "kind": EntryKind.LEAD_SUBMISSION,
            "occurred_at": data["at"],
            "created_by": data["by"],
            "channel": data["channel"],
            "submitted": data.get("submitted") or {},
        }
    return {**data, "kind": EntryKind.NOTIFICATION if data.get("template") else EntryKind.ACTIVITY}
