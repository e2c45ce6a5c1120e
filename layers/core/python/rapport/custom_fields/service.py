"""The custom fields document, and what it means for a record's write (rapport.records calls `stage`).

A save is refused (409, naming the field) while records use what it would take away: a field removed, its type or
its uniqueness changed, an option of an enum dropped; the usage counts come from ONE Query (rapport.custom_fields
.store). Values are checked on every write of a record that sends `custom` and on every create (a required field
applies to records written from then on): the document is read then, one GetItem.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from contextvars import ContextVar
from typing import Any

from rapport.custom_fields import store, values
from rapport.custom_fields.manifest import CUSTOM_FIELDS
from rapport.custom_fields.models import CustomField, CustomFields
from rapport.dal.repository import Guard, UnitOfWork
from rapport.errors import Conflict, FieldError, InvalidInput
from rapport.settings import SettingsDocument

FAMILIES = tuple(CustomFields.model_fields)
# A settings item and its history entry (before and after) stay far below DynamoDB's 400 KB.
MAX_DOCUMENT_CHARACTERS = 100_000
GUARD_VALUE_BYTES = 512  # longer unique values are guarded by their digest (keys stay far below DynamoDB's limit)


class CustomFieldsDocument(SettingsDocument[CustomFields]):
    def validate(self, key: str | None, content: CustomFields) -> CustomFields:
        """A document one item holds, with room for its history entry (what a save changed, before and after)."""
        sizes = {family: len(json.dumps(content.model_dump(mode="json")[family])) for family in FAMILIES}
        if sum(sizes.values()) > MAX_DOCUMENT_CHARACTERS:
            largest = max(sizes, key=lambda family: sizes[family])
            raise InvalidInput.of(
                largest,
                f"the custom fields take more than {MAX_DOCUMENT_CHARACTERS} characters: fewer options or fields",
            )
        return content

    def check(self, tenant_id: str, key: str | None, current: CustomFields, content: CustomFields) -> None:
        used = store.usage(tenant_id)
        errors = [
            error
            for family in FAMILIES
            for error in _taken_away(family, current.of(family), content.of(family), used.get(family, {}))
        ]
        if errors:
            raise Conflict("Records use what this change would take away: change or clear their values first.", errors)


def _taken_away(
    family: str, before: Sequence[CustomField], after: Sequence[CustomField], used: Mapping[store.Counted, int]
) -> list[FieldError]:
    kept = {field.key: (position, field) for position, field in enumerate(after)}
    errors: list[FieldError] = []
    for field in before:
        count = used.get((field.key, None), 0)
        if not count:
            continue
        if field.key not in kept:
            errors.append(FieldError(family, f"drops {field.key}, which {count} record(s) use", "in_use"))
            continue
        position, new = kept[field.key]
        at = f"{family}[{position}]"
        if new.type != field.type:
            errors.append(FieldError(f"{at}.type", f"cannot change while {count} record(s) have a value", "in_use"))
        if new.unique != field.unique:
            errors.append(FieldError(f"{at}.unique", f"cannot change while {count} record(s) have a value", "in_use"))
        dropped = [option for option in field.options if option not in new.options and used.get((field.key, option))]
        if dropped:
            errors.append(FieldError(f"{at}.options", f"drops {', '.join(dropped)}, which records use", "in_use"))
    return errors


FIELD = values.FIELD
DOCUMENT = CustomFieldsDocument(CUSTOM_FIELDS, CustomFields, resource="custom_fields", default=lambda _: CustomFields())


_READ_ONCE: ContextVar[dict[tuple[str, str], Sequence[CustomField]] | None] = ContextVar("custom_fields", default=None)


def definitions(tenant_id: str, family: str) -> Sequence[CustomField]:
    """The family's custom fields as the tenant saved them (one GetItem; within `read_once`, the first time)."""
    read = _READ_ONCE.get()
    if read is None:
        return DOCUMENT.read(tenant_id).content.of(family)
    if (tenant_id, family) not in read:
        read[tenant_id, family] = DOCUMENT.read(tenant_id).content.of(family)
    return read[tenant_id, family]


@contextmanager
def read_once() -> Iterator[None]:
    """Within it, each family's fields are read once: for many records written together (a batch of an import),
    which a change of the fields between two of them would not serve better."""
    token = _READ_ONCE.set({})
    try:
        yield
    finally:
        _READ_ONCE.reset(token)


def checked(family: str, fields: Sequence[CustomField], data: Mapping[str, Any], *, complete: bool) -> dict[str, Any]:
    """`data` with its `custom` values in canonical form (absent when none): a 422 naming `custom.<key>` else;
    `complete`: a required field without a value is one too."""
    found = values.checked(family, fields, data.get(values.FIELD) or {}, complete=complete)
    rest = {name: value for name, value in data.items() if name != values.FIELD}
    return {**rest, values.FIELD: found} if found else rest


def guards(family: str, fields: Sequence[CustomField], data: Mapping[str, Any]) -> dict[Guard, str]:
    """The unique custom values `data` holds, each with the field it comes from (`custom.<key>`)."""
    unique = values.unique_values(fields, data.get(values.FIELD))
    return {store.guard(family, key, _guarded(value)): f"{values.FIELD}.{key}" for key, value in unique.items()}


def _guarded(value: str) -> str:
    if len(value.encode()) <= GUARD_VALUE_BYTES:
        return value
    return "sha256:" + hashlib.sha256(value.encode()).hexdigest()


def stage_usage(
    work: UnitOfWork,
    tenant_id: str,
    family: str,
    fields: Sequence[CustomField],
    before: Mapping[str, Any] | None,
    after: Mapping[str, Any] | None,
) -> None:
    """Move the usage counts in `work` as a record's data goes from `before` to `after` (None: none)."""
    moves = values.usage_change(fields, (before or {}).get(values.FIELD), (after or {}).get(values.FIELD))
    store.stage_usage(work, tenant_id, family, moves)


def field_of(guard: Guard) -> str | None:
    """`custom.<key>` for a custom field's guard (None for another one)."""
    key = store.guarded_key(guard)
    return f"{values.FIELD}.{key}" if key is not None else None
