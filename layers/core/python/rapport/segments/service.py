"""Segments as the API serves them: their records (RecordService), a read with its count and fill, their members,
and a static segment's members added and removed by hand (`change_members`). A dynamic segment's members are the
live contacts its filter selects, placed by the workers (rapport.segments.placement)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from rapport import normalize
from rapport.auth import Action, Caller
from rapport.contacts.manifest import CONTACT
from rapport.dal import access, repository
from rapport.dal.repository import Guard, IndexKeys, Parent, ParentMissing, Record, StaleVersion, UnitOfWork
from rapport.errors import Busy, Conflict, FieldError, InvalidInput, NotFound
from rapport.pagination import Page
from rapport.records import RecordService
from rapport.segments import store
from rapport.segments.manifest import SEGMENT
from rapport.segments.membership import FILLED_BY
from rapport.segments.models import (
    Backfill,
    BackfillState,
    Member,
    MembersChange,
    MembersChanged,
    Segment,
    SegmentCreate,
    SegmentKind,
)
from rapport.types import utc_now


class SegmentService(RecordService[SegmentCreate, Segment]):
    kind = SEGMENT
    resource = "segments"
    label = "segment"
    create_model = SegmentCreate
    out_model = Segment

    def guards(self, data: Mapping[str, Any]) -> dict[Guard, str]:
        return {}

    def index_keys(self, tenant_id: str, record_id: str, data: Mapping[str, Any], *, deleted: bool) -> IndexKeys:
        dynamic = data["kind"] == SegmentKind.DYNAMIC
        return store.index_keys(
            tenant_id, record_id, normalize.name_key(data["name"]), dynamic=dynamic, deleted=deleted
        )

    def linked_writes(self, work: UnitOfWork, before: Record | None, after: Record | None) -> None:
        """A dynamic segment created, restored, or whose filter or kind changed shows its fill as running from the
        write on (the fill worker takes it from there); a segment made static has no fill."""
        if (
            after is not None
            and before is not None
            and after.data["kind"] != before.data["kind"] == SegmentKind.DYNAMIC
        ):
            store.stage_no_backfill(work, after.tenant_id, after.id)  # a static list is filled by hand
        if after is None or after.deleted or after.data["kind"] != SegmentKind.DYNAMIC:
            return
        if before is None or before.deleted or any(before.data.get(f) != after.data.get(f) for f in FILLED_BY):
            started = {"state": BackfillState.RUNNING.value, "processed": 0, "started_at": after.updated_at}
            store.stage_backfill(work, after.tenant_id, after.id, started)

    def stage_update(self, work: UnitOfWork, caller: Caller, record: Record, changes: Mapping[str, Any]) -> None:
        """A filter sent is the new filter, whole: merged into the old (RFC 7396 merges objects) two trees would make
        a third that nobody wrote."""
        if changes.get("filter") is not None:
            changes = {**changes, "filter": _replacing(record.data.get("filter"), changes["filter"])}
        super().stage_update(work, caller, record, changes)

    def get(self, caller: Caller, record_id: str) -> Segment:
        """The segment with its member count and its fill's progress: ONE Query."""
        caller.require(self.resource, Action.READ)
        read = store.read_segment(caller.tenant_id, record_id)
        if read.record is None:
            raise NotFound(f"No segment has the id {record_id}.")
        backfill = Backfill.model_validate(read.backfill) if read.backfill is not None else None
        return self.out(read.record).model_copy(update={"count": read.count, "backfill": backfill})

    def search(self, caller: Caller, *, deleted: bool, limit: int, cursor: str | None) -> Page[Segment]:
        """The segments by name, or the trash: ONE Query."""
        found = access.listed(caller.tenant_id, SEGMENT, deleted=deleted)
        return self.list(caller, found, limit=limit, cursor=cursor, bound_to={"deleted": deleted})

    def members(self, caller: Caller, segment_id: str, *, limit: int, cursor: str | None) -> Page[Member]:
        """A page of the segment's members by contact id: ONE Query (the first with the segment, or 404)."""
        pattern = store.members(caller.tenant_id, segment_id)
        found, next_cursor = self.child_summaries(
            caller, segment_id, pattern, store.MEMBER_KIND, limit=limit, cursor=cursor
        )
        members = [Member.model_validate({**summary.data, "contact_id": summary.ref_id}) for summary in found]
        return Page(items=members, next_cursor=next_cursor)

    def change_members(self, caller: Caller, segment_id: str, change: MembersChange) -> MembersChanged:
        """Add and remove contacts of a static segment, in one transaction; those already in (or out) are left."""
        caller.require(self.resource, Action.UPDATE)
        segment = self._load(caller, segment_id)
        if segment.deleted:
            raise Conflict("The segment is deleted; restore it before changing its members.")
        if segment.data["kind"] == SegmentKind.DYNAMIC:
            raise Conflict("A dynamic segment's members are the contacts its filter selects; change its filter.")
        tenant = caller.tenant_id
        contacts = repository.get_many(tenant, CONTACT, change.add)
        unknown = [
            FieldError(f"add[{index}]", f"No live contact has the id {contact_id}.", "unknown_reference")
            for index, contact_id in enumerate(change.add)
            if contact_id not in contacts or contacts[contact_id].deleted
        ]
        if unknown:
            raise InvalidInput("Some contacts to add do not exist.", unknown)
        current = store.member_of(tenant, segment_id, [*change.add, *change.remove])
        joining = [contacts[contact_id] for contact_id in change.add if contact_id not in current]
        leaving = [contact_id for contact_id in change.remove if contact_id in current]
        if joining or leaving:
            self._commit_members(caller, segment, joining, leaving)
        count = store.read_segment(tenant, segment_id).count
        return MembersChanged(added=[contact.id for contact in joining], removed=leaving, count=count)

    @staticmethod
    def _commit_members(caller: Caller, segment: Record, joining: list[Record], leaving: list[str]) -> None:
        """One transaction: the joins (by the caller) and leaves, the count, and the segment still as read (a
        segment made dynamic or trashed meanwhile takes no hand change)."""
        tenant, segment_id = caller.tenant_id, segment.id
        work = UnitOfWork()
        work.require_unchanged(segment)
        now = utc_now()
        for contact in joining:
            work.require_live(tenant, Parent(CONTACT, contact.id))
            store.stage_join(work, tenant, segment_id, contact.id, store.member_data(contact, now), by=caller.user_id)
        for contact_id in leaving:
            store.stage_leave(work, tenant, segment_id, contact_id)
        store.stage_count(work, tenant, segment_id, len(joining) - len(leaving))
        try:
            work.commit()
        except ParentMissing as error:
            raise InvalidInput.of(
                "add", f"No live contact has the id {error.parent.id}.", "unknown_reference"
            ) from error
        except StaleVersion as error:
            raise Busy("The segment or its members changed meanwhile; retry.") from error


def _replacing(old: Any, new: Any) -> Any:
    """The merge patch that turns `old` into `new` exactly: what `new` lacks of an object of `old` is removed."""
    if not isinstance(old, dict) or not isinstance(new, dict):
        return new
    removed = {name: None for name in old if name not in new}
    return {**removed, **{name: _replacing(old.get(name), value) for name, value in new.items()}}


segments = SegmentService()
