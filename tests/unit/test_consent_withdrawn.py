"""Whether a person withdrew consent on a channel or to a topic on it (rapport.consent.ledger.withdrawn): what ends a
sequence's enrollment as an unsubscribe, as opposed to consent never given or still pending."""

from __future__ import annotations

from typing import Any

import pytest

from rapport.consent.ledger import withdrawn

AT = "2026-01-05T10:00:00Z"


def _state(status: str) -> dict[str, str]:
    return {"status": status, "at": AT, "source": "api"}


def consent(email: str | None, offers: str | None) -> dict[str, Any]:
    found: dict[str, Any] = {}
    if email:
        found["email"] = _state(email)
    if offers:
        found["topics"] = {"email": {"offers": _state(offers)}}
    return found


@pytest.mark.parametrize(
    ("email", "offers", "expected"),
    [
        ("opted_in", "opted_in", False),
        ("opted_in", "opted_out", True),  # the topic withdrawn
        ("opted_out", "opted_in", True),  # the whole channel withdrawn
        ("opted_in", "pending", False),  # not confirmed yet: not sent, but nothing withdrawn
        ("opted_in", None, False),  # never asked
        (None, None, False),
    ],
)
def test_a_withdrawal_is_an_opt_out_of_the_channel_or_of_the_topic_on_it(
    email: str | None, offers: str | None, expected: bool
):
    assert withdrawn(consent(email, offers), "email", "offers") is expected


def test_another_topic_or_channel_withdrawn_is_not_this_one():
    given = {
        "email": _state("opted_in"),
        "sms": _state("opted_out"),
        "topics": {"email": {"news": _state("opted_out")}},
    }
    assert not withdrawn(given, "email", "offers")
    assert withdrawn(given, "sms", "offers")
    assert not withdrawn(None, "email", "offers")
