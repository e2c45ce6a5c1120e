"""Appointments API: /appointments, and the tenant's /reminder-settings (when appointments are reminded)."""

from typing import Annotated

from aws_lambda_powertools.event_handler import Response
from aws_lambda_powertools.event_handler.openapi.params import Query

from rapport.api.http import PageOf, caller, create_app, entrypoint, page_response
from rapport.api.records import Cursor, Limit, register_record_routes, responses
from rapport.api.settings import register_settings_routes
from rapport.appointments.models import Appointment, AppointmentCreate, AppointmentPatch
from rapport.appointments.service import ME, appointments
from rapport.followups.reminders import REMINDER_SETTINGS
from rapport.pagination import DEFAULT_LIMIT

app = create_app()
register_record_routes(app, appointments, AppointmentCreate, AppointmentPatch, Appointment)


@app.get(
    "/appointments",
    tags=["appointments"],
    operation_id="listAppointments",
    summary="One attendee's appointments by start time",
    description="Filters offered: attendee_id (a staff user id, or `me`: the default), from (starts at or "
    "after) and to (starts before), ISO 8601 with a zone. Cancelled appointments are listed with their status. "
    "Other filters are refused with a 400.",
    responses=responses(200, PageOf[Appointment]),
)
def list_appointments(
    attendee_id: Annotated[
        str, Query(min_length=1, max_length=128, pattern=r"^[A-Za-z0-9@._:+-]+$", description="A user id, or me")
    ] = ME,
    starts_from: Annotated[
        str | None, Query(alias="from", min_length=1, max_length=40, description="Starts at or after")
    ] = None,
    starts_to: Annotated[
        str | None, Query(alias="to", min_length=1, max_length=40, description="Starts before")
    ] = None,
    limit: Limit = DEFAULT_LIMIT,
    cursor: Cursor = None,
) -> Response[PageOf[Appointment]]:
    page = appointments.search(
        caller(app), attendee_id=attendee_id, starts_from=starts_from, starts_to=starts_to, limit=limit, cursor=cursor
    )
    return page_response(page)


register_settings_routes(
    app,
    REMINDER_SETTINGS,
    "/reminder-settings",
    tag="appointments",
    name="ReminderSettings",
    reads="When appointments are reminded: minutes before the start (24 hours and 1 hour until set)",
    replaces="Replace when appointments are reminded (admin, manager)",
)


lambda_handler = entrypoint(app)
