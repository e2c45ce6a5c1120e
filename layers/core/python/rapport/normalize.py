"""Canonical forms used for uniqueness and lookups: emails, phone numbers (E.164), domains, names, instants."""

from __future__ import annotations

import re
import unicodedata
from datetime import UTC, datetime

_EMAIL = re.compile(r"[^@\s]{1,64}@[^@\s]+\.[^@\s]{2,}")
_PHONE_SEPARATORS = re.compile(r"[\s().\-/]")
_E164 = re.compile(r"\+[1-9]\d{6,14}")
_DOMAIN_LABEL = re.compile(r"(?!-)[a-z0-9-]{1,63}(?<!-)")


def email(value: str) -> str:
    """Lower-cased, trimmed address; raises ValueError when it is not an address."""
    candidate = value.strip().lower()
    if len(candidate) > 254 or not _EMAIL.fullmatch(candidate):
        raise ValueError("must be an email address like name@example.com")
    return candidate


def phone(value: str) -> str:
    """E.164 (`+442079460958`) from an international number written with spaces, dots, dashes or brackets."""
    candidate = _PHONE_SEPARATORS.sub("", value.strip())
    if candidate.startswith("00"):
        candidate = "+" + candidate[2:]
    if not _E164.fullmatch(candidate):
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
    if len(candidate) > 253 or len(labels) < 2 or not all(_DOMAIN_LABEL.fullmatch(label) for label in labels):
        raise ValueError("must be a domain name like example.com")
    return candidate


def name_key(value: str) -> str:
    """Case- and accent-insensitive form of a name, for prefix search (`Zoë  O'Neil` -> `zoe o'neil`).

    Control characters are dropped: the key layout uses them as separators.
    """
    decomposed = unicodedata.normalize("NFKD", value)
    stripped = "".join(
        char for char in decomposed if not unicodedata.combining(char) and unicodedata.category(char) != "Cc"
    )
    return " ".join(stripped.casefold().split())


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
