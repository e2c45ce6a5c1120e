"""Sales: pipelines, deals, the forecast and performance reports, and the tenant's currency rates."""

from __future__ import annotations

from rapport.auth import EVERYONE, Action, Role
from rapport.contexts import Area, Context, Derivation, Image, Kind

PIPELINE = Kind("PIPE", "pipeline")
DEAL = Kind("DEAL", "deal")
CURRENCY_RATES = Kind("CURRENCY_RATES", "currency rates", document=True)


def _outcomes(before: Image, after: Image) -> list[str]:
    names: list[str] = []
    if before.get("stage") != after.get("stage"):
        names.append("stage_changed")
    if before.get("status") != after.get("status") and after.get("status") in ("won", "lost"):
        names.append(str(after["status"]))
    return names


CONTEXT = Context(
    name="deals",
    kinds=(PIPELINE, DEAL, CURRENCY_RATES),
    # Pipelines are set up by admins and managers; deals are worked by sales, trashed by sales, restored by
    # managers. Forecasts and performance reports: managers and admins see everyone's, a caller who is only
    # `sales` sees their own (rapport.deals.forecast.scoped_owner). Only admins set currency rates.
    permissions={
        "pipelines": {
            Action.READ: EVERYONE,
            Action.CREATE: frozenset({Role.ADMIN, Role.MANAGER}),
            Action.UPDATE: frozenset({Role.ADMIN, Role.MANAGER}),
        },
        "deals": {
            Action.READ: EVERYONE,
            Action.CREATE: frozenset({Role.ADMIN, Role.MANAGER, Role.SALES}),
            Action.UPDATE: frozenset({Role.ADMIN, Role.MANAGER, Role.SALES}),
            Action.DELETE: frozenset({Role.ADMIN, Role.MANAGER, Role.SALES}),
            Action.RESTORE: frozenset({Role.ADMIN, Role.MANAGER}),
            Action.ERASE: frozenset({Role.ADMIN}),
        },
        "forecast": {Action.READ: frozenset({Role.ADMIN, Role.MANAGER, Role.SALES})},
        "reports": {Action.READ: frozenset({Role.ADMIN, Role.MANAGER, Role.SALES})},
        "currency_rates": {Action.READ: EVERYONE, Action.UPDATE: frozenset({Role.ADMIN})},
    },
    derivations={DEAL.entity: Derivation(("stage_changed", "won", "lost"), _outcomes)},
    exports={"deals": "rapport.deals.service:deals"},
    areas=(
        Area("pipelines", bench="getPipeline"),
        Area("deals", bench="getDeal"),
        Area("sales", bench="getCurrencyRates"),
    ),
    summaries=("rapport.deals.customer360:OPEN_DEALS", "rapport.deals.customer360:LIFETIME_VALUE"),
)
