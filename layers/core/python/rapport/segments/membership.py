"""Which events move segment membership, and which contacts each concerns; when a segment needs a fill.

The membership worker (functions/segment_membership) takes the events `MEMBERSHIP_EVENTS` names: a change of a
contact (its fields, tags, owner, consent), of an account (its industry and size), of a deal or an activity (open
deals, the latest activity), and of a customer's standing (tier, churn). Each concerns the contacts `contacts_of`
finds in it; an account's are read from the account (`of_account`). The fill worker (functions/segment_backfill)
takes `BACKFILL_EVENTS`: a dynamic segment created, restored, or whose filter or kind changed; and its own
continuation (`Continuation`), which it puts on the bus when a fill outlasts one invocation.
"""

from __future__ import annotations

from collections.abc import Iterable

from pydantic import Field

from rapport.events.models import DomainEvent
from rapport.segments.models import SegmentKind
from rapport.types import LazyModel

LIFECYCLE = ("created", "updated", "deleted", "restored", "erased")
CONTACT_EVENTS = tuple(f"contact.{verb}" for verb in LIFECYCLE)
ACCOUNT_EVENTS = ("account.updated", "account.deleted", "account.restored")
DEAL_EVENTS = tuple(f"deal.{verb}" for verb in LIFECYCLE)
ACTIVITY_EVENTS = tuple(f"activity.{verb}" for verb in LIFECYCLE)
STANDING_EVENTS = ("customer.churn_changed", "customer.tier_changed")
MEMBERSHIP_EVENTS = (*CONTACT_EVENTS, *ACCOUNT_EVENTS, *DEAL_EVENTS, *ACTIVITY_EVENTS, *STANDING_EVENTS)
ACCOUNT_FIELDS = ("industry", "size")

FILL_SOURCE = "rapport.segments"
CONTINUED = "segment.fill_continued"
BACKFILL_EVENTS = ("segment.created", "segment.updated", "segment.restored", "segment.erased")
FILLED_BY = ("filter", "kind")


class Continuation(LazyModel):
    """Where a fill goes on: the segment at `version`, from `position` (a page of the tenant's contacts)."""

    tenant_id: str
    segment_id: str
    version: int
    position: dict[str, str] = Field(description="Where the next page of the tenant's contacts starts")


def contacts_of(event: DomainEvent) -> list[str]:
    """The contacts a membership event concerns (an account's: none here, see `account_of`)."""
    if event.entity in ("contact", "customer"):
        return [event.entity_id]
    if event.entity == "deal":
        return _named(event, "contact_ids", many=True)
    if event.entity == "activity":
        return _named(event, "contact_id", many=False)
    return []


def account_of(event: DomainEvent) -> str | None:
    """The account whose contacts an account event concerns: trashed, restored, or its industry or size changed."""
    if event.entity != "account":
        return None
    if event.detail_type != "account.updated" or event.changes.keys() & set(ACCOUNT_FIELDS):
        return event.entity_id
    return None


def _named(event: DomainEvent, field: str, *, many: bool) -> list[str]:
    """The ids `field` holds after the change, and those it held before."""
    change = event.changes.get(field)
    values: list[object] = [event.record.get(field), *((change.before, change.after) if change else ())]
    found: set[str] = set()
    for value in values:
        found.update(_ids(value) if many else ([value] if isinstance(value, str) else []))
    return sorted(found)


def _ids(value: object) -> Iterable[str]:
    return [item for item in value if isinstance(item, str)] if isinstance(value, list) else []


def fills(event: DomainEvent) -> bool:
    """Whether the segment event starts a fill: a dynamic segment created or restored, or its filter or kind
    changed."""
    if event.record.get("kind") != SegmentKind.DYNAMIC or event.detail_type == "segment.erased":
        return False
    return event.detail_type != "segment.updated" or bool(event.changes.keys() & set(FILLED_BY))
