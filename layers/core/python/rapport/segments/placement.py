"""Who is in a dynamic segment: the contacts placed by the event stream and by a segment's fill (the workers'
side of the segments; the API's is rapport.segments.service).

After each change of a contact (or of what its filter reads: its account, deals, activities, consent, standing)
the membership worker evaluates the contact against the tenant's live dynamic segments (`refresh_contact`); a new
or changed filter fills the segment from the tenant's contacts, a page at a time (`backfill_page`), with its
progress on the segment; an erased segment lets its members go (`dissolve`). A contact joins or leaves a segment
in a transaction of its own that fails if someone placed it first (rapport.segments.store), so each happens once.
A join is by the worker that placed it (`MEMBERSHIP_ACTOR`, `FILL_ACTOR`): the `segment_membership.joined` event's
actor.
"""

from __future__ import annotations

from pydantic import TypeAdapter

from rapport.contacts.manifest import CONTACT
from rapport.dal import access, repository
from rapport.dal.repository import Position, Record, StaleVersion, UnitOfWork
from rapport.segments import store
from rapport.segments.filter import Filter, Node, matches
from rapport.segments.manifest import SEGMENT
from rapport.segments.models import BackfillState
from rapport.segments.view import contact_view
from rapport.types import utc_now

BACKFILL_PAGE = 100  # contacts a page: their memberships are one BatchGetItem (at most 100 keys)
MEMBERSHIP_ACTOR = "segment_membership"  # who the membership worker's joins are by (functions/segment_membership)
FILL_ACTOR = "segment_backfill"  # who a fill's joins are by (functions/segment_backfill)
FILTER: TypeAdapter[Node] = TypeAdapter(Filter)


def filter_of(segment: Record) -> Node | None:
    """A dynamic segment's filter as stored (validated when it was written)."""
    stored = segment.data.get("filter")
    return FILTER.validate_python(stored) if stored is not None else None


def refresh_contact(tenant_id: str, contact_id: str) -> dict[str, list[str]]:
    """Evaluate the contact against the tenant's live dynamic segments, and join or leave each as it says. A
    trashed contact leaves the dynamic segments; an erased one leaves every segment."""
    dynamic = list(repository.records(store.dynamic_segments(tenant_id)))
    current = store.segment_ids_of(tenant_id, contact_id)
    if not dynamic and not current:  # a tenant without segments pays two Queries an event
        return {"joined": [], "left": []}
    found = contact_view(tenant_id, contact_id)
    record = found[0] if found is not None else None
    joined, left = [], []
    for segment in dynamic:
        tree = filter_of(segment)
        if found is not None and tree is not None and matches(tree, found[1]):
            if segment.id not in current and join(tenant_id, segment.id, found[0], by=MEMBERSHIP_ACTOR):
                joined.append(segment.id)
        elif segment.id in current and leave(tenant_id, segment.id, contact_id, record):
            left.append(segment.id)
    if found is None and repository.get(tenant_id, CONTACT, contact_id) is None:
        gone = sorted(current - set(left))
        left += [segment_id for segment_id in gone if leave(tenant_id, segment_id, contact_id, None)]
    return {"joined": joined, "left": left}


def backfill_page(tenant_id: str, segment_id: str, version: int, position: Position | None) -> Position | None:
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
    members = store.member_of(tenant_id, segment_id, [contact.id for contact in page.records])
    for contact in page.records:
        _place(tenant_id, segment_id, tree, contact.id, member=contact.id in members)
    done = page.next_position is None
    progress = {
        **progress,
        "state": (BackfillState.DONE if done else BackfillState.RUNNING).value,
        "processed": int(progress["processed"]) + len(page.records),
        "finished_at": utc_now() if done else None,
    }
    store.put_backfill(tenant_id, segment_id, progress)
    return page.next_position


def dissolve(tenant_id: str, segment_id: str) -> int:
    """Take every member out of an erased segment (their memberships with them); how many left."""
    members = store.members_of(tenant_id, segment_id)
    return sum(leave(tenant_id, segment_id, member.ref_id, None) for member in members)


def _place(tenant_id: str, segment_id: str, tree: Node, contact_id: str, *, member: bool) -> None:
    found = contact_view(tenant_id, contact_id)
    if found is not None and matches(tree, found[1]):
        if not member:
            join(tenant_id, segment_id, found[0], by=FILL_ACTOR)
    elif member:
        leave(tenant_id, segment_id, contact_id, found[0] if found is not None else None)


def join(tenant_id: str, segment_id: str, contact: Record, *, by: str) -> bool:
    """The contact, as read, joins the segment, placed by the worker `by`; False if it was in already (someone else
    placed it) or if it changed since it was read: its change's own event evaluates it again, so a decision taken on
    what it held before never lands after one taken on what it holds now (events are handled concurrently, in any
    order)."""
    work = UnitOfWork()
    work.require_unchanged(contact)
    store.stage_join(work, tenant_id, segment_id, contact.id, store.member_data(contact, utc_now()), by=by)
    store.stage_count(work, tenant_id, segment_id, 1)
    return _committed(work)


def leave(tenant_id: str, segment_id: str, contact_id: str, contact: Record | None) -> bool:
    """The contact leaves the segment; False if it was not in (someone else took it out) or if `contact`, the
    record read (None: gone, or the segment is), changed since (see `join`)."""
    work = UnitOfWork()
    if contact is not None:
        work.require_unchanged(contact)
    store.stage_leave(work, tenant_id, segment_id, contact_id)
    store.stage_count(work, tenant_id, segment_id, -1)
    return _committed(work)


def _committed(work: UnitOfWork) -> bool:
    try:
        work.commit()
    except StaleVersion:
        return False
    return True
