"""Orders: what customers bought, their lines priced from the catalogue, the customer value they add up to, and the
tenant's analytics settings (when a customer is deserting or lost)."""

from __future__ import annotations

from rapport.auth import EVERYONE, STAFF_WHO_EDIT, Action, Role
from rapport.contexts import Area, Context, Derivation, Image, Kind

ORDER = Kind("ORD", "order")
ANALYTICS_SETTINGS = Kind("ANALYTICS", "analytics settings", document=True)
# A customer's standing (rank, tier, churn), kept in the contact's or account's partition by the daily ranking.
CUSTOMER_STANDING = Kind("STANDING", "customer", summary=True)
# A customer's latest retention episode (rapport.orders.retention), kept in its partition by the retention workflow.
RETENTION = Kind("RETENTION", "retention", summary=True)


def _status_changed(before: Image, after: Image) -> list[str]:
    return ["status_changed"] if before.get("status") != after.get("status") else []


def _churn_status(image: Image) -> object:
    return (image.get("churn") or {}).get("status")


def _standing_changed(before: Image, after: Image) -> list[str]:
    """`churn_changed` when the churn status moved, `tier_changed` when the value tier did (a first assessment
    included); nothing when the standing is removed (its customer erased)."""
    if not after:
        return []
    changed = ["churn_changed"] if _churn_status(before) != _churn_status(after) else []
    return changed + (["tier_changed"] if before.get("tier") != after.get("tier") else [])


def _retention_moved(before: Image, after: Image) -> list[str]:
    """`started` for a new episode (another `since`), then `recovered` or `escalated` when it ends so; nothing when
    the episode is removed (its customer erased)."""
    if not after:
        return []
    if before.get("since") != after.get("since"):
        return ["started"]
    status = after.get("status")
    return [str(status)] if status != before.get("status") and status in ("recovered", "escalated") else []


CONTEXT = Context(
    name="orders",
    kinds=(ORDER, ANALYTICS_SETTINGS, CUSTOMER_STANDING, RETENTION),
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
        # The customers by value and churn risk: what every seller and marketer plans with.
        "customer_reports": {Action.READ: EVERYONE},
        # What to offer a contact next (GET /contacts/{id}/recommendations): read like its orders and value.
        "recommendations": {Action.READ: EVERYONE},
    },
    derivations={
        ORDER.entity: Derivation(("status_changed",), _status_changed),
        # A customer's churn status moved (a first assessment included): the retention workflow's cue; its value
        # tier moved: segments by tier follow it.
        CUSTOMER_STANDING.entity: Derivation(("churn_changed", "tier_changed"), _standing_changed),
        # The retention workflow started on a deserting customer, which then bought again or was escalated.
        RETENTION.entity: Derivation(("started", "recovered", "escalated"), _retention_moved),
    },
    exports={"orders": "rapport.orders.service:orders"},
    areas=(Area("orders", bench="getOrder"),),
    summaries=(
        "rapport.orders.customer360:ORDERS",
        "rapport.orders.customer360:RETENTION",
        "rapport.orders.customer360:STANDING",
    ),
    timeline_entries=("rapport.orders.timeline:OrderEntry",),
    notification_templates=(
        "rapport.orders.notices:RETENTION_OFFER",
        "rapport.orders.notices:RETENTION_ESCALATED",
    ),
)
