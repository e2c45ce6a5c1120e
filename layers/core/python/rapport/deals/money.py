"""Money: exact decimals with two places (never floats), ISO 4217 currencies, conversion at the tenant's rates.

A rate table says what one unit of a currency is worth in the tenant currency: with the tenant currency EUR and
`rates = {"USD": "0.92"}`, 100.00 USD is 92.00 EUR. Sums are exact; a figure is rounded to cents (half to even)
only where it is shown or stored as money.
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping
from decimal import ROUND_HALF_EVEN, Decimal
from typing import Annotated, Any

from pydantic import AfterValidator, BeforeValidator, Field, PlainSerializer

CENT = Decimal("0.01")
DEFAULT_TENANT_CURRENCY = "USD"

# Active ISO 4217 currencies one trades in (funds, precious metals and test codes left out).
_ISO_4217 = """
    AED AFN ALL AMD ANG AOA ARS AUD AWG AZN BAM BBD BDT BGN BHD BIF BMD BND BOB BRL BSD BTN BWP BYN BZD CAD CDF
    CHF CLP CNY COP CRC CUC CUP CVE CZK DJF DKK DOP DZD EGP ERN ETB EUR FJD FKP GBP GEL GHS GIP GMD GNF GTQ GYD
    HKD HNL HTG HUF IDR ILS INR IQD IRR ISK JMD JOD JPY KES KGS KHR KMF KPW KRW KWD KYD KZT LAK LBP LKR LRD LSL
    LYD MAD MDL MGA MKD MMK MNT MOP MRU MUR MVR MWK MXN MYR MZN NAD NGN NIO NOK NPR NZD OMR PAB PEN PGK PHP PKR
    PLN PYG QAR RON RSD RUB RWF SAR SBD SCR SDG SEK SGD SHP SLE SLL SOS SRD SSP STN SVC SYP SZL THB TJS TMT TND
    TOP TRY TTD TWD TZS UAH UGX USD UYU UZS VED VES VND VUV WST XAF XCD XCG XOF XPF YER ZAR ZMW ZWG ZWL
"""
CURRENCIES = frozenset(_ISO_4217.split())


def cents(value: Decimal) -> Decimal:
    """`value` rounded to two places, half to even (banker's rounding, as ledgers do)."""
    return value.quantize(CENT, rounding=ROUND_HALF_EVEN)


def in_cents(amount: Decimal) -> int:
    """A Money amount (two places at most) as a whole number of cents: exact, and cheaper to hold and compare."""
    return int(amount * 100)


def _currency(code: str) -> str:
    if code not in CURRENCIES:
        raise ValueError("must be an ISO 4217 currency code like EUR or USD")
    return code


_CANONICAL_DECIMAL = re.compile(r"-?(?:0|[1-9][0-9]*)(?:\.[0-9]+)?")
_DECIMAL_HINT = 'must be a decimal like "1250.50" (ASCII digits and a point, no exponent or separators)'


def _canonical(value: Any) -> Any:
    """A decimal as JSON should carry it: a plain decimal string or an exact number, never a boolean, NaN,
    infinity, negative zero, `1_000`, `1e3` or digits of other scripts (all of which `Decimal` would take)."""
    if isinstance(value, bool) or (isinstance(value, str) and not _CANONICAL_DECIMAL.fullmatch(value)):
        raise ValueError(_DECIMAL_HINT)
    if isinstance(value, float) and not math.isfinite(value):
        raise ValueError(_DECIMAL_HINT)
    if isinstance(value, str | float | Decimal) and Decimal(value).is_zero() and Decimal(value).is_signed():
        raise ValueError("must not be negative zero")
    return value


def _cents(value: Decimal) -> Decimal:
    return value.quantize(CENT)


CurrencyCode = Annotated[str, Field(min_length=3, max_length=3, pattern=r"^[A-Z]{3}$"), AfterValidator(_currency)]
Money = Annotated[
    Decimal,
    BeforeValidator(_canonical),
    Field(ge=0, max_digits=14, decimal_places=2, description='A decimal with at most two places, e.g. "1250.50"'),
    AfterValidator(_cents),
    PlainSerializer(lambda value: str(value), return_type=str, when_used="json"),
]
Rate = Annotated[
    Decimal,
    BeforeValidator(_canonical),
    Field(gt=0, max_digits=24, decimal_places=10, description="Tenant-currency units per unit of this currency"),
    PlainSerializer(lambda value: str(value), return_type=str, when_used="json"),
]


def convert(amount: Decimal, currency: str, tenant_currency: str, rates: Mapping[str, str]) -> Decimal | None:
    """`amount` of `currency` in the tenant currency, exact (unrounded); None when no rate is known."""
    if currency == tenant_currency:
        return amount
    rate = rates.get(currency)
    return None if rate is None else amount * Decimal(rate)
