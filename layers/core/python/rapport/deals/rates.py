"""The tenant's currency rate table: the tenant currency, and what other currencies are worth in it.

`{"currency": "EUR", "rates": {"USD": "0.92"}}`: one USD is worth 0.92 EUR. Until an admin sets it, the tenant
currency is USD with no rates. It cannot change once a deal was won in it: lifetime values and performance
stats hold amounts converted when deals were won, and are not restated.
"""

from __future__ import annotations

from rapport.auth import Action, Caller
from rapport.dal import sales
from rapport.dal.repository import StaleVersion
from rapport.dal.sales import RateTable
from rapport.deals.models import CurrencyRates, CurrencyRatesPut, StageStatus
from rapport.deals.money import DEFAULT_TENANT_CURRENCY
from rapport.errors import Conflict, FieldError, PreconditionFailed
from rapport.types import utc_now


def default_rates() -> RateTable:
    return RateTable(currency=DEFAULT_TENANT_CURRENCY, rates={})


def current_rates(tenant_id: str) -> RateTable:
    return sales.rate_table(tenant_id) or default_rates()


def _rates_out(table: RateTable) -> CurrencyRates:
    return CurrencyRates.model_validate(
        {
            "currency": table.currency,
            "rates": table.rates,
            "version": table.version,
            "updated_at": table.updated_at,
            "updated_by": table.updated_by,
        }
    )


def get_rates(caller: Caller) -> CurrencyRates:
    caller.require("currency_rates", Action.READ)
    return _rates_out(current_rates(caller.tenant_id))


def put_rates(caller: Caller, body: CurrencyRatesPut, expected_version: int | None) -> CurrencyRates:
    """Replace the rate table. The tenant currency is fixed once a deal was won in it (recorded revenue and
    lifetime values are in it and are not restated)."""
    caller.require("currency_rates", Action.UPDATE)
    current = current_rates(caller.tenant_id)
    if expected_version is not None and expected_version != current.version:
        raise PreconditionFailed(f"The currency rates have changed since you read them (version {current.version}).")
    if body.currency != current.currency and sales.any_deal_with_status(caller.tenant_id, StageStatus.WON):
        raise Conflict(
            f"Deals were won in the tenant currency {current.currency}; it can no longer change.",
            [FieldError("currency", f"must stay {current.currency}: deals were won in it", "currency_in_use")],
        )
    table = RateTable(
        currency=body.currency,
        rates={code: str(rate) for code, rate in sorted(body.rates.items())},
        updated_at=utc_now(),
        updated_by=caller.user_id,
    )
    try:
        return _rates_out(sales.save_rate_table(caller.tenant_id, table, current.version))
    except StaleVersion as error:
        raise PreconditionFailed("The currency rates changed while you saved them; read them again.") from error
