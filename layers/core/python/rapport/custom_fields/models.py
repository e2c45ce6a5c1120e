"""The custom fields document: per record family, the fields its records may carry under `custom`."""

from __future__ import annotations

from enum import StrEnum
from typing import Annotated, Self

from pydantic import AfterValidator, Field, StrictBool, StringConstraints, model_validator

from rapport.types import CUSTOM_KEY_PATTERN, Name, SingleLine, StrictModel


class FieldType(StrEnum):
    TEXT = "text"
    NUMBER = "number"  # a whole number
    DECIMAL = "decimal"  # exact, kept as its decimal string (like amounts)
    DATE = "date"
    DATETIME = "datetime"
    BOOLEAN = "boolean"
    ENUM = "enum"
    MULTI_ENUM = "multi_enum"
    URL = "url"
    EMAIL = "email"
    PHONE = "phone"


CHOICES = frozenset({FieldType.ENUM, FieldType.MULTI_ENUM})
NOT_UNIQUE = frozenset({FieldType.BOOLEAN, FieldType.ENUM, FieldType.MULTI_ENUM})
Option = Annotated[str, StringConstraints(min_length=1, max_length=100), SingleLine]


def _distinct(options: list[str]) -> list[str]:
    if len(set(options)) != len(options):
        raise ValueError("must not repeat an option")
    return options


class CustomField(StrictModel):
    key: Annotated[str, StringConstraints(pattern=CUSTOM_KEY_PATTERN)] = Field(
        description="Names the value under the record's `custom`: a-z, 0-9 and `_`, starting with a letter"
    )
    label: Name
    type: FieldType
    required: StrictBool = Field(default=False, description="Every record written from now on has a value")
    unique: StrictBool = Field(
        default=False, description="No two records of the family share a value (empty values never collide)"
    )
    options: Annotated[list[Option], Field(max_length=200), AfterValidator(_distinct)] = Field(
        default_factory=list, description="The choices of an enum or multi_enum field"
    )

    @model_validator(mode="after")
    def _consistent(self) -> Self:
        if self.type in CHOICES and not self.options:
            raise ValueError(f"options: an {self.type} field needs its options")
        if self.type not in CHOICES and self.options:
            raise ValueError(f"options: only an enum or multi_enum field has options, not a {self.type} field")
        if self.unique and self.type in NOT_UNIQUE:
            raise ValueError(f"unique: a {self.type} field cannot be unique")
        return self


def _distinct_keys(fields: list[CustomField]) -> list[CustomField]:
    keys = [field.key for field in fields]
    repeated = sorted({key for key in keys if keys.count(key) > 1})
    if repeated:
        raise ValueError(f"must not define a key twice: {', '.join(repeated)}")
    return fields


Fields = Annotated[list[CustomField], Field(max_length=50), AfterValidator(_distinct_keys)]


class CustomFields(StrictModel):
    """The custom fields of each record family, by its path (`contacts`, ...)."""

    accounts: Fields = Field(default_factory=list)
    contacts: Fields = Field(default_factory=list)
    leads: Fields = Field(default_factory=list)
    deals: Fields = Field(default_factory=list)
    tasks: Fields = Field(default_factory=list)
    cases: Fields = Field(default_factory=list)

    def of(self, family: str) -> list[CustomField]:
        fields: list[CustomField] = getattr(self, family)
        return fields
