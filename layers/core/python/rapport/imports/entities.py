"""What can be imported: the records a context names in its manifest (`Context.imports`), with the unique fields
a row may be matched by. A row becomes a record's data by its plan's mapping: each mapped cell (an empty one is no
value) is put at its field's path (`address.city`), as text, which the entity's own model then reads as the API
does (numbers, booleans and dates from text; emails, phones and domains normalized). Cells of list fields, and of
multi_enum custom fields, hold their values separated by `;`. A custom field's cell is read by its type.
"""

from __future__ import annotations

import typing
from collections.abc import Mapping, Sequence
from functools import cache
from typing import Any

from pydantic import BaseModel, TypeAdapter, ValidationError

from rapport import contexts
from rapport.annotations import holds, model_in, reach
from rapport.custom_fields import service as custom_fields
from rapport.custom_fields.models import CustomField, FieldType
from rapport.dal.repository import Guard
from rapport.errors import FieldError, InvalidInput
from rapport.records import RecordService, field_errors

LIST_SEPARATOR = ";"
TRUE = frozenset({"true", "yes", "1", "y"})
FALSE = frozenset({"false", "no", "0", "n"})


class Importable:
    """One kind of record an import writes: `entity`, its service and the fields rows may be matched by."""

    def __init__(self, entity: str, service: RecordService[Any, Any], matches: Sequence[str]) -> None:
        self.entity = entity
        self.service = service
        self.matches = tuple(matches)

    @property
    def model(self) -> type[BaseModel]:
        return self.service.create_model

    def check_plan(self, tenant_id: str, mapping: Mapping[str, str], match: str | None, *, needed: bool) -> None:
        """The mapping's fields and the match, each checked: a 422 on `mapping.<column>` or `match`."""
        defined = self.custom_fields(tenant_id)
        faults = [
            FieldError(f"mapping.{column}", fault)
            for column, path in mapping.items()
            if (fault := self._path_fault(path, defined)) is not None
        ]
        targets = list(mapping.values())
        repeated = sorted({path for path in targets if targets.count(path) > 1})
        if repeated:
            faults.append(FieldError("mapping", f"maps more than one column to {', '.join(repeated)}"))
        if match is None and needed:
            faults.append(FieldError("match", f"is needed to update: one of {', '.join(self.matches)}"))
        elif match is not None and match not in self.matches:
            faults.append(FieldError("match", f"{self.entity} are matched by {', '.join(self.matches)}"))
        elif match is not None and match not in targets:
            faults.append(FieldError("match", f"no column is mapped to {match}"))
        if faults:
            raise InvalidInput(f"Not a plan to import {self.entity} with.", faults)

    def custom_fields(self, tenant_id: str) -> dict[str, CustomField]:
        if not self.service.has_custom_fields:
            return {}
        return {field.key: field for field in custom_fields.definitions(tenant_id, self.service.resource)}

    def _path_fault(self, path: str, defined: Mapping[str, CustomField]) -> str | None:
        head, *rest = path.split(".")
        if head == custom_fields.FIELD and self.service.has_custom_fields:
            if len(rest) != 1 or rest[0] not in defined:
                return f"custom.{'.'.join(rest)} is not one of the tenant's custom fields of {self.entity}"
            return None
        return _path_fault(self.model, [head, *rest])

    def data(
        self, cells: Mapping[str, str], mapping: Mapping[str, str], defined: Mapping[str, CustomField]
    ) -> dict[str, Any]:
        """A row's data: each mapped column's cell at its path, as the entity's model reads it (empty: absent)."""
        data: dict[str, Any] = {}
        for column, path in mapping.items():
            text = cells.get(column, "").strip()
            if not text:
                continue
            head, *rest = path.split(".")
            if head == custom_fields.FIELD:
                value: Any = _custom_value(defined[rest[0]], text)
            else:
                value = _split(text) if _is_list(self.model, head, rest) else text
            _put(data, path.split("."), value)
        return data

    def match_guard(self, data: Mapping[str, Any], match: str) -> Guard | None:
        """The guard a row's match value is held by, its value read as the entity's model reads it; None when the
        row has none. Raises a 422 on the match field when its value is not one."""
        value = data.get(match)
        if value is None:
            return None
        field = self.model.model_fields[match]
        try:
            typed = typing.Annotated[field.annotation, *field.metadata] if field.metadata else field.annotation
            adapter: TypeAdapter[Any] = TypeAdapter(typed)  # type: ignore[arg-type]
            normalized = adapter.validate_python(value)
        except ValidationError as error:
            faults = [FieldError(match, fault.message, fault.code) for fault in field_errors(error)]
            raise InvalidInput("Not a value to match by.", faults) from None
        held = self.service.guards({**data, match: normalized})
        return next((guard for guard, field_name in held.items() if field_name == match), None)


def _custom_value(field: CustomField, text: str) -> Any:
    if field.type == FieldType.NUMBER:
        try:
            return int(text)
        except ValueError:
            return text
    if field.type == FieldType.BOOLEAN:
        lowered = text.lower()
        return True if lowered in TRUE else False if lowered in FALSE else text
    if field.type == FieldType.MULTI_ENUM:
        return _split(text)
    return text


def _split(text: str) -> list[str]:
    return [part.strip() for part in text.split(LIST_SEPARATOR) if part.strip()]


def _put(data: dict[str, Any], path: Sequence[str], value: Any) -> None:
    for name in path[:-1]:
        data = data.setdefault(name, {})
    data[path[-1]] = value


def _path_fault(model: type[BaseModel], path: Sequence[str]) -> str | None:
    """Why a column cannot map to `path`: it names no field, or one with fields of its own, or goes below one
    without."""
    reached = reach(model, path)
    if isinstance(reached, str):
        return reached
    if reached.rest:
        return f"{reached.name} has no fields to map to"
    if model_in(reached.annotation) is not None:
        return f"{reached.name} has fields: map a column to each (`{reached.name}.<field>`)"
    return None


def _is_list(model: type[BaseModel], head: str, rest: Sequence[str]) -> bool:
    annotation = model.model_fields[head].annotation
    if rest:
        inner = model_in(annotation)
        return inner is not None and _is_list(inner, rest[0], rest[1:])
    return holds(annotation, list)


@cache
def importables() -> dict[str, Importable]:
    return {
        entity: Importable(entity, contexts.load(importing.service), importing.matches)
        for context in contexts.contexts()
        for entity, importing in context.imports.items()
    }


def importable(entity: str) -> Importable:
    """The importable `entity`: a 422 on `entity` listing them otherwise."""
    found = importables().get(entity)
    if found is None:
        offered = ", ".join(sorted(importables()))
        raise InvalidInput.of("entity", f"is not a kind of record an import writes; they are: {offered}")
    return found
