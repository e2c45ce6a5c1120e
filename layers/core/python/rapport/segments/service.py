"""Segments: their records (RecordService), their members, the membership the event stream keeps, and the fill.

A dynamic segment's members are the live contacts its filter selects. After each change of a contact (or of what
its filter reads: its account, deals, activities, consent, standing) the membership worker evaluates the contact
against the tenant's live dynamic segments (`refresh_contact`); a new or changed filter fills the segment from the
tenant's contacts, a page at a time (`backfill_page`), with its progress on the segment. A static segment's members
are added and removed by hand (`change_members`).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from pydantic import TypeAdapter

from rapport import normalize, pagination
from rapport.auth import Action, Caller
from rapport.contacts.manifest import CONTACT
from rapport.dal import access, repository
from rapport.dal.repository import Guard, IndexKeys, Parent, ParentMissing, Position, Record, StaleVersion, UnitOfWork
from rapport.errors import Busy, Conflict, FieldError, InvalidInput, NotFound
from rapport.pagination import Page
from rapport.records import RecordService
from rapport.segments import store
from rapport.segments.filter import Filter, Node, matches
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
from rapport.segments.view import contact_view
from rapport.types import utc_now

BACKFILL_PAGE = 100
FILTER: TypeAdapter[Node] = TypeAdapter(Filter)


def filter_of(segment: Record) -> Node | None:
    """A dynamic segment's filter as stored (validated when it was written)."""
    stored = segment.data.get("filter")
    return FILTER.validate_python(stored) if stored is not None else None


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
        write on (the fill worker takes it from there)."""
        if after is None or after.deleted or after.data["kind"] != SegmentKind.DYNAMIC:
            return
        if before is None or before.deleted or any(before.data.get(f) != after.data.get(f) for f in FILLED_BY):
            started = {"state": BackfillState.RUNNING.value, "processed": 0, "started_at": after.updated_at}
            store.stage_backfill(work, after.tenant_id, after.id, started)

    def stage_update(self, work: UnitOfWork, caller: Caller, record: Record, changes: Mapping[str, Any]) -> None:
        """A filter sent is the new filter, whole: merged into the old (RFC 7396 merges objects) two trees would make
        a third that nobody wrote."""
        if changes.get("filter") is not None:
            record.data = {name: value for name, value in record.data.items() if name != "filter"}
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
        caller.require(self.resource, Action.READ)
        binding = pagination.fingerprint(caller.tenant_id, "segments:members", {"segment_id": segment_id})
        position = pagination.decode_cursor(cursor, binding)
        pattern = store.members(caller.tenant_id, segment_id)
        if position is None:
            page = repository.read_partition(pattern, limit=limit + 1)
            if page.record is None:
                raise NotFound(f"No segment has the id {segment_id}.")
        else:
            page = repository.read_partition(pattern, limit=limit, position=position)
        members = [
            Member.model_validate({**summary.data, "contact_id": summary.ref_id})
            for summary in page.summaries
            if summary.kind == store.MEMBER_KIND
        ]
        return Page(items=members, next_cursor=pagination.encode_cursor(page.next_position, binding))

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
        work = UnitOfWork()
        now = utc_now()
        for contact in joining:
            work.require_live(tenant, Parent(CONTACT, contact.id))
            store.stage_join(work, tenant, segment_id, contact.id, _member_data(contact, now))
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
            raise Busy("The segment's members changed meanwhile; retry.") from error
        count = store.read_segment(tenant, segment_id).count
        return MembersChanged(added=[contact.id for contact in joining], removed=leaving, count=count)

    def refresh_contact(self, tenant_id: str, contact_id: str) -> dict[str, list[str]]:
        """Evaluate the contact against the tenant's live dynamic segments, and join or leave each as it says. A
        trashed contact leaves the dynamic segments; an erased one leaves every segment."""
        found = contact_view(tenant_id, contact_id)
        current = store.segment_ids_of(tenant_id, contact_id)
        joined, left = [], []
        for segment in repository.records(store.dynamic_segments(tenant_id)):
            tree = filter_of(segment)
            wanted = found is not None and tree is not None and matches(tree, found[1])
            if wanted and segment.id not in current and found is not None:
                joined += [segment.id] if _join(tenant_id, segment.id, found[0]) else []
            elif not wanted and segment.id in current:
                left += [segment.id] if _leave(tenant_id, segment.id, contact_id) else []
        if found is None and repository.get(tenant_id, CONTACT, contact_id) is None:
            left += [
                segment_id for segment_id in sorted(current - set(left)) if _leave(tenant_id, segment_id, contact_id)
            ]
        return {"joined": joined, "left": left}

    def backfill_page(
        self, tenant_id: str, segment_id: str, version: int, position: Position | None
    ) -> Position | None:
        """Evaluate one page of the tenant's contacts (ONE Query) against the segment at `version`, and record the
        progress; where the next page starts, or None when the fill is done or the segment has moved on (trashed,
        static, or changed again: that change's fill takes over)."""
        segment = repository.get(tenant_id, SEGMENT, segment_id)
        tree = filter_of(segment) if segment is not None and not segment.deleted else None
        if segment is None or tree is None or segment.version != version:
            return None
        progress = store.read_segment(tenant_id, segment_id).backfill or {}
        if position is None or progress.get("version") != version:
            progress = {"version": version, "processed": 0, "started_at": utc_now()}
        page = repository.query(access.listed(tenant_id, CONTACT), limit=BACKFILL_PAGE, position=position)
        for contact in page.records:
            self._place(tenant_id, segment_id, tree, contact.id)
        done = page.next_position is None
        progress = {
            **progress,
            "state": (BackfillState.DONE if done else BackfillState.RUNNING).value,
            "processed": int(progress["processed"]) + len(page.records),
            "finished_at": utc_now() if done else None,
        }
        store.put_backfill(tenant_id, segment_id, progress)
        return page.next_position

    @staticmethod
    def _place(tenant_id: str, segment_id: str, tree: Node, contact_id: str) -> None:
        found = contact_view(tenant_id, contact_id)
        member = bool(store.member_of(tenant_id, segment_id, [contact_id]))
        if found is not None and matches(tree, found[1]):
            if not member:
                _join(tenant_id, segment_id, found[0])
        elif member:
            _leave(tenant_id, segment_id, contact_id)

    def dissolve(self, tenant_id: str, segment_id: str) -> int:
        """Take every member out of an erased segment (their memberships with them); how many left."""
        return sum(_leave(tenant_id, segment_id, member.ref_id) for member in store.members_of(tenant_id, segment_id))


def _member_data(contact: Record, now: str) -> dict[str, Any]:
    data = contact.data
    name = " ".join(part for part in (data.get("first_name"), data.get("last_name")) if part)
    return {"name": name or None, "email": data.get("email"), "joined_at": now}


def _join(tenant_id: str, segment_id: str, contact: Record) -> bool:
    """The contact joins the segment; False if it was in already (someone else placed it)."""
    work = UnitOfWork()
    store.stage_join(work, tenant_id, segment_id, contact.id, _member_data(contact, utc_now()))
    store.stage_count(work, tenant_id, segment_id, 1)
    return _committed(work)


def _leave(tenant_id: str, segment_id: str, contact_id: str) -> bool:
    work = UnitOfWork()
    store.stage_leave(work, tenant_id, segment_id, contact_id)
    store.stage_count(work, tenant_id, segment_id, -1)
    return _committed(work)


def _committed(work: UnitOfWork) -> bool:
    try:
        work.commit()
    except StaleVersion:
        return False
    return True


segments = SegmentService()
