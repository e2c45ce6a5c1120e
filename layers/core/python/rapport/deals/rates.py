"""The tenant's currency rate table: the tenant currency, and what other currencies are worth in it.

`{"currency": "EUR", "rates": {"USD": "0.92"}}`: one USD is worth 0.92 EUR. Until an admin sets it, the tenant
currency is USD with no rates. It is a settings document (rapport.settings): replaced whole, over the version read.
The tenant currency cannot change once a deal was won in it: lifetime values and performance stats hold amounts
converted when deals were won, and are not restated.
"""

from __future__ import annotations

from rapport.deals import manifest as deals_manifest
from rapport.deals import store
from rapport.deals.models import CurrencyRates, CurrencyRatesPut, StageStatus
from rapport.deals.money import DEFAULT_TENANT_CURRENCY
from rapport.deals.store import RateTable
from rapport.errors import Conflict, FieldError
from rapport.settings import SettingsDocument


class CurrencyRatesDocument(SettingsDocument[CurrencyRatesPut]):
    def check(self, tenant_id: str, key: str | None, current: CurrencyRatesPut, content: CurrencyRatesPut) -> None:
        """The tenant currency is fixed once a deal was won in it (recorded revenue and lifetime values are in it
        and are not restated)."""
        if content.currency != current.currency and store.any_deal_with_status(tenant_id, StageStatus.WON):
            raise Conflict(
                f"Deals were won in the tenant currency {current.currency}; it can no longer change.",
                [FieldError("currency", f"must stay {current.currency}: deals were won in it", "currency_in_use")],
            )


CURRENCY_RATES = CurrencyRatesDocument(
    deals_manifest.CURRENCY_RATES,
    CurrencyRatesPut,
    document=CurrencyRates,
    resource="currency_rates",
    default=lambda _: CurrencyRatesPut(currency=DEFAULT_TENANT_CURRENCY),
)


def default_rates() -> RateTable:
    return RateTable(currency=DEFAULT_TENANT_CURRENCY, rates={})


def current_rates(tenant_id: str) -> RateTable:
    document = CURRENCY_RATES.read(tenant_id).content
    rates = {code: str(rate) for code, rate in document.rates.items()}
    return RateTable(currency=document.currency, rates=rates)
