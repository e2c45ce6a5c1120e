"""A contact's next appointment in its 360 view, from the summaries the appointments keep in its partition
(rapport.appointments.store: scheduled ones, by start)."""

from __future__ import annotations

from pydantic import Field

from rapport.appointments import store
from rapport.appointments.manifest import APPOINTMENT
from rapport.contexts import Seen, SummaryPart
from rapport.types import Instant, LazyModel


class AppointmentBrief(LazyModel):
    id: str
    title: str
    starts_at: Instant
    ends_at: Instant
    attendee_ids: list[str]
    location: str | None = None
    channel: str | None = None


def _next_appointment(seen: Seen) -> AppointmentBrief | None:
    """The earliest scheduled appointment that has not started."""
    for summary in seen.summaries:
        data = summary.data
        if data.get("status") == store.SCHEDULED and data["starts_at"] >= seen.now:
            return AppointmentBrief.model_validate({**data, "id": summary.ref_id})
    return None


NEXT_APPOINTMENT = SummaryPart(
    field="next_appointment",
    annotation=AppointmentBrief | None,
    info=Field(default=None, description="The earliest not yet started"),
    prefix=store.SUMMARY_PREFIX,
    kinds=(APPOINTMENT.code,),
    read=_next_appointment,
)
