"""Logging, listing, correcting and trashing activities; reading timelines.

An activity is written in ONE transaction: its record `T#<t>#ACT#<id>` (listed by the four indexes, see its store);
its entry in each timeline it belongs to (rapport.timeline: each linked record's, and the account of a
linked contact or deal); and what it means for those records and its author, each write conditioned on a newly
linked record being live:
- a linked contact or account: a check;
- a newly linked deal: its `last_activity_at` set to when it was linked (so it is no longer rotting), with its
  search entries, which copy it;
- a linked lead: one more engagement of the activity's kind, and the lead rescored (over the version read, so a
  concurrent change of the lead sends the whole write again, a few times at most);
- one more activity in its author's stats for the month it happened (the sales performance report).

Editing (`PATCH`, a merge patch over `If-Match`) rewrites its entries where they are, moves them out of the
timelines of a link it drops and into those of a link it gains, and re-keys them when `occurred_at` changes (the
id, a ULID of when it was first said to happen, stays; the entries' keys follow `occurred_at`, keys.entry_sk).
Its effects follow: the author's count moves to the new month; the lead's engagement moves to the new kind or
lead. Trashing removes its entries and takes back its count and engagement; a restore puts them back; erasing
(admins) removes it for good. A deal's `last_activity_at` is not rewound: it says when the deal was last worked
on, which logging the activity was, even if it is corrected later.

A timeline is one Query on the record's partition. The id is a ULID made from `occurred_at`, so timelines run
newest first by when things happened, not by when they were logged.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any, ClassVar

from ulid import ULID

from rapport import contexts, links, normalize, pagination, timeline
from rapport.accounts.manifest import ACCOUNT
from rapport.activities import store
from rapport.activities.manifest import ACTIVITY
from rapport.activities.models import Activity, ActivityCreate, ActivityStored
from rapport.auth import Action, Caller
from rapport.contacts.manifest import CONTACT
from rapport.contexts import Kind
from rapport.dal import access, repository
from rapport.dal.repository import (
    MAX_TRANSACTION_ITEMS,
    Guard,
    IndexKeys,
    Parent,
    ParentMissing,
    Position,
    Record,
    StaleVersion,
    TableItem,
    UnitOfWork,
)
from rapport.deals import store as deal_store
from rapport.deals.manifest import DEAL
from rapport.deals.store import StatsDelta
from rapport.errors import BadRequest, FieldError, InvalidInput, NotFound
from rapport.leads.manifest import LEAD
from rapport.leads.scoring import ENGAGEMENT_ATTEMPTS, EngagementKind
from rapport.pagination import Page
from rapport.records import RecordService, normalized_filter
from rapport.timeline import TimelineEntry
from rapport.timeline.models import EXCERPT_LENGTH, ActivityEntry, ActivityType, Direction
from rapport.users import teams

# A timeline's first page also reads the record (to answer 404 for an unknown or another tenant's id) and,
# in a contact's partition, the summaries between it and the interactions (open deals, tasks, appointments:
# usually a handful). The slack covers them so the first page is usually full; with more, it is shorter and
# the cursor goes on from where the read stopped.
FIRST_PAGE_SLACK = 16
TIMELINE_KINDS = (CONTACT, ACCOUNT, LEAD, DEAL)
ME = "me"
ROLLED_UP = (CONTACT, DEAL)  # linked records whose account's timeline shows the activity too


def engagement_kind(data: Mapping[str, Any]) -> EngagementKind:
    """What an activity counts as on the lead it links: a web visit, an email reply (inbound email), or else
    an activity."""
    if data["type"] == ActivityType.WEB:
        return EngagementKind.WEB_VISIT
    if data["type"] == ActivityType.EMAIL and data.get("direction") == Direction.INBOUND:
        return EngagementKind.EMAIL_REPLY
    return EngagementKind.ACTIVITY


def activity_entry(record: Record) -> ActivityEntry:
    """What a timeline shows of an activity."""
    data = record.data
    body: str | None = data.get("body")
    return ActivityEntry.model_validate(
        {
            **{name: data.get(name) for name in ("type", "direction", "occurred_at", "subject", "duration_s")},
            "outcome": data.get("outcome"),
            "id": record.id,
            "excerpt": body[:EXCERPT_LENGTH] if body else None,
            "created_by": record.created_by,
            **links.links_of(data),
        }
    )


def _parent(ref: str) -> Parent:
    kind, _, record_id = ref.partition("#")
    return Parent(contexts.kind(kind), record_id)


def _ref(parent: Parent) -> str:
    return f"{parent.kind}#{parent.id}"


def timelines(data: Mapping[str, Any]) -> dict[str, list[Parent]]:
    """Whose timelines hold the activity, by the link that put it there. An activity logged before it kept
    them is in its linked records' timelines only (no account roll-up)."""
    if "timelines" in data:
        return {field: [_parent(ref) for ref in refs] for field, refs in data["timelines"].items()}
    return {field: [parent] for parent, field in links.linked(data).items()}


def _owned(record: Record) -> Record:
    """An activity logged before activities had owners is its author's."""
    if "owner_id" not in record.data:
        record.data = {**record.data, "owner_id": record.created_by}
    return record


def _owners(data: Mapping[str, Any]) -> list[Parent]:
    return list(dict.fromkeys(owner for group in timelines(data).values() for owner in group))


class ActivityService(RecordService[ActivityCreate, Activity]):
    kind = ACTIVITY
    resource = "activities"
    label = "activity"
    create_model = ActivityStored
    out_model = Activity
    write_attempts = ENGAGEMENT_ATTEMPTS
    owner_fields = ("owner_id",)
    filter_aliases: ClassVar[Mapping[str, str]] = {"type_": "type", "occurred_from": "from", "occurred_to": "to"}
    ownership = teams.STAFF

    def guards(self, data: Mapping[str, Any]) -> dict[Guard, str]:
        return {}

    def parents(self, data: Mapping[str, Any]) -> dict[Parent, str]:
        return links.linked(data)

    def index_keys(self, tenant_id: str, record_id: str, data: Mapping[str, Any], *, deleted: bool) -> IndexKeys:
        return store.index_keys(
            tenant_id, record_id, data["owner_id"], data["type"], data["occurred_at"], deleted=deleted
        )

    def new_record_id(self, data: Mapping[str, Any]) -> str:
        return str(ULID.from_datetime(datetime.fromisoformat(data["occurred_at"])))

    def create(self, caller: Caller, payload: ActivityCreate) -> Activity:
        defaults = {
            "occurred_at": payload.occurred_at or datetime.now(UTC),
            "owner_id": payload.owner_id or caller.user_id,
        }
        return super().create(caller, payload.model_copy(update=defaults))

    def derive(self, tenant_id: str, data: dict[str, Any], before: Record | None) -> dict[str, Any]:
        """At least one link; whose timelines it is in (`timelines`), resolving the account of a contact or
        deal it is newly linked to (one BatchGetItem)."""
        linked = links.linked(data)
        if not linked:
            message = "link at least one of contact_id, account_id, lead_id, deal_id"
            raise InvalidInput(
                f"An activity must {message}.",
                [FieldError(field, message, "link_required") for field in links.LINK_FIELDS],
            )
        kept = timelines(before.data) if before else {}
        was = links.links_of(before.data) if before else {}
        fresh = [parent for parent, field in linked.items() if was.get(field) != parent.id or field not in kept]
        found = repository.get_records(tenant_id, (parent for parent in fresh if parent.kind in ROLLED_UP))
        groups = {}
        for parent, field in linked.items():
            if parent in fresh:
                record = found.get(parent)
                owners = timeline.timelines_of(parent.kind, record) if record else [parent]
            else:
                owners = kept[field]
            groups[field] = [_ref(owner) for owner in owners]
        owner_id = data.get("owner_id") or (before.created_by if before else None)
        return {**data, "owner_id": owner_id, "timelines": groups}

    def linked_writes(self, work: UnitOfWork, before: Record | None, after: Record | None) -> None:
        work.replace_items(self._entries(before), self._entries(after))
        tenant_id = next(record.tenant_id for record in (after, before) if record is not None)
        shown_before = before if before is not None and not before.deleted else None
        shown_after = after if after is not None and not after.deleted else None
        self._count(work, tenant_id, shown_before, shown_after)
        self._touch_deal(work, tenant_id, shown_before, shown_after)
        self._engage_leads(work, tenant_id, shown_before, shown_after)

    def restage_on(self, error: StaleVersion) -> bool:
        """A linked lead changed since its engagement was read."""
        return isinstance(error.subject, Record) and error.subject.kind == LEAD

    @staticmethod
    def _count(work: UnitOfWork, tenant_id: str, before: Record | None, after: Record | None) -> None:
        """The author's activities in the month each happened."""
        counts: Counter[tuple[str, str]] = Counter()
        if before is not None:
            counts[(before.created_by, deal_store.month_of(before.data["occurred_at"]))] -= 1
        if after is not None:
            counts[(after.created_by, deal_store.month_of(after.data["occurred_at"]))] += 1
        for (user_id, month), change in counts.items():
            if change:
                work.update_item(*deal_store.stats_update(tenant_id, month, user_id, StatsDelta(activities=change)))

    @staticmethod
    def _touch_deal(work: UnitOfWork, tenant_id: str, before: Record | None, after: Record | None) -> None:
        """A deal newly linked was worked on now; conditioned on it being live (else ParentMissing: a 422)."""
        deal_id = after.data.get("deal_id") if after is not None else None
        if after is not None and deal_id and deal_id != (before.data.get("deal_id") if before else None):
            from rapport.deals.service import deals  # imported by the writes that need it: not a read's cold start

            deals.record_activity(work, tenant_id, deal_id, after.updated_at, after.updated_by)

    @staticmethod
    def _engage_leads(work: UnitOfWork, tenant_id: str, before: Record | None, after: Record | None) -> None:
        """The engagement the activity counts on its lead: taken back from the lead and kind it counted on, added
        to the lead and kind it counts on now (a newly linked lead must be live)."""
        from rapport.leads.service import leads  # imported by the writes that need it: not a read's cold start

        changes: defaultdict[str, Counter[EngagementKind]] = defaultdict(Counter)
        actor = next(record.updated_by for record in (after, before) if record is not None)
        lead_before = before.data.get("lead_id") if before is not None else None
        lead_after = after.data.get("lead_id") if after is not None else None
        if before is not None and lead_before:
            changes[lead_before][engagement_kind(before.data)] -= 1
        if after is not None and lead_after:
            changes[lead_after][engagement_kind(after.data)] += 1
        for lead_id, counts in changes.items():
            moved = {kind: change for kind, change in counts.items() if change}
            if not moved:
                continue
            newly = lead_id == lead_after and lead_id != lead_before
            try:
                engaged = leads.record_engagement(work, tenant_id, lead_id, moved, actor=actor)
            except NotFound as error:
                if newly:
                    raise ParentMissing(Parent(LEAD, lead_id)) from error
                continue  # erased: nothing to take back
            if newly and engaged.deleted_at is not None:
                raise ParentMissing(Parent(LEAD, lead_id))

    @staticmethod
    def _entries(record: Record | None) -> list[TableItem]:
        if record is None or record.deleted:
            return []
        return timeline.entry_items(record.tenant_id, activity_entry(record), _owners(record.data))

    def out(self, record: Record) -> Activity:
        shown = {name: value for name, value in _owned(record).data.items() if name != "timelines"}
        return super().out(Record(**{**vars(record), "data": shown}))

    def _load(self, caller: Caller, record_id: str, expected_version: int | None = None) -> Record:
        return _owned(super()._load(caller, record_id, expected_version))

    def carry(
        self,
        work: UnitOfWork,
        tenant_id: str,
        lead_id: str,
        owners: list[Parent],
        room: int,
        position: Position | None = None,
    ) -> tuple[int, Position | None]:
        """Put the lead's timeline entries into `owners`' timelines too (a converted lead's, into its contact's and
        account's), newest first from `position`, as many as `room` more items in `work` allow. Returns how many
        are there now, and where the entries not carried yet start (None: all are).

        An activity keeps the new timelines with its lead link (so an edit or trash reaches them): its record is
        written over the version read, in `work`.
        """
        lead_entries = access.entries(tenant_id, LEAD, lead_id, timeline.ITEM_KINDS)
        assert lead_entries.start is not None
        resume = position or repository.after(lead_entries, lead_entries.start)  # before the first entry
        page = repository.read_partition(lead_entries, limit=max(room, 1), position=position)
        entries = [(summary.sk, timeline.read_entry(summary)) for summary in page.summaries]
        found = repository.get_records(
            tenant_id, (Parent(ACTIVITY, entry.id) for _, entry in entries if isinstance(entry, ActivityEntry))
        )
        records = {parent: _owned(record) for parent, record in found.items()}
        carried = 0
        for sk, entry in entries:
            record = records.get(Parent(ACTIVITY, entry.id)) if isinstance(entry, ActivityEntry) else None
            if record is not None and record.deleted:
                resume = repository.after(lead_entries, sk)
                continue
            items = self._carried(record, owners) if record else timeline.entry_items(tenant_id, entry, owners)
            cost = len(items) + (1 if record and items else 0)
            if cost > room:
                return carried, resume
            if record is not None and items:
                work.put_record(record, self.index_keys(tenant_id, record.id, record.data, deleted=False))
            for item in items:
                work.put_item(item)
            room -= cost
            carried += 1
            resume = repository.after(lead_entries, sk)
        return carried, page.next_position

    def carry_rest(self, tenant_id: str, lead_id: str, owners: list[Parent], position: Position | None) -> int:
        """`carry` from `position` to the end, a transaction a page: what a conversion's own transaction had no room
        for, right after it. A page whose activities keep changing meanwhile is read and written again a few times
        (its puts are idempotent), then left where it is (the entries stay in the lead's timeline). Returns how many
        entries were carried."""
        carried = attempts = 0
        while position is not None and attempts < self.write_attempts:
            work = UnitOfWork()
            count, following = self.carry(work, tenant_id, lead_id, owners, MAX_TRANSACTION_ITEMS, position)
            try:
                work.commit()
            except StaleVersion:
                attempts += 1
                continue
            carried, position, attempts = carried + count, following, 0
        return carried

    @staticmethod
    def _carried(record: Record, owners: list[Parent]) -> list[TableItem]:
        """The entries the activity `record` gains in `owners`' timelines (none where it is already), its
        `timelines` updated to say so under its lead link."""
        groups = timelines(record.data)
        new = [owner for owner in owners if owner not in _owners(record.data)]
        lead_group = groups.get("lead_id", [])
        record.data = {
            **record.data,
            "timelines": {
                **{field: [_ref(owner) for owner in group] for field, group in groups.items()},
                "lead_id": [_ref(owner) for owner in [*lead_group, *new]],
            },
        }
        return timeline.entry_items(record.tenant_id, activity_entry(record), new)

    def timeline(
        self, caller: Caller, kind: Kind, record_id: str, *, limit: int, cursor: str | None
    ) -> Page[TimelineEntry]:
        """The record's timeline, newest first: ONE Query on its partition; 404 if the tenant has no such record."""
        caller.require(self.resource, Action.READ)
        binding = pagination.fingerprint(caller.tenant_id, "activities:timeline", {"kind": kind, "id": record_id})
        position = pagination.decode_cursor(cursor, binding)
        read = access.timeline(caller.tenant_id, kind, record_id, timeline.ITEM_KINDS)
        page = repository.read_partition(
            read, limit=limit + 1 + (0 if position else 1 + FIRST_PAGE_SLACK), position=position
        )
        if position is None and page.record is None:
            raise NotFound(f"No {kind.label} has the id {record_id}.")
        entries = [summary for summary in page.summaries if timeline.is_entry(summary)]
        next_position = page.next_position
        if len(entries) > limit:
            entries = entries[:limit]
            next_position = repository.after(read, entries[-1].sk)
        return Page(
            items=[timeline.read_entry(entry) for entry in entries],
            next_cursor=pagination.encode_cursor(next_position, binding),
        )

    def search(
        self,
        caller: Caller,
        *,
        owner_id: str | None,
        type_: ActivityType | None,
        occurred_from: str | None,
        occurred_to: str | None,
        deleted: bool,
        limit: int,
        cursor: str | None,
    ) -> Page[Activity]:
        """Newest first by when they happened: ONE Query on the index partition of the filters given (its store),
        the period a range of its sort key."""
        owner = caller.user_id if owner_id == ME else owner_id
        occurred_from = normalized_filter("from", normalize.instant, occurred_from)
        occurred_to = normalized_filter("to", normalize.instant, occurred_to)
        if occurred_from is not None and occurred_to is not None and occurred_to < occurred_from:
            raise BadRequest.of("to", "must not be before from")
        if deleted and (owner is not None or type_ is not None):
            raise BadRequest.of("deleted", "The trash is listed whole (by period): leave out owner_id and type.")
        found = store.listed(caller.tenant_id, owner, type_, deleted=deleted, start=occurred_from, end=occurred_to)
        filters = {"owner_id": owner, "type": type_, "from": occurred_from, "to": occurred_to, "deleted": deleted}
        return self.list(caller, found, limit=limit, cursor=cursor, bound_to=filters)


activities = ActivityService()
