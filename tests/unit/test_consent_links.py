"""Consent links' tokens: signed, bound to their purpose, a confirmation's expiring after 7 days, and still read
after the secret is rotated once."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pytest

from rapport import config
from rapport.consent import links
from rapport.consent.links import Link, Purpose
from rapport.errors import BadRequest

NOW = datetime(2026, 11, 30, 12, 0, tzinfo=UTC)


@pytest.fixture(autouse=True)
def _config() -> Iterator[None]:
    config.reload()
    yield
    config.reload()


def test_a_token_reads_back_as_its_link():
    link = Link(Purpose.UNSUBSCRIBE, "tenant-a", "01JD5Y7M7ZV1W4T5C9H2K3N4P5", "sms", None)
    assert links.read(links.token(link), Purpose.UNSUBSCRIBE) == link


def test_a_confirmation_lasts_seven_days_and_not_a_second_more():
    value = links.confirmation("tenant-a", "c1", "email", "newsletter", NOW)
    assert links.read(value, Purpose.CONFIRM, NOW + timedelta(days=7) - timedelta(seconds=1)).topic == "newsletter"
    with pytest.raises(BadRequest, match="expired"):
        links.read(value, Purpose.CONFIRM, NOW + timedelta(days=7))


def test_a_token_is_good_for_its_purpose_only():
    value = links.confirmation("tenant-a", "c1", "email", None, NOW)
    with pytest.raises(BadRequest, match="something else"):
        links.read(value, Purpose.UNSUBSCRIBE, NOW)


def test_a_rotated_secret_still_reads_the_links_signed_before_and_a_third_does_not(monkeypatch: pytest.MonkeyPatch):
    value = links.token(Link(Purpose.UNSUBSCRIBE, "tenant-a", "c1", "email", "offers"))
    monkeypatch.setenv("CURSOR_SECRET_PREVIOUS", config.current().require("cursor_secret"))
    monkeypatch.setenv("CURSOR_SECRET", "the-rotated-secret")
    config.reload()
    assert links.read(value, Purpose.UNSUBSCRIBE).topic == "offers"
    assert links.token(Link(Purpose.UNSUBSCRIBE, "tenant-a", "c1", "email", "offers")) != value
    monkeypatch.setenv("CURSOR_SECRET_PREVIOUS", "the-rotated-secret")
    monkeypatch.setenv("CURSOR_SECRET", "yet-another-secret")
    config.reload()
    with pytest.raises(BadRequest, match="not valid"):
        links.read(value, Purpose.UNSUBSCRIBE)


def test_a_changed_payload_or_signature_is_refused():
    payload, _, signature = links.token(Link(Purpose.UNSUBSCRIBE, "tenant-a", "c1", "email", "offers")).partition(".")
    forged = links._encode(b'{"p":"u","t":"tenant-b","c":"c1","ch":"email"}')
    flipped = signature[:-1] + ("B" if signature.endswith("A") else "A")
    for value in (f"{forged}.{signature}", f"{payload}.{flipped}", f"{payload}."):
        with pytest.raises(BadRequest):
            links.read(value, Purpose.UNSUBSCRIBE)
