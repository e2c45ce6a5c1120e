"""Who is calling and what they may do.

The tenant and the caller always come from the verified token's claims (API Gateway's Cognito authorizer),
never from the request body or path. A caller is an `Identity`: a staff member (`Caller`: tenant, user, groups,
from the staff pool) or a customer (`Customer`: tenant and the contact they are, from the customer pool's
`custom:tenant_id` and `custom:contact_id`; the staff pool has no contact attribute). Customers may use no staff
route: `staff_only` refuses them, and `customers_only` refuses staff on the portal's routes.

Two questions, answered here once: may the caller's role do this to a resource at all (`permissions`, as the
contexts declare them), and, for a record that has owners, does the right reach this record (`REACH`, enforced
by `Ownership`). Like EspoCRM's default roles: sales reps change what they own, managers what their team owns,
admins everything; records that nobody owns are everyone's. Support and marketing serve every customer: they
edit any record their role may edit, but reassign only their own. Changing who owns a record (`Action.REASSIGN`)
is judged on its owners before the change: the owner may hand over, nobody may take what is not theirs to give.
"""

from __future__ import annotations

import re
from collections.abc import Collection, Mapping
from enum import IntEnum, StrEnum
from functools import cache
from typing import NamedTuple, Protocol

from rapport.contexts import contexts
from rapport.errors import FieldError, Forbidden, Unauthenticated

TENANT_CLAIM = "custom:tenant_id"
GROUPS_CLAIM = "cognito:groups"
CONTACT_CLAIM = "custom:contact_id"
_ID = re.compile(r"[A-Za-z0-9_-]{1,64}")


class Role(StrEnum):
    ADMIN = "admin"
    MANAGER = "manager"
    SALES = "sales"
    SUPPORT = "support"
    MARKETING = "marketing"


class Action(StrEnum):
    READ = "read"
    CREATE = "create"
    UPDATE = "update"
    DELETE = "delete"
    RESTORE = "restore"
    ERASE = "erase"
    REASSIGN = "reassign"  # change a record's owners: allowed to the roles that may update it


class Scope(IntEnum):
    """How far a role's right reaches over records that have owners; wider is greater."""

    OWN = 1  # records the caller owns, and records nobody owns
    TEAM = 2  # those, and records owned by a member of the caller's team (users whose `team` is theirs)
    ALL = 3


EVERYONE = frozenset(Role)
STAFF_WHO_EDIT = frozenset({Role.ADMIN, Role.MANAGER, Role.SALES, Role.SUPPORT, Role.MARKETING})
Permissions = Mapping[str, Mapping[Action, frozenset[Role]]]


@cache
def permissions() -> Permissions:
    """Per resource and action, the roles allowed, as the contexts declare them (rapport.contexts): typically
    only admin erases (hard-deletes), support and marketing edit but do not delete, restoring from the trash is a
    manager's call."""
    collected: dict[str, Mapping[Action, frozenset[Role]]] = {}
    for context in contexts():
        for resource, rights in context.permissions.items():
            if resource in collected:
                raise ValueError(f"two contexts declare the permissions of {resource}")
            collected[resource] = rights
    return collected


_CHANGES = (Action.UPDATE, Action.DELETE, Action.RESTORE, Action.ERASE, Action.REASSIGN)
REACH: dict[Role, dict[Action, Scope]] = {
    Role.ADMIN: dict.fromkeys(_CHANGES, Scope.ALL),
    Role.MANAGER: dict.fromkeys(_CHANGES, Scope.TEAM),
    Role.SALES: dict.fromkeys(_CHANGES, Scope.OWN),
    Role.SUPPORT: {**dict.fromkeys(_CHANGES, Scope.OWN), Action.UPDATE: Scope.ALL},
    Role.MARKETING: {**dict.fromkeys(_CHANGES, Scope.OWN), Action.UPDATE: Scope.ALL},
}
_VERBS = {
    Action.UPDATE: "change",
    Action.DELETE: "trash",
    Action.RESTORE: "restore",
    Action.ERASE: "erase",
    Action.REASSIGN: "reassign",
}


class Caller(NamedTuple):
    tenant_id: str
    user_id: str
    roles: frozenset[Role]
    email: str | None = None

    def require(self, resource: str, action: Action) -> None:
        allowed = permissions()[resource].get(action, frozenset())  # an action not listed: nobody may
        if not self.roles & allowed:
            raise Forbidden(f"Your role may not {action.value} {resource}.")

    def reach(self, resource: str, action: Action) -> Scope | None:
        """The widest reach over owned records that the caller's roles allowed `action` on `resource` have."""
        permitted = permissions()[resource].get(Action.UPDATE if action == Action.REASSIGN else action, frozenset())
        return max((REACH[role][action] for role in self.roles & permitted), default=None)


class Teams(Protocol):
    """Which team each staff user is in (None: none), read in one request."""

    def teams_of(self, tenant_id: str, user_ids: Collection[str]) -> Mapping[str, str | None]: ...


class Ownership(NamedTuple):
    """Whether a caller's right to change records reaches one with these owners (see the module's docstring)."""

    teams: Teams

    def require(
        self, caller: Caller, resource: str, action: Action, owners: frozenset[str], *, field: str | None = None
    ) -> None:
        """403 unless the caller may `action` a record of `resource` owned by `owners` (none: nobody's).

        `field` names the request's field that would make the change (for a reassignment).
        """
        reach = caller.reach(resource, action)
        if reach is None:
            raise Forbidden(f"Your role may not {_VERBS[action]} {resource}.")
        if reach == Scope.ALL or not owners or caller.user_id in owners:
            return
        whose = ", ".join(sorted(owners))
        if reach == Scope.TEAM:
            teams = self.teams.teams_of(caller.tenant_id, {caller.user_id, *owners})
            team = teams.get(caller.user_id)
            if team is not None and any(teams.get(owner) == team for owner in owners):
                return
            reached = f"you, your team ({team})" if team else "you (your profile names no team)"
        else:
            reached = "you"
        detail = f"You may {_VERBS[action]} only {resource} owned by {reached} or by nobody; this one is {whose}'s."
        errors = [FieldError(field, f"is {whose}'s: not yours to {_VERBS[action]}", "not_owner")] if field else []
        raise Forbidden(detail, errors)


def parse_groups(raw: object) -> frozenset[Role]:
    """Cognito puts groups in the claims as a list, "a,b", or "[a b]" depending on the integration."""
    if isinstance(raw, list):
        names = [str(name) for name in raw]
    elif isinstance(raw, str):
        names = re.split(r"[\s,]+", raw.strip().strip("[]"))
    else:
        names = []
    return frozenset(Role(name) for name in names if name in Role.__members__.values())


class Customer(NamedTuple):
    """A customer signed in to the self-service portal: the tenant's contact they are."""

    tenant_id: str
    contact_id: str

    @property
    def actor(self) -> str:
        """Who their writes are recorded as made by (`created_by`, `updated_by`)."""
        return f"contact:{self.contact_id}"


Identity = Caller | Customer


def identity_from_claims(claims: Mapping[str, object] | None) -> Identity:
    """The staff member or the customer a verified token's claims name; 401 when they name neither well."""
    if not claims:
        raise Unauthenticated("The request carries no verified identity.")
    tenant_id = claims.get(TENANT_CLAIM)
    if not isinstance(tenant_id, str) or not _ID.fullmatch(tenant_id):
        raise Unauthenticated("The token carries no valid tenant.")
    if CONTACT_CLAIM in claims:
        contact_id = claims[CONTACT_CLAIM]
        if not isinstance(contact_id, str) or not _ID.fullmatch(contact_id):
            raise Unauthenticated("The token carries no valid contact.")
        return Customer(tenant_id=tenant_id, contact_id=contact_id)
    user_id = claims.get("sub")
    if not isinstance(user_id, str) or not user_id:
        raise Unauthenticated("The token carries no subject.")
    email = claims.get("email")
    return Caller(
        tenant_id=tenant_id,
        user_id=user_id,
        roles=parse_groups(claims.get(GROUPS_CLAIM)),
        email=email if isinstance(email, str) else None,
    )


def staff_only(identity: Identity | None) -> Caller:
    """The staff member calling: 401 without an identity, 403 for a customer."""
    if identity is None:
        raise Unauthenticated("The request carries no verified identity.")
    if isinstance(identity, Customer):
        raise Forbidden("This API is for staff; customers have the self-service portal.")
    return identity


def customers_only(identity: Identity | None) -> Customer:
    """The customer calling: 401 without an identity, 403 for a staff member (the portal is for customers)."""
    if identity is None:
        raise Unauthenticated("The request carries no verified identity.")
    if isinstance(identity, Caller):
        raise Forbidden("The portal is for customers; staff use the staff API.")
    return identity


def caller_from_claims(claims: Mapping[str, object] | None) -> Caller:
    return staff_only(identity_from_claims(claims))
