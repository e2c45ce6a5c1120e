"""Shared pydantic building blocks for request and response models."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated

from pydantic import (
    AfterValidator,
    AwareDatetime,
    BaseModel,
    ConfigDict,
    Field,
    PlainSerializer,
    StringConstraints,
    WithJsonSchema,
)

from rapport import normalize


class StrictModel(BaseModel):
    """Request models: unknown fields are an error, strings are trimmed."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)


def _unique(values: list[str]) -> list[str]:
    if len(set(values)) != len(values):
        raise ValueError("must not repeat a value")
    return values


ShortText = Annotated[str, StringConstraints(min_length=1, max_length=200)]
Name = Annotated[str, StringConstraints(min_length=1, max_length=200)]
# pydantic checks patterns with Rust's regex, where `$` is the end of the text (not before a final newline).
USER_ID_PATTERN = r"^[A-Za-z0-9@._:+-]+$"
RECORD_ID_PATTERN = r"^[A-Za-z0-9_-]+$"
UserId = Annotated[str, StringConstraints(min_length=1, max_length=128, pattern=USER_ID_PATTERN)]
RecordId = Annotated[str, StringConstraints(min_length=1, max_length=64, pattern=RECORD_ID_PATTERN)]
Tag = Annotated[str, StringConstraints(min_length=1, max_length=50)]
Tags = Annotated[list[Tag], Field(max_length=50), AfterValidator(_unique)]
Email = Annotated[str, StringConstraints(max_length=254), AfterValidator(normalize.email)]
Phone = Annotated[str, StringConstraints(max_length=32), AfterValidator(normalize.phone)]
Domain = Annotated[str, StringConstraints(max_length=253), AfterValidator(normalize.domain)]
CountryCode = Annotated[str, StringConstraints(pattern=r"^[A-Z]{2}$")]
LongText = Annotated[str, StringConstraints(min_length=1, max_length=20_000)]


def _to_the_second(value: datetime) -> datetime:
    return value.astimezone(UTC).replace(microsecond=0)


# A point in time, stored and sent as canonical UTC to the second (`2026-11-23T09:00:00Z`), which sorts as text
# in keys; a time without a zone is refused.
Instant = Annotated[
    AwareDatetime,
    AfterValidator(_to_the_second),
    PlainSerializer(normalize.instant, return_type=str, when_used="json"),
    WithJsonSchema({"type": "string", "format": "date-time", "examples": ["2026-11-23T09:00:00Z"]}),
]


class Address(StrictModel):
    line1: ShortText | None = None
    line2: ShortText | None = None
    city: ShortText | None = None
    region: ShortText | None = None
    postal_code: Annotated[str, StringConstraints(min_length=1, max_length=20)] | None = None
    country: CountryCode | None = Field(default=None, description="ISO 3166-1 alpha-2, e.g. GB")


class RecordMeta(BaseModel):
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
