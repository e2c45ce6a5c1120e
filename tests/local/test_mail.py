"""The local runtime's SES receiving: which receipt rules take which recipients, and the envelope an email
without `--to` gets."""

from __future__ import annotations

import pytest

from local.runtime.mail import _Rule, recipients_of


@pytest.mark.parametrize(
    ("recipients", "address", "taken"),
    [
        (("inbound.example",), "support+acme@inbound.example", True),
        (("inbound.example",), "support+acme@other.example", False),
        (("inbound.example",), "support@sub.inbound.example", False),
        ((".inbound.example",), "support@sub.inbound.example", True),
        (("support@inbound.example",), "support@inbound.example", True),
        (("support@inbound.example",), "sales@inbound.example", False),
        ((), "anyone@anywhere.example", True),
    ],
)
def test_a_rule_takes_its_addresses_its_domains_and_the_subdomains_it_names(
    recipients: tuple[str, ...], address: str, taken: bool
) -> None:
    assert _Rule(recipients, ()).takes(address) is taken


def test_the_envelope_is_the_to_and_cc_addresses_lower_cased() -> None:
    raw = (
        b"From: a@x.example\r\nTo: Support <Support+Acme@In.example>, undisclosed-recipients:;\r\n"
        b"Cc: b@y.example\r\n\r\nHi"
    )
    assert recipients_of(raw) == ("support+acme@in.example", "b@y.example")
