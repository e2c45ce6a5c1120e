"""Lead assignment: the tenant's rules for who takes which new lead, applied by the assignment workflow."""

from __future__ import annotations

from rapport.auth import Action, Role
from rapport.contexts import Context, Kind

ASSIGNMENT_RULES = Kind("ASSIGNMENT_RULES", "assignment rules", document=True)

CONTEXT = Context(
    name="assignment",
    kinds=(ASSIGNMENT_RULES,),
    permissions={
        # Who takes which leads, and how fast they must answer, is management's call.
        "assignment_rules": {
            Action.READ: frozenset({Role.ADMIN, Role.MANAGER}),
            Action.UPDATE: frozenset({Role.ADMIN, Role.MANAGER}),
        },
    },
)
