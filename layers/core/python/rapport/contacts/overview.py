"""The customer's whole picture (`GET /contacts/{id}/360`): ONE Query on the contact's partition.

The partition holds, in key order (rapport.dal.keys): `A#ACC` the account, `A#META` the contact, `B#DEAL#<id>` its deals
and `B#LTV` its lifetime value (kept by the deals area), `C#APPT#<starts at>#<id>` scheduled appointments,
`D#TASK#<due>#<id>` open tasks, then `E#...` its timeline's entries, newest first (rapport.timeline,
which reads every kind of entry, in every shape it was stored in). The Query reads them from the
start with a Limit of the record, the account, `SUMMARY_BUDGET` summaries and `LATEST` interactions.

The summaries are bounded by open work: deals (open ones; the deals area keeps closed ones out or folds them
into the lifetime value), scheduled appointments and open tasks — a handful per contact. A contact with more
than `SUMMARY_BUDGET` of them is read as far as the Limit goes, and the answer says `truncated`: the lists
and interactions read so far are exact but may be short (GET /tasks, the timeline and the deal list are then
the complete lists).
"""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal

from pydantic import BaseModel, Field

from rapport import normalize, timeline
from rapport.appointments import store as appointment_store
from rapport.auth import Action, Caller
from rapport.contacts import store
from rapport.contacts.manifest import CONTACT
from rapport.contacts.models import Contact
from rapport.contacts.service import contacts
from rapport.dal import access, repository
from rapport.deals import store as deal_store
from rapport.errors import NotFound
from rapport.tasks import store as task_store
from rapport.timeline.models import TimelineEntry
from rapport.types import Instant

SUMMARY_BUDGET = 200
LATEST = 10
READ_LIMIT = 2 + SUMMARY_BUDGET + LATEST
OPEN = "open"
SCHEDULED = "scheduled"


class AccountBrief(BaseModel):
    id: str
    name: str
    domain: str | None = None


class DealBrief(BaseModel):
    """A deal the contact is on, as the deals area summarizes it."""

    id: str
    name: str | None = None
    amount: Decimal | None = Field(default=None, description="Exact, as a decimal string")
    currency: str | None = None
    stage: str | None = None
    status: str | None = None
    close_date: str | None = None
    owner_id: str | None = None


class Money(BaseModel):
    amount: Decimal = Field(description="Exact, as a decimal string")
    currency: str | None = Field(default=None, description="The tenant's currency")


class TaskBrief(BaseModel):
    id: str
    title: str
    status: str
    priority: str
    due_at: Instant | None = None
    reminder_at: Instant | None = None
    assignee_id: str | None = None


class AppointmentBrief(BaseModel):
    id: str
    title: str
    starts_at: Instant
    ends_at: Instant
    attendee_ids: list[str]
    location: str | None = None
    channel: str | None = None


class ContactOverview(BaseModel):
    contact: Contact
    account: AccountBrief | None = None
    open_deals: list[DealBrief]
    lifetime_value: Money | None = None
    open_tasks: list[TaskBrief] = Field(description="By due time, undated last")
    next_appointment: AppointmentBrief | None = Field(default=None, description="The earliest not yet started")
    latest_interactions: list[TimelineEntry] = Field(
        description=f"The {LATEST} latest entries of the contact's timeline, newest first"
    )
    truncated: bool = Field(
        description="The contact has more open deals, tasks and appointments than one read covers: the lists "
        "above are cut short (GET /tasks, the timeline and the deals list have them all)"
    )


def contact_overview(caller: Caller, contact_id: str) -> ContactOverview:
    caller.require(contacts.resource, Action.READ)
    page = repository.read_partition(access.summaries(caller.tenant_id, CONTACT, contact_id), limit=READ_LIMIT)
    if page.record is None:
        raise NotFound(f"No contact has the id {contact_id}.")
    contact = contacts.out(page.record)
    now = normalize.instant(datetime.now(UTC))
    overview = ContactOverview(
        contact=contact,
        open_deals=[],
        open_tasks=[],
        latest_interactions=[],
        truncated=False,
    )
    for summary in page.summaries:
        sk, data = summary.sk, summary.data
        if sk == store.ACCOUNT_SUMMARY_SK and summary.ref_id == contact.account_id:
            overview.account = AccountBrief(id=summary.ref_id, name=data["name"], domain=data.get("domain"))
        elif sk.startswith(deal_store.DEAL_SUMMARY_PREFIX) and data.get("status") == OPEN:
            overview.open_deals.append(DealBrief.model_validate({**data, "id": summary.ref_id}))
        elif sk == deal_store.LIFETIME_VALUE_SK and data.get("amount") is not None:
            overview.lifetime_value = Money.model_validate(data)
        elif sk.startswith(appointment_store.SUMMARY_PREFIX):
            if overview.next_appointment is None and data.get("status") == SCHEDULED and data["starts_at"] >= now:
                overview.next_appointment = AppointmentBrief.model_validate({**data, "id": summary.ref_id})
        elif sk.startswith(task_store.SUMMARY_PREFIX):
            overview.open_tasks.append(TaskBrief.model_validate({**data, "id": summary.ref_id}))
        elif timeline.is_entry(summary) and len(overview.latest_interactions) < LATEST:
            overview.latest_interactions.append(timeline.read_entry(summary))
    overview.truncated = page.next_position is not None and len(overview.latest_interactions) < LATEST
    return overview
