"""Accounts: the companies customers work at."""

from __future__ import annotations

from rapport.auth import EVERYONE, STAFF_WHO_EDIT, Action, Role
from rapport.contexts import Area, Context, Importing, Kind

ACCOUNT = Kind("ACC", "account")

CONTEXT = Context(
    name="accounts",
    kinds=(ACCOUNT,),
    permissions={
        "accounts": {
            Action.READ: EVERYONE,
            Action.CREATE: frozenset({Role.ADMIN, Role.MANAGER, Role.SALES, Role.MARKETING}),
            Action.UPDATE: STAFF_WHO_EDIT,
            Action.DELETE: frozenset({Role.ADMIN, Role.MANAGER, Role.SALES}),
            Action.RESTORE: frozenset({Role.ADMIN, Role.MANAGER}),
            Action.ERASE: frozenset({Role.ADMIN}),
        },
    },
    exports={"accounts": "rapport.accounts.service:accounts"},
    imports={"accounts": Importing("rapport.accounts.service:accounts", ("domain",))},
    areas=(Area("accounts", bench="getAccount"),),
)
