"""Double opt-in: a new email subscription waits, `pending`, until the person confirms it through the signed link
a confirmation email carries (rapport.consent.links, Purpose.CONFIRM).

When the tenant's marketing settings say `double_opt_in` (or the web form the subscription came through does), an
email consent (the channel's, or a topic's on it) that a write turns `opted_in` is stored `pending` instead,
whatever the way in: the consent API, a contact's create or patch, a converted lead, an import. The only way from
`pending` to `opted_in` is the link's POST, recorded with source `double_opt_in` and its IP and user agent. Opting
out, and SMS, need no confirmation.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

from rapport.consent.manifest import pending_email
from rapport.consent.models import Channel, ConsentStatus

CONFIRMED_SOURCE = "double_opt_in"  # a pending subscription the person confirmed through the link
CONFIRMED_CHANNEL = Channel.EMAIL
TOPICS = "topics"


def email_states(consent: Mapping[str, Any] | None) -> Iterator[tuple[str | None, Mapping[str, Any]]]:
    """Each email state of a contact's `consent`: the channel's (topic None), then each topic's."""
    consent = consent or {}
    channel = str(CONFIRMED_CHANNEL)
    if consent.get(channel):
        yield None, consent[channel]
    for topic, state in ((consent.get(TOPICS) or {}).get(channel) or {}).items():
        if state:
            yield topic, state


def _status(consent: Mapping[str, Any] | None, topic: str | None) -> str | None:
    return next((state.get("status") for name, state in email_states(consent) if name == topic), None)


def _is_confirmation(state: Mapping[str, Any], before: str | None) -> bool:
    return before == ConsentStatus.PENDING and state.get("source") == CONFIRMED_SOURCE


def unconfirmed(after: Mapping[str, Any] | None, before: Mapping[str, Any] | None) -> list[str | None]:
    """The email subscriptions `after` turns `opted_in` that were not, other than by a confirmation: those double
    opt-in holds pending (topic None: the channel's)."""
    return [
        topic
        for topic, state in email_states(after)
        if state.get("status") == ConsentStatus.OPTED_IN
        and (earlier := _status(before, topic)) != ConsentStatus.OPTED_IN
        and not _is_confirmation(state, earlier)
    ]


def held(consent: dict[str, Any], topics: list[str | None]) -> dict[str, Any]:
    """`consent` with the email subscriptions `topics` pending."""
    channel = str(CONFIRMED_CHANNEL)
    for topic in topics:
        state = consent[channel] if topic is None else consent[TOPICS][channel][topic]
        state["status"] = str(ConsentStatus.PENDING)
    return consent


def newly_pending(before: Mapping[str, Any] | None, after: Mapping[str, Any] | None) -> list[str | None]:
    """The email subscriptions `after` has pending that `before` did not: each asks for a confirmation."""
    return sorted(pending_email(after) - pending_email(before), key=lambda topic: topic or "")
