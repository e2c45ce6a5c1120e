"""Logging activities and reading timelines.

An activity is written in ONE transaction: its record `T#<t>#ACT#<id>` and, in the partition of each record it
links (contact, account, lead, deal), an interaction `E#<inverted id>` — after a check that the linked record
is live. A timeline is then one Query on the linked record's partition. The id is a ULID made from
`occurred_at`, so timelines run newest first by when things happened, not by when they were logged.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

from ulid import ULID

from rapport import links, pagination
from rapport.activities.models import EXCERPT_LENGTH, Activity, ActivityCreate, Interaction
from rapport.auth import Action, Caller
from rapport.dal import keys, repository
from rapport.dal.keys import IndexKeys, Kind
from rapport.dal.models import SummaryItem
from rapport.dal.repository import Guard, Parent, Record, Summary, UnitOfWork
from rapport.errors import FieldError, InvalidInput, NotFound
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


def _linked_record_updates(caller: Caller, activity: Activity) -> None:
    """INTEGRATION POINT, called once an activity is committed: what it means for the records it links.

    Wire here, after merging the leads and deals branches:
    - `record_engagement(tenant_id, activity.lead_id, activity.type)` (lead scoring) when it links a lead;
    - `touch_deal_activity(tenant_id, activity.deal_id, activity.occurred_at)` when it links a deal;
    - `count_activity(tenant_id, activity.created_by, activity.occurred_at)` (the per-user monthly stats).
    They run after the commit, outside its transaction; once the stream publisher exists they belong on its
    `activity.created` event, which is retried, rather than here.
    """


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
        activity = super().create(caller, payload)
        _linked_record_updates(caller, activity)
        return activity

    def linked_writes(self, work: UnitOfWork, before: Record | None, after: Record | None) -> None:
        work.replace_items(self._interactions(before), self._interactions(after))

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
