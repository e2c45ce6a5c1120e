"""Every request body of every route takes JSON as it is: no coercion (booleans as numbers, numbers as times),
no control characters, real emails, countries, decimals, and times within 1900..2199.

The fields are found through each model's JSON schema, so a field added tomorrow is checked by its type."""

from __future__ import annotations

import importlib
import json
import re
from collections.abc import Iterator
from typing import Any

import pytest
from pydantic import BaseModel, ValidationError

from tools.openapi import AREAS

Path = tuple[str | int, ...]

ARABIC_INDIC_DATE = "\u0662\u0660\u0662\u0666-\u0661\u0662-\u0663\u0661"  # 2026-12-31 in other digits
TEXT_GARBAGE = ["a\x00b", "a\x07b", "a\x1bb", "a\ud800b", "a\x7fb"]
GARBAGE_BY_KIND: dict[str, list[Any]] = {
    "integer": [True, False, "1", 1.5],
    "boolean": [1, 0, "true"],
    "date-time": [
        -1,
        0,
        1_700_000_000,
        1.5,
        True,
        "2026-01-01T00:00:00",
        "9999-12-31T23:45:00Z",
        "1899-12-31T23:59:59Z",
    ],
    "date": [0, 20261231, True, "9999-12-31", "2026-12-31T00:00:00Z", ARABIC_INDIC_DATE],
    "email": ["x@x..com", "x@-x.com", "x@x.com;drop", "x@x", "a b@x.com", "x@x.com\x00", 5, *TEXT_GARBAGE],
    "country": ["XX", "ZZ", "gb", "G\x00", 1],
    "decimal": ["-0.00", "-0", -0.0, "1_000", "\u0661\u0660\u0660", "1e3", "NaN", "Infinity", " 1", True],
    "text": [5, True, *TEXT_GARBAGE],
}
KEYS = ("USD", "team-1", "01JD5Y7M7ZV1W4T5C9H2K3N4P5", "newsletter")


def request_models() -> list[type[BaseModel]]:
    models: dict[str, type[BaseModel]] = {}
    for area in AREAS:
        app = importlib.import_module(f"{area}.handler").app
        for route in app._static_routes + app._dynamic_routes:
            for parameter in route.dependant.body_params:
                if isinstance(parameter.type_, type) and issubclass(parameter.type_, BaseModel):  # not a form's field
                    models[parameter.type_.__name__] = parameter.type_
    return [models[name] for name in sorted(models)]


def kind(schema: dict[str, Any]) -> str | None:
    branches = [branch.get("type") for branch in schema.get("anyOf", [])]
    if "number" in branches and "string" in branches:
        return "decimal"
    if schema.get("type") in ("integer", "boolean"):
        return str(schema["type"])
    if schema.get("type") != "string" or "enum" in schema or "const" in schema:
        return None
    if schema.get("format") in ("date-time", "date", "email"):
        return str(schema["format"])
    return "country" if schema.get("pattern") == "^[A-Z]{2}$" else "text"


def leaves(schema: dict[str, Any], definitions: dict[str, Any], path: Path = ()) -> Iterator[tuple[Path, str]]:
    """Every typed leaf of `schema`: its path, and what kind of value it takes."""
    if "$ref" in schema:
        yield from leaves(definitions[schema["$ref"].rsplit("/", 1)[1]], definitions, path)
        return
    if (found := kind(schema)) is not None:
        yield path, found
        return
    for branch in schema.get("anyOf", []) + schema.get("allOf", []):
        yield from leaves(branch, definitions, path)
    for name, member in schema.get("properties", {}).items():
        yield from leaves(member, definitions, (*path, name))
    if isinstance(schema.get("items"), dict):
        yield from leaves(schema["items"], definitions, (*path, 0))
    if isinstance(schema.get("additionalProperties"), dict):
        names = schema.get("propertyNames", {})
        key = next(key for key in KEYS if re.fullmatch(names.get("pattern", ".*"), key))
        yield from leaves(schema["additionalProperties"], definitions, (*path, key))
    for pattern, member in schema.get("patternProperties", {}).items():
        key = next(key for key in KEYS if re.fullmatch(pattern, key))
        yield from leaves(member, definitions, (*path, key))


def cases() -> Iterator[Any]:
    for model in request_models():
        schema = model.model_json_schema(by_alias=True)
        found = sorted(set(leaves(schema, schema.get("$defs", {}))), key=repr)
        for path, leaf_kind in found:
            for value in GARBAGE_BY_KIND[leaf_kind]:
                label = ".".join(map(str, path))
                yield pytest.param(model, path, value, id=f"{model.__name__}.{label}={value!r}")


def placed(path: Path, value: Any) -> Any:
    """A document with `value` at `path` and nothing else."""
    for step in reversed(path):
        value = [value] if isinstance(step, int) else {step: value}
    return value


@pytest.mark.parametrize(("model", "path", "value"), list(cases()))
def test_garbage_is_refused_at_its_field(model, path, value):
    with pytest.raises(ValidationError) as refused:
        model.model_validate(placed(path, value))
    locations = [entry["loc"][: len(path)] for entry in refused.value.errors()]
    assert path in locations, json.dumps(refused.value.errors(), default=str)


def test_every_kind_of_field_is_found():
    kinds = {
        leaf_kind
        for model in request_models()
        for _, leaf_kind in leaves(model.model_json_schema(), model.model_json_schema().get("$defs", {}))
    }
    assert kinds == set(GARBAGE_BY_KIND)


def test_create_and_patch_models_of_every_record_are_covered():
    names = {model.__name__ for model in request_models()}
    for record in ("Account", "Contact", "Lead", "Deal", "Pipeline", "Task", "Appointment"):
        assert {f"{record}Create", f"{record}Patch"} <= names
    assert {"ActivityCreate", "PublicLeadCreate", "UserProfile", "AssignmentRules", "CurrencyRatesPut"} <= names
