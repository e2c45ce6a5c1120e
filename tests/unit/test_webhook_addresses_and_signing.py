"""Webhooks without I/O: which addresses a delivery may reach, and signatures as the standardwebhooks package
makes them."""

from datetime import UTC, datetime

import pytest
from cryptography.exceptions import InvalidTag
from standardwebhooks.webhooks import Webhook

from rapport.webhooks import signing
from rapport.webhooks.addresses import Refused, check


def public(host: str, port: int) -> list[str]:
    return ["93.184.215.14"]


@pytest.mark.parametrize(
    "address",
    [
        "2002:0a00:0001::1",  # 6to4 of 10.0.0.1
        "2001:0000:4136:e378:8000:63bf:f5ff:fffe",  # Teredo of 10.0.0.1 (its client address, inverted)
        "::ffff:127.0.0.1",
        "fc00::1",
        "ff02::1",
        "::",
        "198.18.0.1",  # benchmarking
        "192.0.2.1",  # documentation
    ],
)
def test_addresses_hidden_in_ipv6_or_special_ranges_are_refused(address: str) -> None:
    with pytest.raises(Refused):
        check("https://hooks.example.com/", lambda host, port: [address])


def test_the_target_keeps_the_name_for_tls_and_the_checked_address_to_connect_to() -> None:
    target = check("https://Hooks.Example.com.:8443/in?x=1", public)
    assert (target.host, target.port, target.address, target.scheme) == (
        "hooks.example.com",
        8443,
        "93.184.215.14",
        "https",
    )


def test_signatures_are_the_ones_standard_webhooks_makes_and_a_secret_seals_per_webhook() -> None:
    secret = signing.new_secret()
    at = datetime(2026, 11, 30, 9, 0, tzinfo=UTC)
    body = '{"type":"deal.won"}'
    assert signing.signature(secret, "msg_1", int(at.timestamp()), body) == Webhook(secret).sign("msg_1", at, body)
    two = signing.headers([secret, signing.new_secret()], "msg_1", int(at.timestamp()), body)["webhook-signature"]
    assert len(two.split(" ")) == 2
    sealed = signing.seal(secret, "tenant-a", "wh-1")
    assert secret not in sealed
    assert signing.unseal(sealed, "tenant-a", "wh-1") == secret
    with pytest.raises(InvalidTag):
        signing.unseal(sealed, "tenant-b", "wh-1")
