"""The ledger entries a change of a contact's `consent` makes: one per channel and per topic whose state changed.

A contact keeps its current consent (`consent.<channel>`, and `consent.topics.<channel>.<topic>`); every write that
changes it, whatever its way in (the API, a web form's lead converted, an SES complaint, an unsubscribe), appends
what changed to the ledger in the same transaction (rapport.contacts.service stages them).
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

from ulid import ULID

TOPICS = "topics"


def _states(consent: Mapping[str, Any] | None) -> dict[tuple[str, str | None], dict[str, Any]]:
    """Each channel's and topic's state, by (channel, topic or None)."""
    consent = consent or {}
    states: dict[tuple[str, str | None], dict[str, Any]] = {
        (channel, None): dict(state) for channel, state in consent.items() if channel != TOPICS and state
    }
    for channel, topics in (consent.get(TOPICS) or {}).items():
        for topic, state in (topics or {}).items():
            states[(channel, topic)] = dict(state)
    return states


def withdrawn(consent: Mapping[str, Any] | None, channel: str, topic: str) -> bool:
    """Whether the person opted out of `channel`, or of `topic` on it (not: never asked, or still pending)."""
    states = _states(consent)
    return any((states.get(key) or {}).get("status") == "opted_out" for key in ((channel, None), (channel, topic)))


def entries(
    before: Mapping[str, Any] | None, after: Mapping[str, Any] | None, *, by: str, at: str
) -> Iterator[dict[str, Any]]:
    """The entries recording how `after` differs from `before` (contacts' `consent`), made by `by` at `at`.

    A state that disappears (a channel or topic removed by a merge patch's null) is not a change of anyone's
    consent: the ledger keeps what was said last about it."""
    earlier = _states(before)
    for (channel, topic), state in _states(after).items():
        if earlier.get((channel, topic)) == state:
            continue
        yield {
            "id": str(ULID()),
            "channel": channel,
            "topic": topic,
            **state,
            "recorded_at": at,
            "recorded_by": by,
        }
