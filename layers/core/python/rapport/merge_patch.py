"""JSON merge patch (RFC 7396): how every PATCH changes a record, and the model a PATCH body is checked against.

A patch's members replace the target's, objects merge member by member, `null` removes a member, and anything
that is not an object (arrays included) replaces what was there. The model of a patch is made from the model of
what it patches, so the two cannot drift apart: every member optional, objects patched in turn, `null` allowed
where the record may go without the member. The merged result is validated by the record's own model.
"""

from __future__ import annotations

import types
from functools import cache
from typing import Annotated, Any, Union, get_args, get_origin

from pydantic import BaseModel, BeforeValidator, Field, create_model
from pydantic.fields import FieldInfo

from rapport.types import StrictModel


def apply(target: Any, patch: Any) -> Any:
    """`target` changed by `patch`, as RFC 7396 defines it; neither argument is modified."""
    if not isinstance(patch, dict):
        return patch
    merged = dict(target) if isinstance(target, dict) else {}
    for name, value in patch.items():
        if value is None:
            merged.pop(name, None)
        else:
            merged[name] = apply(merged.get(name), value)
    return merged


def model(patched: type[BaseModel], stored: type[BaseModel] | None = None, base: type[BaseModel] = StrictModel) -> Any:
    """The model of a merge patch of `patched` (e.g. a create model), named `<Record>Patch`.

    A member may be `null` (removed) when `stored`, the model of the record as kept (default: `patched`), lets it
    be absent or empty; else `null` is refused as "cannot be cleared". Fields that `base` declares are taken from
    it (with its validators), e.g. to refuse members the service computes with a message of their own.
    """
    return _model(patched, stored or patched, base)


@cache
def _model(patched: type[BaseModel], stored: type[BaseModel], base: type[BaseModel]) -> type[BaseModel]:
    fields: dict[str, Any] = {
        name: _member(field, stored.model_fields.get(name, field))
        for name, field in patched.model_fields.items()
        if name not in base.model_fields
    }
    record = patched.__name__.removesuffix("Create")
    patch_model: type[BaseModel] = create_model(
        f"{record}Patch",
        __base__=base,
        __module__=patched.__module__,
        __doc__=f"JSON merge patch (RFC 7396) of {record}: members sent are set, objects merge member by member, "
        "null removes a member, arrays replace the whole list.",
        **fields,
    )
    return patch_model


def _member(field: FieldInfo, stored: FieldInfo) -> tuple[Any, Any]:
    """The member's type and field in the patch model."""
    patched_type = _annotated(_patch_type(_without_none(field.annotation)), field.metadata)
    info: Any = Field(
        default=None, description=field.description, alias=field.alias, json_schema_extra=_without_default
    )
    if _clearable(stored):
        return patched_type | None, info
    return Annotated[patched_type, BeforeValidator(_not_null)], info


def _clearable(stored: FieldInfo) -> bool:
    """The record may go without the member: optional, and absent means empty."""
    return not stored.is_required() and (stored.default is None or stored.default_factory in (list, dict))


def _not_null(value: Any) -> Any:
    if value is None:
        raise ValueError("cannot be cleared: send a value instead of null")
    return value


def _without_default(schema: dict[str, Any]) -> None:
    """An absent member is not patched: it has no default to document."""
    schema.pop("default", None)


def _without_none(annotation: Any) -> Any:
    if get_origin(annotation) in (Union, types.UnionType):
        members = [member for member in get_args(annotation) if member is not type(None)]
        return members[0] if len(members) == 1 else Union[tuple(members)]  # noqa: UP007
    return annotation


def _patch_type(annotation: Any) -> Any:
    """Objects are patched member by member: a model by its patch model, a mapping key by key."""
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return _model(annotation, annotation, StrictModel)
    if get_origin(annotation) is dict:
        key, value = get_args(annotation)
        return dict[key, value | None]  # type: ignore[valid-type]
    if get_origin(annotation) is Annotated:
        inner, *metadata = get_args(annotation)
        return _annotated(_patch_type(inner), metadata)
    return annotation


def _annotated(annotation: Any, metadata: list[Any]) -> Any:
    return Annotated[annotation, *metadata] if metadata else annotation


def between(source: Any, target: Any) -> Any:
    """The merge patch that turns `source` into `target` (RFC 7396 `apply(source, between(source, target))` is
    `target`, where `target` holds no null)."""
    if not isinstance(source, dict) or not isinstance(target, dict):
        return target
    patch: dict[str, Any] = {name: None for name in source if name not in target}
    for name, value in target.items():
        if name not in source:
            patch[name] = value
        elif isinstance(value, dict) and isinstance(source[name], dict):
            inner = between(source[name], value)
            if inner:
                patch[name] = inner
        elif source[name] != value:
            patch[name] = value
    return patch
