"""Orders: what customers bought, their lines priced from the catalogue, and the customer value they add up to."""

from __future__ import annotations

from rapport.auth import EVERYONE, STAFF_WHO_EDIT, Action, Role
from rapport.contexts import Area, Context, Derivation, Image, Kind

ORDER = Kind("ORD", "order")


def _status_changed(before: Image, after: Image) -> list[str]:
    return ["status_changed"] if before.get("status") != after.get("status") else []


CONTEXT = Context(
    name="orders",
    kinds=(ORDER,),
    # Staff who edit record orders taken by phone; the back office sends them in batches (an integration user in
    # the manager group). Trashing an order is a manager's call: it leaves the customer's value.
    permissions={
        "orders": {
            Action.READ: EVERYONE,
            Action.CREATE: STAFF_WHO_EDIT,
            Action.UPDATE: STAFF_WHO_EDIT,
            Action.DELETE: frozenset({Role.ADMIN, Role.MANAGER}),
            Action.RESTORE: frozenset({Role.ADMIN, Role.MANAGER}),
            Action.ERASE: frozenset({Role.ADMIN}),
        },
    },
    derivations={ORDER.entity: Derivation(("status_changed",), _status_changed)},
    areas=(Area("orders", bench="getOrder"),),
    summaries=("rapport.orders.customer360:ORDERS",),
    timeline_entries=("rapport.orders.timeline:OrderEntry",),
)
