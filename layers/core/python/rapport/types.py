"""Shared pydantic building blocks for request and response models.

Request fields take JSON as it is, without coercion: integers and booleans are strict (no `true` for 1 or `1` for
true), times are ISO 8601 strings (not numbers), text is printable, and times and dates lie in a sane range.
"""

from __future__ import annotations

import unicodedata
from datetime import UTC, date, datetime, timedelta
from typing import Annotated, Any

from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    Field,
    PlainSerializer,
    PlainValidator,
    StringConstraints,
    WithJsonSchema,
)

from rapport import normalize
from rapport.countries import COUNTRIES


class LazyModel(BaseModel):
    """Every model of the layer and the functions: its validator and serializer are built when first used, so a
    function's cold start builds only the models its request needs, not every model its modules define."""

    model_config = ConfigDict(defer_build=True)


class StrictModel(LazyModel):
    """Request models: unknown fields are an error, strings are trimmed."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True, defer_build=True)


def _unique(values: list[str]) -> list[str]:
    if len(set(values)) != len(values):
        raise ValueError("must not repeat a value")
    return values


_LINE_BREAKS_AND_TABS = frozenset("\t\n\r")


def _unprintable(value: str, allowed: frozenset[str]) -> str | None:
    """The first control character (NUL, escape, ...) or lone surrogate of `value` that `allowed` lacks."""
    return next((char for char in value if unicodedata.category(char) in ("Cc", "Cs") and char not in allowed), None)


def single_line(value: str) -> str:
    """Names, titles and other short text: printable characters only."""
    if (char := _unprintable(value, frozenset())) is not None:
        raise ValueError(f"must be printable text on one line (it holds the control character U+{ord(char):04X})")
    return value


def multi_line(value: str) -> str:
    """Notes and bodies: printable characters, line breaks and tabs."""
    if (char := _unprintable(value, _LINE_BREAKS_AND_TABS)) is not None:
        raise ValueError(f"must be printable text (it holds the control character U+{ord(char):04X})")
    return value


SingleLine = AfterValidator(single_line)
MultiLine = AfterValidator(multi_line)

ShortText = Annotated[str, StringConstraints(min_length=1, max_length=200), SingleLine]
Name = Annotated[str, StringConstraints(min_length=1, max_length=200), SingleLine]
LongText = Annotated[str, StringConstraints(min_length=1, max_length=20_000), MultiLine]
# pydantic checks patterns with Rust's regex, where `$` is the end of the text (not before a final newline).
USER_ID_PATTERN = r"^[A-Za-z0-9@._:+-]+$"
RECORD_ID_PATTERN = r"^[A-Za-z0-9_-]+$"
UserId = Annotated[str, StringConstraints(min_length=1, max_length=128, pattern=USER_ID_PATTERN)]
RecordId = Annotated[str, StringConstraints(min_length=1, max_length=64, pattern=RECORD_ID_PATTERN)]
Tag = Annotated[str, StringConstraints(min_length=1, max_length=50), SingleLine]
Tags = Annotated[list[Tag], Field(max_length=50), AfterValidator(_unique)]
Email = Annotated[
    str,
    StringConstraints(max_length=254),
    AfterValidator(normalize.email),
    WithJsonSchema({"type": "string", "format": "email", "maxLength": 254, "examples": ["ada@example.com"]}),
]
Phone = Annotated[str, StringConstraints(max_length=32), AfterValidator(normalize.phone)]
Domain = Annotated[str, StringConstraints(max_length=253), AfterValidator(normalize.domain)]


# A record's custom fields (rapport.custom_fields): values by key, checked against the tenant's definitions by the
# record's service. Here only their shape, so that every record model takes them the same way.
CUSTOM_KEY_PATTERN = r"^[a-z][a-z0-9_]{0,39}$"
CustomKey = Annotated[str, StringConstraints(pattern=CUSTOM_KEY_PATTERN)]
CUSTOM_TEXT_LENGTH = 2000
CUSTOM_LIST_LENGTH = 200


def _custom_value(value: Any) -> Any:
    """A JSON value a custom field may hold (its field's type is checked by the record's service): one error at
    the value's own key, not one per JSON type it is not."""
    if value is None or isinstance(value, bool | int | float):
        return value
    if isinstance(value, str):
        return _custom_text(value)
    if isinstance(value, list) and all(isinstance(item, str) for item in value):
        if len(value) > CUSTOM_LIST_LENGTH:
            raise ValueError(f"must hold at most {CUSTOM_LIST_LENGTH} options")
        return [_custom_text(item) for item in value]
    raise ValueError("must be a string, a number, true or false, or a list of strings")


def _custom_text(value: str) -> str:
    if len(value) > CUSTOM_TEXT_LENGTH:
        raise ValueError(f"must be at most {CUSTOM_TEXT_LENGTH} characters")
    return multi_line(value)


CustomValue = Annotated[Any, PlainValidator(_custom_value)]
# Which JSON type a value takes is its field's, which the tenant defines: the schema says so, and the record's service
# checks each value, strictly, against its field (a string is no number, a number no boolean).
CustomValues = Annotated[
    dict[CustomKey, CustomValue],
    Field(max_length=100),
    WithJsonSchema(
        {
            "type": "object",
            "propertyNames": {"pattern": CUSTOM_KEY_PATTERN},
            "additionalProperties": {"description": "A value of its field's type (`GET /custom-fields`)"},
            "maxProperties": 100,
            "description": "The tenant's custom fields by key: each value of its field's type; null removes one",
        }
    ),
]


def _country(code: str) -> str:
    if code not in COUNTRIES:
        raise ValueError("must be an ISO 3166-1 alpha-2 country code, like GB or US")
    return code


CountryCode = Annotated[str, StringConstraints(pattern=r"^[A-Z]{2}$"), AfterValidator(_country)]


def _instant(value: Any) -> datetime:
    """A time from an ISO 8601 string with a zone (or a datetime made in code): never a number."""
    if isinstance(value, str):
        value = normalize.parse_instant(value)
    if not isinstance(value, datetime):
        raise ValueError(normalize.INSTANT_HINT)
    return normalize.bounded(value).astimezone(UTC).replace(microsecond=0)


# A point in time, stored and sent as canonical UTC to the second (`2026-11-23T09:00:00Z`), which sorts as text
# in keys; a time without a zone, a number, or a time outside 1900..2199 is refused.
Instant = Annotated[
    datetime,
    PlainValidator(_instant),
    PlainSerializer(normalize.instant, return_type=str, when_used="json"),
    WithJsonSchema({"type": "string", "format": "date-time", "examples": ["2026-11-23T09:00:00Z"]}),
]

CLOCK_SKEW = timedelta(minutes=5)


def _not_future(value: datetime) -> datetime:
    if value > datetime.now(UTC) + CLOCK_SKEW:
        raise ValueError("must not be in the future")
    return value


PastInstant = Annotated[Instant, AfterValidator(_not_future)]


def _day(value: Any) -> date:
    """A calendar day from `YYYY-MM-DD` (or a date made in code): never a number or a time."""
    if isinstance(value, str):
        value = normalize.parse_day(value)
    if not isinstance(value, date) or isinstance(value, datetime):
        raise ValueError(normalize.DAY_HINT)
    return normalize.bounded_day(value)


Day = Annotated[
    date,
    PlainValidator(_day),
    PlainSerializer(date.isoformat, return_type=str, when_used="json"),
    WithJsonSchema({"type": "string", "format": "date", "examples": ["2026-11-23"]}),
]


class Address(StrictModel):
    line1: ShortText | None = None
    line2: ShortText | None = None
    city: ShortText | None = None
    region: ShortText | None = None
    postal_code: Annotated[str, StringConstraints(min_length=1, max_length=20), SingleLine] | None = None
    country: CountryCode | None = Field(default=None, description="ISO 3166-1 alpha-2, e.g. GB")


class RecordMeta(LazyModel):
    """Fields every stored record carries."""

    id: str
    created_at: datetime
    created_by: str
    updated_at: datetime
    updated_by: str
    version: int
    deleted_at: datetime | None = None
    deleted_by: str | None = None


def utc_now() -> str:
    return datetime.now(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")
