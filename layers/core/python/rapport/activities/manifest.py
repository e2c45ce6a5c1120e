"""Activities: calls, emails, meetings, notes, texts and visits logged on records, and their timelines."""

from __future__ import annotations

from rapport.auth import EVERYONE, Action, Role
from rapport.contexts import Area, Context, Kind

ACTIVITY = Kind("ACT", "activity")

CONTEXT = Context(
    name="activities",
    kinds=(ACTIVITY,),
    permissions={
        # Staff log what happened; marketing reads them but does not log calls.
        "activities": {
            Action.READ: EVERYONE,
            Action.CREATE: frozenset({Role.ADMIN, Role.MANAGER, Role.SALES, Role.SUPPORT}),
            Action.UPDATE: frozenset({Role.ADMIN, Role.MANAGER, Role.SALES, Role.SUPPORT}),
            Action.DELETE: frozenset({Role.ADMIN, Role.MANAGER, Role.SALES}),  # a mistyped log is trashed
            Action.RESTORE: frozenset({Role.ADMIN, Role.MANAGER}),
            Action.ERASE: frozenset({Role.ADMIN}),
        },
    },
    exports={"activities": "rapport.activities.service:activities"},
    areas=(Area("activities", bench="getActivity"),),
)
