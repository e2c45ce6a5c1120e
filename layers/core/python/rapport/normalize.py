"""Canonical forms used for uniqueness and lookups: emails, phone numbers (E.164), domains, names, instants, days."""

from __future__ import annotations

import re
import unicodedata
from datetime import UTC, date, datetime

_ATOM = r"[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+"
_LOCAL_PART = re.compile(rf"(?=.{{1,64}}\Z){_ATOM}(?:\.{_ATOM})*")
_EMAIL_HINT = "must be an email address like name@example.com"
_PHONE_SEPARATORS = re.compile(r"[\s().\-/]")
_E164 = re.compile(r"\+[1-9]\d{6,14}")
_DOMAIN_LABEL = re.compile(r"(?!-)[a-z0-9-]{1,63}(?<!-)")


def email(value: str) -> str:
    """Lower-cased, trimmed address with an IDNA-encoded domain (`ada@bücher.example` -> `ada@xn--bcher-kva.example`);
    raises ValueError when it is not an address.

    The local part is RFC 5322's dot-atom (letters, digits, ``!#$%&'*+/=?^_`{|}~-`` and single inner dots); the
    domain a host name of at least two labels whose last is not a number.
    """
    local, at, host = value.strip().rpartition("@")
    if not at or not _LOCAL_PART.fullmatch(local):
        raise ValueError(_EMAIL_HINT)
    try:
        host = _host_name(host.lower())
    except ValueError as error:
        raise ValueError(_EMAIL_HINT) from error
    candidate = f"{local}@{host}".lower()
    top_level = host.rpartition(".")[2]
    if len(candidate) > 254 or len(top_level) < 2 or top_level.isdigit():
        raise ValueError(_EMAIL_HINT)
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
        return _host_name(candidate)
    except ValueError as error:
        raise ValueError("must be a domain name like example.com") from error


def _host_name(candidate: str) -> str:
    """`candidate` IDNA-encoded, checked label by label; raises ValueError when it is no host name."""
    try:
        candidate = candidate.encode("idna").decode("ascii")
    except UnicodeError as error:
        raise ValueError("not a host name") from error
    labels = candidate.split(".")
    if len(candidate) > 253 or len(labels) < 2 or not all(_DOMAIN_LABEL.fullmatch(label) for label in labels):
        raise ValueError("not a host name")
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
INSTANT_HINT = "must be an ISO 8601 time with a zone, like 2026-11-23T09:00:00Z"
DAY_HINT = "must be a date like 2026-11-23"
# Times and dates Rapport takes: far enough to hold any business date, near enough that arithmetic on them (a
# time slot, a reminder's offset, a day's end in any zone) stays within what `datetime` can hold.
EARLIEST = datetime(1900, 1, 1, tzinfo=UTC)
LATEST = datetime(2199, 12, 31, 23, 59, 59, tzinfo=UTC)
_DAY = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")


def parse_instant(text: str) -> datetime:
    """The time an ISO 8601 string names; raises ValueError for anything else."""
    try:
        return datetime.fromisoformat(text.strip().replace("z", "Z"))
    except ValueError as error:
        raise ValueError(INSTANT_HINT) from error


def bounded(value: datetime) -> datetime:
    """`value`, which has a zone and lies within 1900..2199 UTC; raises ValueError otherwise."""
    if value.tzinfo is None or value.utcoffset() is None:
        raise ValueError(INSTANT_HINT)
    try:
        utc = value.astimezone(UTC)
    except OverflowError as error:
        raise ValueError(_OUT_OF_RANGE) from error
    if not EARLIEST <= utc <= LATEST:
        raise ValueError(_OUT_OF_RANGE)
    return value


def instant(value: str | datetime) -> str:
    """An ISO 8601 time with a zone as UTC to the second (`2026-11-23T09:00:00Z`): fixed width, so it sorts.

    Raises ValueError for a time without a zone, which would be ambiguous, or outside 1900..2199.
    """
    moment = bounded(parse_instant(value) if isinstance(value, str) else value)
    return moment.astimezone(UTC).strftime(INSTANT_FORMAT)


def parse_day(text: str) -> date:
    """The day `YYYY-MM-DD` names; raises ValueError for anything else (a time, week dates, other digits)."""
    if not _DAY.fullmatch(text):
        raise ValueError(DAY_HINT)
    try:
        return date.fromisoformat(text)
    except ValueError as error:
        raise ValueError(DAY_HINT) from error


def bounded_day(value: date) -> date:
    if not EARLIEST.date() <= value <= LATEST.date():
        raise ValueError(_OUT_OF_RANGE)
    return value


_OUT_OF_RANGE = "must lie between 1900-01-01 and 2199-12-31"
