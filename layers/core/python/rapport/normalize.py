"""Canonical forms used for uniqueness and lookups: emails, phone numbers (E.164), domains, names, instants."""

from __future__ import annotations

import re
import unicodedata
from datetime import UTC, datetime

_EMAIL = re.compile(r"^[^@\s]{1,64}@[^@\s]+\.[^@\s]{2,}$")
_PHONE_SEPARATORS = re.compile(r"[\s().\-/]")
_E164 = re.compile(r"^\+[1-9]\d{6,14}$")
_DOMAIN_LABEL = re.compile(r"^(?!-)[a-z0-9-]{1,63}(?<!-)$")


def email(value: str) -> str:
    """Lower-cased, trimmed address; raises ValueError when it is not an address."""
    candidate = value.strip().lower()
    if len(candidate) > 254 or not _EMAIL.match(candidate):
        raise ValueError("must be an email address like name@example.com")
    return candidate


def phone(value: str) -> str:
    """E.164 (`+442079460958`) from an international number written with spaces, dots, dashes or brackets."""
    candidate = _PHONE_SEPARATORS.sub("", value.strip())
    if candidate.startswith("00"):
        candidate = "+" + candidate[2:]
    if not _E164.match(candidate):
        raise ValueError(
            "must be an international phone number starting with + and country code, like +44 20 7946 0958"
        )
    return candidate


def domain(value: str) -> str:
    """Bare host name: no scheme, path, port or leading `www.`, lower-cased and IDNA-encoded."""
    candidate = value.strip().lower()
    candidate = re.sub(r"^[a-z][a-z0-9+.-]*://", "", candidate)
    candidate = candidate.split("/", 1)[0].split("?", 1)[0].split(":", 1)[0].rstrip(".")
    candidate = candidate.removeprefix("www.")
    try:
        candidate = candidate.encode("idna").decode("ascii")
    except UnicodeError as error:
        raise ValueError("must be a domain name like example.com") from error
    labels = candidate.split(".")
    if len(candidate) > 253 or len(labels) < 2 or not all(_DOMAIN_LABEL.match(label) for label in labels):
        raise ValueError("must be a domain name like example.com")
    return candidate


def fold(value: str) -> str:
    """Case- and accent-insensitive form of a text: NFKD without combining marks or control characters (the key
    layout uses them as separators), case-folded (`Zoë ß` -> `zoe ss`)."""
    folded = unicodedata.normalize("NFKD", unicodedata.normalize("NFKD", value).casefold())
    return "".join(char for char in folded if not unicodedata.combining(char) and unicodedata.category(char) != "Cc")


def name_key(value: str) -> str:
    """Case- and accent-insensitive form of a name, for sorting and prefix search (`Zoë  O'Neil` -> `zoe o'neil`)."""
    return " ".join(fold(value).split())


MAX_WORD_LENGTH = 64  # longer words are found by their first 64 characters
MAX_SEARCH_WORDS = 16  # a record is found by the first 16 distinct words of its names


def search_terms(value: str) -> list[str]:
    """The words of a search, each once, in order: folded runs of letters and digits (`O'Neil-Smith` -> o, neil,
    smith), cut to MAX_WORD_LENGTH. A record matches when each is the start of one of its words."""
    return list(dict.fromkeys(_runs(value)))


def _runs(value: str) -> list[str]:
    """The runs of letters and digits of `value`, folded; anything else (control characters too) separates them."""
    folded = fold(_controls_as_spaces(value))
    return [run[:MAX_WORD_LENGTH] for run in "".join(char if char.isalnum() else " " for char in folded).split()]


def _controls_as_spaces(value: str) -> str:
    return "".join(" " if unicodedata.category(char) == "Cc" else char for char in value)


def search_words(*names: str | None) -> list[str]:
    """The words `names` are found by, each once, at most MAX_SEARCH_WORDS: their search terms, and each word
    written with punctuation also without it (`O'Neil` is found by `o`, `neil` and `oneil`)."""
    words: list[str] = []
    for name in names:
        for token in _controls_as_spaces(name or "").split():
            runs = _runs(token)
            words += runs + (["".join(runs)[:MAX_WORD_LENGTH]] if len(runs) > 1 else [])
    return list(dict.fromkeys(words))[:MAX_SEARCH_WORDS]


INSTANT_FORMAT = "%Y-%m-%dT%H:%M:%SZ"


def instant(value: str | datetime) -> str:
    """An ISO 8601 time with a zone as UTC to the second (`2026-11-23T09:00:00Z`): fixed width, so it sorts.

    Raises ValueError for a time without a zone, which would be ambiguous.
    """
    if isinstance(value, str):
        try:
            value = datetime.fromisoformat(value.strip().replace("z", "Z"))
        except ValueError as error:
            raise ValueError("must be an ISO 8601 time with a zone, like 2026-11-23T09:00:00Z") from error
    if value.tzinfo is None or value.utcoffset() is None:
        raise ValueError("must be an ISO 8601 time with a zone, like 2026-11-23T09:00:00Z")
    return value.astimezone(UTC).strftime(INSTANT_FORMAT)
