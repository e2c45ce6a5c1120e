"""Follow-ups: task and appointment reminders, stage follow-up tasks and the daily digest, run unattended."""

from __future__ import annotations

from rapport.auth import EVERYONE, Action, Role
from rapport.contexts import Context, Kind

REMINDER_SETTINGS = Kind("REMINDERS", "reminder settings", document=True)

CONTEXT = Context(
    name="followups",
    kinds=(REMINDER_SETTINGS,),
    permissions={
        # When appointments are reminded, for everyone: management's call.
        "reminder_settings": {Action.READ: EVERYONE, Action.UPDATE: frozenset({Role.ADMIN, Role.MANAGER})},
    },
)
