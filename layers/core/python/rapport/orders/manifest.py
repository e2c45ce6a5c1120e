"""Orders: what customers bought, their lines priced from the catalogue, the customer value they add up to, and the
tenant's analytics settings (when a customer is deserting or lost)."""

from __future__ import annotations

from rapport.auth import EVERYONE, STAFF_WHO_EDIT, Action, Role
from rapport.contexts import Area, Context, Derivation, Image, Kind

ORDER = Kind("ORD", "order")
ANALYTICS_SETTINGS = Kind("ANALYTICS", "analytics settings", document=True)


def _status_changed(before: Image, after: Image) -> list[str]:
    return ["status_changed"] if before.get("status") != after.get("status") else []


CONTEXT = Context(
    name="orders",
    kinds=(ORDER, ANALYTICS_SETTINGS),
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
        # How much of a drop makes a customer deserting is a sales policy: a manager's call.
        "analytics_settings": {Action.READ: EVERYONE, Action.UPDATE: frozenset({Role.ADMIN, Role.MANAGER})},
    },
    derivations={ORDER.entity: Derivation(("status_changed",), _status_changed)},
    areas=(Area("orders", bench="getOrder"),),
    summaries=("rapport.orders.customer360:ORDERS",),
    timeline_entries=("rapport.orders.timeline:OrderEntry",),
)
