"""Tasks: what staff plan to do next, by due time."""

from __future__ import annotations

from rapport.auth import EVERYONE, STAFF_WHO_EDIT, Action, Role
from rapport.contexts import Area, Context, Derivation, Kind, became

TASK = Kind("TASK", "task")


CONTEXT = Context(
    name="tasks",
    kinds=(TASK,),
    permissions={
        "tasks": {
            Action.READ: EVERYONE,
            Action.CREATE: STAFF_WHO_EDIT,
            Action.UPDATE: STAFF_WHO_EDIT,
            Action.DELETE: frozenset({Role.ADMIN, Role.MANAGER, Role.SALES}),
            Action.RESTORE: frozenset({Role.ADMIN, Role.MANAGER}),
            Action.ERASE: frozenset({Role.ADMIN}),
        },
    },
    derivations={TASK.entity: Derivation(("completed",), became("status", "done", "completed"))},
    areas=(Area("tasks", bench="getTask"),),
    summaries=("rapport.tasks.customer360:OPEN_TASKS",),
)
