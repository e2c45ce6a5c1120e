from decimal import Decimal

import pytest
from pydantic import BaseModel, ValidationError

from rapport.deals.money import CurrencyCode, Money, cents, convert


class Priced(BaseModel):
    amount: Money
    currency: CurrencyCode


@pytest.mark.parametrize(("sent", "kept"), [("1250.5", "1250.50"), (1250.5, "1250.50"), (7, "7.00"), ("0", "0.00")])
def test_amounts_are_exact_decimals_with_two_places(sent, kept):
    priced = Priced(amount=sent, currency="EUR")
    assert priced.model_dump(mode="json")["amount"] == kept
    assert isinstance(priced.amount, Decimal)


@pytest.mark.parametrize("sent", ["1.005", 0.1 + 0.2, "-1.00", "abc", "1e20"])
def test_more_places_negative_or_not_a_number_is_refused(sent):
    with pytest.raises(ValidationError):
        Priced(amount=sent, currency="EUR")


@pytest.mark.parametrize("code", ["EU", "eur", "EUX", "XAU", "XXX"])
def test_currencies_are_iso_4217_codes_one_trades_in(code):
    with pytest.raises(ValidationError):
        Priced(amount="1", currency=code)


def test_conversion_uses_the_rate_to_the_tenant_currency_exactly():
    rates = {"USD": "0.92", "JPY": "0.0061"}
    assert convert(Decimal("100.00"), "USD", "EUR", rates) == Decimal("92.0000")
    assert convert(Decimal("100.00"), "EUR", "EUR", rates) == Decimal("100.00")
    assert convert(Decimal("100.00"), "GBP", "EUR", rates) is None
    assert cents(convert(Decimal("333.33"), "JPY", "EUR", rates) or Decimal(0)) == Decimal("2.03")


def test_rounding_is_half_to_even():
    assert (cents(Decimal("0.125")), cents(Decimal("0.135"))) == (Decimal("0.12"), Decimal("0.14"))
