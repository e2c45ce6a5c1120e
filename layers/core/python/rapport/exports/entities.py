"""What can be exported: the records a context names in its manifest (`Context.exports`), each listed by its
service's `search` exactly as its list route lists them, so an export's filter is the route's query parameters,
checked by the same code, and holds what its asker may read.

A filter's names and types are read from `search`'s signature (its keywords but the caller, limit and cursor;
`RecordService.filter_aliases` names those the route calls otherwise), so a new filter of a list is exportable the
day it is written. A column is a field of the list's records, or a path into one (`address.city`); a custom field
is `custom.<key>`, and the default columns are the records' fields then the tenant's custom fields of the kind.
"""

from __future__ import annotations

import inspect
import typing
from collections.abc import Callable, Mapping, Sequence
from functools import cache, cached_property
from typing import Any, Protocol

from pydantic import BaseModel, ConfigDict, Field, ValidationError, create_model

from rapport import contexts
from rapport.annotations import holds, reach
from rapport.auth import Caller
from rapport.custom_fields import service as custom_fields
from rapport.errors import FieldError, InvalidInput, RapportError
from rapport.pagination import MAX_LIMIT, Page
from rapport.records import field_errors

NOT_FILTERS = frozenset({"caller", "limit", "cursor"})
PAGE_SIZE = MAX_LIMIT


class Listing(Protocol):
    """What an export reads of a record service (rapport.records.RecordService): its `search` and its records."""

    resource: str
    out_model: type[BaseModel]
    filter_aliases: Mapping[str, str]
    search: Callable[..., Page[Any]]

    @property
    def has_custom_fields(self) -> bool: ...


class Exportable:
    """One kind of record an export can write: `entity` (its list route's path) and the service listing them."""

    def __init__(self, entity: str, service: Listing) -> None:
        self.entity = entity
        self.service = service

    @cached_property
    def _search_hints(self) -> dict[str, Any]:
        return typing.get_type_hints(self.service.search)

    @cached_property
    def filter_names(self) -> dict[str, str]:
        """The route's name of each filter, by `search`'s keyword."""
        keywords = inspect.signature(self.service.search).parameters
        aliases = self.service.filter_aliases
        return {keyword: aliases.get(keyword, keyword) for keyword in keywords if keyword not in NOT_FILTERS}

    @cached_property
    def _filters_model(self) -> type[BaseModel]:
        """The filters as `search` types them, by the route's names; no other name."""
        fields: dict[str, Any] = {}
        for keyword, name in self.filter_names.items():
            annotation = self._search_hints[keyword]
            fields[keyword] = (annotation, Field(default=False if annotation is bool else None, alias=name))
        model: type[BaseModel] = create_model(
            f"{self.entity.title()}ExportFilter",
            __config__=ConfigDict(extra="forbid", str_strip_whitespace=True),
            **fields,
        )
        return model

    def keywords(self, given: Mapping[str, Any]) -> dict[str, Any]:
        """`given` (the route's names) as `search`'s keywords, every filter present; 422s name `filter.<name>`."""
        try:
            parsed = self._filters_model.model_validate(dict(given))
        except ValidationError as error:
            offered = ", ".join(sorted(self.filter_names.values()))
            raise InvalidInput(
                f"Not a filter {self.entity} are listed by (GET /{self.entity} takes {offered}).",
                [_in_filter(fault) for fault in field_errors(error)],
            ) from None
        return {keyword: getattr(parsed, keyword) for keyword in self.filter_names}

    def page(
        self, caller: Caller, keywords: Mapping[str, Any], cursor: str | None, limit: int = PAGE_SIZE
    ) -> Page[Any]:
        """A page of the records, as the list route would answer it; its filter faults as 422s on `filter.*`."""
        try:
            return self.service.search(caller, **keywords, limit=limit, cursor=cursor)
        except RapportError as error:
            if error.status != 400:
                raise
            raise InvalidInput(error.detail, [_in_filter(fault) for fault in error.errors]) from None

    def columns(self, tenant_id: str, asked: Sequence[str] | None) -> list[str]:
        """The columns asked for, each checked (422s on `columns[i]`); none asked: every field, then the tenant's
        custom fields of the kind."""
        defined = self._custom_keys(tenant_id, needed=asked is None or any(_is_custom(c) for c in asked))
        if asked is None:
            fields = [name for name in self.service.out_model.model_fields if name != custom_fields.FIELD]
            return [*fields, *(f"{custom_fields.FIELD}.{key}" for key in defined)]
        faults = [
            FieldError(f"columns[{index}]", fault)
            for index, column in enumerate(asked)
            if (fault := self._column_fault(column, defined)) is not None
        ]
        if len(set(asked)) != len(asked):
            faults.append(FieldError("columns", "must not repeat a column"))
        if faults:
            raise InvalidInput(f"Not columns of {self.entity}.", faults)
        return list(asked)

    def _custom_keys(self, tenant_id: str, *, needed: bool) -> list[str]:
        if not needed or not self.service.has_custom_fields:
            return []
        return [field.key for field in custom_fields.definitions(tenant_id, self.service.resource)]

    def _column_fault(self, column: str, custom_keys: Sequence[str]) -> str | None:
        head, *rest = column.split(".")
        if head == custom_fields.FIELD and self.service.has_custom_fields:
            if len(rest) != 1 or rest[0] not in custom_keys:
                keys = ", ".join(custom_keys) or "none yet"
                return f"is not one of the tenant's custom fields of {self.entity} (custom.<key>; they are: {keys})"
            return None
        return _path_fault(self.service.out_model, [head, *rest])


def _path_fault(model: type[BaseModel], path: Sequence[str]) -> str | None:
    """Why a column cannot be `path`: it names no field, or goes below one that has no fields (a mapping's keys
    may be picked)."""
    reached = reach(model, path)
    if isinstance(reached, str):
        return reached
    if reached.rest and not holds(reached.annotation, dict, Mapping):
        return f"{reached.name} has no fields to pick from: name it alone (lists and objects are written as JSON)"
    return None


def _is_custom(column: str) -> bool:
    return column.split(".", 1)[0] == custom_fields.FIELD


def _in_filter(fault: FieldError) -> FieldError:
    return FieldError(f"filter.{fault.field}", fault.message, fault.code, "body")


@cache
def exportables() -> dict[str, Exportable]:
    """Every exportable kind of record, by entity."""
    return {
        entity: Exportable(entity, contexts.load(reference))
        for context in contexts.contexts()
        for entity, reference in context.exports.items()
    }


def exportable(entity: str) -> Exportable:
    """The exportable `entity`: a 422 on `entity` listing them otherwise."""
    found = exportables().get(entity)
    if found is None:
        offered = ", ".join(sorted(exportables()))
        raise InvalidInput.of("entity", f"is not a kind of record an export writes; they are: {offered}")
    return found
