"""A record's custom values checked against its family's fields: each in its field's canonical form, or a 422
naming `custom.<key>`; what a record's values count in each field's usage; and the unique values it holds.

Canonical forms: a number is a whole number, a decimal its exact decimal string (`12.50`), a date `YYYY-MM-DD`, a
datetime UTC to the second, an email lower-cased, a phone E.164, a url http(s); an empty string, an empty
multi_enum or null is no value (a merge patch's null removes it).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from decimal import Decimal, InvalidOperation
from typing import Any
from urllib.parse import urlsplit

from rapport import normalize
from rapport.custom_fields.models import CHOICES, FieldType
from rapport.custom_fields.models import CustomField as Definition
from rapport.errors import FieldError, InvalidInput

FIELD = "custom"


def _text(value: Any) -> str:
    if not isinstance(value, str):
        raise ValueError("must be a string")
    return value


def _number(value: Any) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise ValueError("must be a whole number")
    return value


def _decimal(value: Any) -> str:
    if isinstance(value, bool) or not isinstance(value, str | int | float):
        raise ValueError('must be a decimal number, like "12.50"')
    try:
        exact = Decimal(str(value).strip())
    except InvalidOperation as error:
        raise ValueError('must be a decimal number, like "12.50"') from error
    if not exact.is_finite() or abs(exact.as_tuple().exponent) > 10 or exact.adjusted() > 20:  # type: ignore[arg-type]
        raise ValueError("must be a decimal number of at most 20 digits before and 10 after the point")
    return str(exact)


def _date(value: Any) -> str:
    return normalize.bounded_day(normalize.parse_day(_text(value))).isoformat()


def _datetime(value: Any) -> str:
    return normalize.instant(_text(value))


def _boolean(value: Any) -> bool:
    if not isinstance(value, bool):
        raise ValueError("must be true or false")
    return value


def _url(value: Any) -> str:
    text = _text(value).strip()
    parts = urlsplit(text)
    if parts.scheme not in ("http", "https") or not parts.hostname or " " in text:
        raise ValueError("must be an http or https URL with a host name")
    return text


def _one_of(definition: Definition) -> Callable[[Any], str]:
    def check(value: Any) -> str:
        if value not in definition.options:
            raise ValueError(f"must be one of {', '.join(definition.options)}")
        return str(value)

    return check


def _some_of(definition: Definition) -> Callable[[Any], list[str]]:
    def check(value: Any) -> list[str]:
        if not isinstance(value, list):
            raise ValueError("must be a list of options")
        unknown = [item for item in value if item not in definition.options]
        if unknown:
            raise ValueError(f"must hold only {', '.join(definition.options)} (not {unknown[0]})")
        if len(set(value)) != len(value):
            raise ValueError("must not repeat an option")
        return [str(item) for item in value]

    return check


_CHECKS: dict[FieldType, Callable[[Any], Any]] = {
    FieldType.TEXT: _text,
    FieldType.NUMBER: _number,
    FieldType.DECIMAL: _decimal,
    FieldType.DATE: _date,
    FieldType.DATETIME: _datetime,
    FieldType.BOOLEAN: _boolean,
    FieldType.URL: _url,
    FieldType.EMAIL: lambda value: normalize.email(_text(value)),
    FieldType.PHONE: lambda value: normalize.phone(_text(value)),
}


def _check(definition: Definition) -> Callable[[Any], Any]:
    if definition.type == FieldType.ENUM:
        return _one_of(definition)
    if definition.type == FieldType.MULTI_ENUM:
        return _some_of(definition)
    return _CHECKS[definition.type]


def _empty(value: Any) -> bool:
    return value is None or value == "" or value == []


def checked(
    family: str, definitions: Sequence[Definition], values: Mapping[str, Any], *, complete: bool
) -> dict[str, Any]:
    """`values` in canonical form, without the empty ones; a 422 naming each `custom.<key>` at fault (a key the
    family does not define, a value not of its field's type, and, `complete`, a required field without a value)."""
    defined = {definition.key: definition for definition in definitions}
    errors: list[FieldError] = []
    found: dict[str, Any] = {}
    for key, value in values.items():
        definition = defined.get(key)
        if definition is None:
            errors.append(FieldError(f"{FIELD}.{key}", f"is not a custom field of {family}", "unknown_field"))
            continue
        if _empty(value):
            continue
        try:
            found[key] = _check(definition)(value)
        except ValueError as error:
            errors.append(FieldError(f"{FIELD}.{key}", str(error), "invalid"))
    errors += [
        FieldError(f"{FIELD}.{definition.key}", f"is required ({definition.label})", "missing")
        for definition in definitions
        if complete
        and definition.required
        and definition.key not in found
        and not any(error.field == f"{FIELD}.{definition.key}" for error in errors)
    ]
    if errors:
        raise InvalidInput(f"The custom fields of these {family} are not valid.", errors)
    return found


def usage(definitions: Sequence[Definition], values: Mapping[str, Any] | None) -> dict[tuple[str, str | None], int]:
    """What `values` count in their fields' usage: one per field with a value, and one per option chosen."""
    choices = {definition.key for definition in definitions if definition.type in CHOICES}
    counted: dict[tuple[str, str | None], int] = {}
    for key, value in (values or {}).items():
        counted[(key, None)] = 1
        if key in choices:
            for option in value if isinstance(value, list) else [value]:
                counted[(key, str(option))] = 1
    return counted


def usage_change(
    definitions: Sequence[Definition], before: Mapping[str, Any] | None, after: Mapping[str, Any] | None
) -> dict[tuple[str, str | None], int]:
    """How a write from `before` to `after` moves each usage count (zero moves left out)."""
    old, new = usage(definitions, before), usage(definitions, after)
    moved = {counted: new.get(counted, 0) - old.get(counted, 0) for counted in {*old, *new}}
    return {counted: delta for counted, delta in moved.items() if delta}


def unique_values(definitions: Sequence[Definition], values: Mapping[str, Any] | None) -> dict[str, str]:
    """The values of `values` that their field says are unique, by key, as their guards hold them."""
    unique = {definition.key for definition in definitions if definition.unique}
    return {key: str(value).lower() for key, value in (values or {}).items() if key in unique}
