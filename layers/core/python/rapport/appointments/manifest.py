"""Appointments: staff's booked time, without double bookings."""

from __future__ import annotations

from rapport.auth import EVERYONE, Action, Role
from rapport.contexts import Area, Context, Kind

APPOINTMENT = Kind("APPT", "appointment")

CONTEXT = Context(
    name="appointments",
    kinds=(APPOINTMENT,),
    permissions={
        # Marketing reads appointments but does not book them.
        "appointments": {
            Action.READ: EVERYONE,
            Action.CREATE: frozenset({Role.ADMIN, Role.MANAGER, Role.SALES, Role.SUPPORT}),
            Action.UPDATE: frozenset({Role.ADMIN, Role.MANAGER, Role.SALES, Role.SUPPORT}),
            Action.DELETE: frozenset({Role.ADMIN, Role.MANAGER, Role.SALES}),
            Action.RESTORE: frozenset({Role.ADMIN, Role.MANAGER}),
            Action.ERASE: frozenset({Role.ADMIN}),
        },
    },
    areas=(Area("appointments", bench="getAppointment"),),
    summaries=("rapport.appointments.customer360:NEXT_APPOINTMENT",),
)
