"""What a pydantic field's annotation holds, through its Optional, unions and Annotated: the model inside it, or
whether it is a list or a mapping; and the field a dotted path leads to through nested models (the exports'
columns and the imports' mappings read fields so)."""

from __future__ import annotations

import types
import typing
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from pydantic import BaseModel

_WRAPPERS = (typing.Union, types.UnionType, typing.Annotated)


def model_in(annotation: Any) -> type[BaseModel] | None:
    """The one model the annotation holds (None: none, or more than one)."""
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return annotation
    if typing.get_origin(annotation) in _WRAPPERS:
        found = [model for arg in typing.get_args(annotation) if (model := model_in(arg)) is not None]
        return found[0] if len(found) == 1 else None
    return None


def holds(annotation: Any, *origins: type) -> bool:
    """Whether the annotation is, or may be, one of `origins` (`list`, `dict`...), bare or parameterized."""
    if typing.get_origin(annotation) in _WRAPPERS:
        return any(holds(arg, *origins) for arg in typing.get_args(annotation))
    return typing.get_origin(annotation) in origins or annotation in origins


@dataclass(frozen=True)
class Reached:
    """The field a path leads to: its name, its annotation, and what is left of the path when the field holds no
    model to go on into."""

    name: str
    annotation: Any
    rest: tuple[str, ...]


def reach(model: type[BaseModel], path: Sequence[str]) -> Reached | str:
    """Where `path` (a field's name, then its fields' names) leads in `model`; or why it leads nowhere."""
    head, *rest = path
    field = model.model_fields.get(head)
    if field is None:
        return f"{head} is not a field of {model.__name__}; they are: {', '.join(model.model_fields)}"
    inner = model_in(field.annotation)
    if rest and inner is not None:
        return reach(inner, rest)
    return Reached(head, field.annotation, tuple(rest))
