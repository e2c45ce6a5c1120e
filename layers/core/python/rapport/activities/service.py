"""Logging activities and reading timelines.

An activity is written in ONE transaction: its record `T#<t>#ACT#<id>`; in the partition of each record it
links (contact, account, lead, deal), an interaction `E#<inverted id>`; and what it means for those records and
its author, each write conditioned on the linked record being live:
- a linked contact or account: a check;
- a linked deal: its `last_activity_at` set to when the activity was logged (so it is no longer rotting);
- a linked lead: one more engagement of the activity's kind, and the lead rescored (over the version read, so a
  concurrent change of the lead sends the whole write again, a few times at most);
- always: one more activity in its author's stats for the month it happened (the sales performance report).
A timeline is then one Query on the linked record's partition. The id is a ULID made from `occurred_at`, so
timelines run newest first by when things happened, not by when they were logged.

Activities are only created (no route changes or deletes one), so none of this is ever taken back.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

from ulid import ULID

from rapport import links, pagination
from rapport.activities.models import EXCERPT_LENGTH, Activity, ActivityCreate, ActivityType, Direction, Interaction
from rapport.auth import Action, Caller
from rapport.dal import keys, repository, sales
from rapport.dal.keys import IndexKeys, Kind
from rapport.dal.models import SummaryItem
from rapport.dal.repository import Changes, Guard, Parent, ParentMissing, Record, StaleVersion, Summary, UnitOfWork
from rapport.errors import Busy, FieldError, InvalidInput, NotFound
from rapport.leads.scoring import EngagementKind
from rapport.leads.service import ENGAGEMENT_ATTEMPTS, leads
from rapport.pagination import Page
from rapport.records import RecordService

# A timeline's first page also reads the record (to answer 404 for an unknown or another tenant's id) and,
# in a contact's partition, the summaries between it and the interactions (open deals, tasks, appointments:
# usually a handful). The slack covers them so the first page is usually full; with more, it is shorter and
# the cursor goes on from where the read stopped.
FIRST_PAGE_SLACK = 16
TIMELINE_KINDS = (Kind.CONTACT, Kind.ACCOUNT, Kind.LEAD, Kind.DEAL)


def interaction_data(record: Record) -> dict[str, Any]:
    """What a timeline shows of an activity (the interaction summary's data)."""
    data = record.data
    body: str | None = data.get("body")
    return {
        "type": data["type"],
        "direction": data.get("direction"),
        "occurred_at": data["occurred_at"],
        "subject": data.get("subject"),
        "excerpt": body[:EXCERPT_LENGTH] if body else None,
        "duration_s": data.get("duration_s"),
        "outcome": data.get("outcome"),
        "created_by": record.created_by,
        **links.links_of(data),
    }


def interaction(summary: Summary) -> Interaction:
    return Interaction.model_validate({**summary.data, "id": summary.ref_id})


def engagement_kind(data: Mapping[str, Any]) -> EngagementKind:
    """What an activity counts as on the lead it links: a web visit, an email reply (inbound email), or else
    an activity."""
    if data["type"] == ActivityType.WEB:
        return EngagementKind.WEB_VISIT
    if data["type"] == ActivityType.EMAIL and data.get("direction") == Direction.INBOUND:
        return EngagementKind.EMAIL_REPLY
    return EngagementKind.ACTIVITY


class ActivityService(RecordService[ActivityCreate, ActivityCreate, Activity]):
    kind = Kind.ACTIVITY
    resource = "activities"
    label = "activity"
    create_model = ActivityCreate
    out_model = Activity

    def guards(self, data: Mapping[str, Any]) -> dict[Guard, str]:
        return {}

    def parents(self, data: Mapping[str, Any]) -> dict[Parent, str]:
        return links.linked(data)

    def owners(self, record: Record) -> frozenset[str]:
        """Who logged it."""
        return frozenset({record.created_by})

    def index_keys(self, tenant_id: str, record_id: str, data: Mapping[str, Any], *, deleted: bool) -> IndexKeys:
        return IndexKeys()

    def new_record_id(self, data: Mapping[str, Any]) -> str:
        return str(ULID.from_datetime(datetime.fromisoformat(data["occurred_at"])))

    def create(self, caller: Caller, payload: ActivityCreate) -> Activity:
        caller.require(self.resource, Action.CREATE)
        if not links.links_of(payload.model_dump()):
            message = "link at least one of contact_id, account_id, lead_id, deal_id"
            raise InvalidInput(
                f"An activity must {message}.",
                [FieldError(field, message, "link_required") for field in links.LINK_FIELDS],
            )
        if payload.occurred_at is None:
            payload = payload.model_copy(update={"occurred_at": datetime.now(UTC)})
        return super().create(caller, payload)

    def linked_writes(self, work: UnitOfWork, before: Record | None, after: Record | None) -> None:
        work.replace_items(self._interactions(before), self._interactions(after))
        if before is None and after is not None:
            self._effects(work, after)

    def _effects(self, work: UnitOfWork, activity: Record) -> None:
        """What logging `activity` means for its author's stats and for the deal and lead it links."""
        tenant_id, data = activity.tenant_id, activity.data
        work.update_item(*sales.count_activity(tenant_id, activity.created_by, data["occurred_at"]))
        if deal_id := data.get("deal_id"):
            # Conditioned on the deal being live: ParentMissing(deal) otherwise, a 422 on deal_id.
            work.update_item(*sales.touch_deal_activity(tenant_id, deal_id, activity.created_at))
        if lead_id := data.get("lead_id"):
            lead = Parent(Kind.LEAD, lead_id)
            try:
                engaged = leads.record_engagement(work, tenant_id, lead_id, engagement_kind(data))
            except NotFound as error:
                raise ParentMissing(lead) from error
            if engaged.deleted_at is not None:
                raise ParentMissing(lead)

    def _store(self, record: Record, changes: Changes, before: Record | None) -> None:
        """The lead is written over the version `linked_writes` read: when it changes meanwhile, all is read and
        sent again, a few times at most."""
        lead_id = record.data.get("lead_id")
        for attempt in range(ENGAGEMENT_ATTEMPTS):
            try:
                super()._store(record, changes, before)
                return
            except StaleVersion as error:
                if before is not None or not lead_id:
                    raise
                if attempt == ENGAGEMENT_ATTEMPTS - 1:
                    raise Busy(f"The lead {lead_id} kept changing while the activity was logged; retry.") from error
        raise AssertionError("unreachable")

    def _interactions(self, record: Record | None) -> list[SummaryItem]:
        if record is None or record.deleted:
            return []
        data = interaction_data(record)
        return [
            repository.summary_item(
                record.tenant_id,
                keys.record_pk(record.tenant_id, parent.kind, parent.id),
                keys.interaction_sk(record.id),
                Kind.ACTIVITY,
                record.id,
                data,
            )
            for parent in links.linked(record.data)
        ]

    def timeline(
        self, caller: Caller, kind: Kind, record_id: str, *, limit: int, cursor: str | None
    ) -> Page[Interaction]:
        """The record's interactions, newest first: ONE Query on its partition; 404 if the tenant has no such record."""
        caller.require(self.resource, Action.READ)
        binding = pagination.fingerprint(caller.tenant_id, "activities:timeline", {"kind": kind, "id": record_id})
        position = pagination.decode_cursor(cursor, binding)
        partition = keys.record_pk(caller.tenant_id, kind, record_id)
        page = repository.read_partition(
            partition,
            start=keys.META_SK,
            end=keys.INTERACTIONS_END,
            kinds=(kind, Kind.ACTIVITY),
            limit=limit + 1 + (0 if position else 1 + FIRST_PAGE_SLACK),
            position=position,
        )
        if position is None and page.record is None:
            raise NotFound(f"No {kind.label} has the id {record_id}.")
        entries = [entry for entry in page.summaries if entry.sk.startswith(keys.INTERACTION_PREFIX)]
        next_position = page.next_position
        if len(entries) > limit:
            entries = entries[:limit]
            next_position = {"pk": partition, "sk": entries[-1].sk}
        return Page(
            items=[interaction(entry) for entry in entries],
            next_cursor=pagination.encode_cursor(next_position, binding),
        )


activities = ActivityService()
