"""Notifications: what Rapport's emails and texts say, and how customers' messages read."""

from __future__ import annotations

from rapport.auth import EVERYONE, Action, Role
from rapport.contexts import Area, Context, Kind

NOTIFICATION_TEMPLATE = Kind("NTPL", "notification template", document=True)
NOTIFICATION_SETTINGS = Kind("NOTIFICATIONS", "notification settings", document=True)

CONTEXT = Context(
    name="notifications",
    kinds=(NOTIFICATION_TEMPLATE, NOTIFICATION_SETTINGS),
    permissions={
        # What Rapport's emails and texts say, to staff and customers: management's and marketing's call.
        "notification_templates": {
            Action.READ: frozenset({Role.ADMIN, Role.MANAGER, Role.MARKETING}),
            Action.UPDATE: frozenset({Role.ADMIN, Role.MANAGER, Role.MARKETING}),
        },
        # The time zone and locale customers' messages are written in.
        "notification_settings": {Action.READ: EVERYONE, Action.UPDATE: frozenset({Role.ADMIN, Role.MANAGER})},
    },
    areas=(Area("notifications", bench="getNotificationSettings"),),
)
