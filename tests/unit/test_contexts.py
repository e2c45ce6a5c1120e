"""Every bounded context is complete: what it declares in its manifest is all a registry needs, and it holds.

A context's manifest (rapport.contexts) declares its kinds, the permissions of its resources, the events derived
from its records, its API areas (each a function with sample events and a bench entry), the summaries it keeps
in contacts' partitions, the kinds of timeline entry it writes and the notification templates it sends; its
bench scenario is `tools/bench_scenarios/<context>.py`. These tests fail for a context that misses one of them,
and for a shared registry that names a context's own piece instead of collecting it.
"""

from __future__ import annotations

import ast
import importlib
import json
import os
import pkgutil
import subprocess
import sys
import typing
from collections import Counter
from itertools import pairwise
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest

from rapport import auth, contexts, timeline
from rapport.auth import Action
from rapport.contexts import Context
from rapport.dal import keys
from rapport.notifications.catalog import KERNEL_TEMPLATES, TemplateSpec, templates
from rapport.records import RecordService
from rapport.settings import SettingsDocument
from rapport.timeline.models import KERNEL_ENTRIES, Entry
from rapport.views.customer360 import ContactOverview, parts
from tools import bench_scenarios

ROOT = Path(__file__).resolve().parents[2]
OPENAPI = json.loads((ROOT / "functions" / "openapi.json").read_text())
OPERATIONS = {
    operation["operationId"]: (method, operation)
    for operations in OPENAPI["paths"].values()
    for method, operation in operations.items()
}
CONTEXTS = {context.name: context for context in contexts.contexts()}
CORE = ROOT / "layers" / "core" / "python"
# The shared registries that collect the contexts' entries and templates, and must name none of them.
REGISTRIES = (CORE / "rapport" / "timeline" / "models.py", CORE / "rapport" / "notifications" / "catalog.py")


def _modules(context: Context) -> list[ModuleType]:
    package = importlib.import_module(f"rapport.{context.name}")
    names = [info.name for info in pkgutil.walk_packages(package.__path__, f"{package.__name__}.")]
    return [importlib.import_module(name) for name in names]


def _served(context: Context) -> list[Any]:
    """The record services and settings documents the context's modules define."""
    found = [
        value
        for module in _modules(context)
        for value in vars(module).values()
        if isinstance(value, RecordService | SettingsDocument) and value.kind in context.kinds
    ]
    return list({id(value): value for value in found}.values())


def test_the_contexts_are_the_packages_with_a_manifest():
    packages = {path.parent.name for path in (ROOT / "layers/core/python/rapport").glob("*/manifest.py")}
    assert set(CONTEXTS) == packages
    assert {"accounts", "contacts", "leads", "deals", "activities", "tasks", "appointments"} <= packages


# Contexts that store nothing of their own: they serve other contexts' records to someone else (the portal: to
# the customers they are about).
SERVING_ONLY = frozenset({"portal"})


@pytest.mark.parametrize("context", CONTEXTS.values(), ids=CONTEXTS)
def test_a_context_declares_the_kinds_it_stores_with_labels(context: Context):
    assert bool(context.kinds) is (context.name not in SERVING_ONLY), f"{context.name} declares no kind"
    for kind in context.kinds:
        assert kind.label and kind.code.isupper() and "#" not in kind.code, kind
        assert contexts.kind(kind.code) is kind


def test_kinds_codes_and_labels_are_unique():
    kinds = contexts.kinds()
    assert len(kinds) == sum(len(context.kinds) for context in CONTEXTS.values())
    repeated = [label for label, count in Counter(kind.label for kind in kinds).items() if count > 1]
    assert not repeated


@pytest.mark.parametrize("context", CONTEXTS.values(), ids=CONTEXTS)
def test_a_context_declares_the_permissions_of_every_resource_it_serves(context: Context):
    for served in _served(context):
        assert served.resource in context.permissions, (context.name, served.resource)
    for resource, rights in context.permissions.items():
        assert Action.READ in rights, f"who reads {resource}?"
        assert auth.permissions()[resource] is rights


@pytest.mark.parametrize("context", CONTEXTS.values(), ids=CONTEXTS)
def test_a_context_derives_events_only_for_its_own_records(context: Context):
    records = {kind.entity for kind in context.kinds if not kind.document}
    assert set(context.derivations) <= records
    for derivation in context.derivations.values():
        assert derivation.produces and all(name.isidentifier() for name in derivation.produces)


@pytest.mark.parametrize("context", CONTEXTS.values(), ids=CONTEXTS)
def test_an_area_is_a_function_with_its_operations_sample_events_and_a_bench_entry(context: Context):
    for area in context.areas:
        assert (ROOT / "functions" / area.name / "handler.py").is_file(), area
        operations = {
            operation_id
            for operation_id, (_, operation) in OPERATIONS.items()
            if operation["x-rapport-function"] == area.name
        }
        assert operations, f"{area.name} serves no operation of the OpenAPI document"
        for operation_id in operations:
            assert (ROOT / "events" / "apigw" / area.name / f"{operation_id}.json").is_file(), operation_id
        assert area.bench in operations, f"the bench entry of {area.name} is none of its operations"


def test_every_function_of_the_openapi_document_is_an_area_of_one_context():
    functions = {operation["x-rapport-function"] for _, operation in OPERATIONS.values()}
    areas = [area.name for area in contexts.areas()]
    assert sorted(areas) == sorted(functions)


def test_the_summaries_contexts_keep_in_a_contact_s_partition_are_parts_of_the_360_view():
    """Each part sorts between the contact's `A#` and its timeline's `E#`, under a prefix of its own, and reads
    kinds of summary no other part reads."""
    declared = [reference for context in CONTEXTS.values() for reference in context.summaries]
    assert len(parts()) == len(declared) > 0
    prefixes = sorted(part.prefix for part in parts())
    assert all(keys.PARTITION_START <= prefix < keys.INTERACTION_PREFIX for prefix in prefixes)
    assert not any(later.startswith(earlier) for earlier, later in pairwise(sorted([*prefixes, keys.META_SK])))
    kinds = [kind for part in parts() for kind in part.kinds]
    assert len(kinds) == len(set(kinds))
    assert list(ContactOverview.model_fields) == [
        "contact",
        *(part.field for part in parts()),
        "latest_interactions",
        "truncated",
    ]


@pytest.mark.parametrize("context", CONTEXTS.values(), ids=CONTEXTS)
def test_a_service_whose_records_have_owners_says_how_far_rights_reach(context: Context):
    for served in _served(context):
        if isinstance(served, RecordService) and served.owner_fields:
            assert isinstance(served.ownership, auth.Ownership), type(served).__name__


def _declared_in(context: Context, reference: str) -> bool:
    return reference.startswith(f"rapport.{context.name}.")


def _entry_kind(entry_type: type[Entry]) -> str:
    (kind,) = typing.get_args(entry_type.model_fields["kind"].annotation)
    return str(kind)


@pytest.mark.parametrize("context", CONTEXTS.values(), ids=CONTEXTS)
def test_a_context_s_timeline_entries_are_entries_in_its_own_folder(context: Context):
    for reference in context.timeline_entries:
        assert _declared_in(context, reference), reference
        entry_type = contexts.load(reference)
        assert isinstance(entry_type, type) and issubclass(entry_type, Entry), reference
        assert entry_type in timeline.entry_types(), reference


def test_every_kind_of_timeline_entry_is_named_once():
    entry_types = timeline.entry_types()
    declared = [reference for context in CONTEXTS.values() for reference in context.timeline_entries]
    assert len(entry_types) == len(KERNEL_ENTRIES) + len(declared) > len(KERNEL_ENTRIES)
    assert len({entry_type.__name__ for entry_type in entry_types}) == len(entry_types)
    kinds = [_entry_kind(entry_type) for entry_type in entry_types]
    assert len(set(kinds)) == len(kinds), kinds


@pytest.mark.parametrize("context", CONTEXTS.values(), ids=CONTEXTS)
def test_a_context_s_notification_templates_are_specs_in_its_own_folder(context: Context):
    for reference in context.notification_templates:
        assert _declared_in(context, reference), reference
        spec = contexts.load(reference)
        assert isinstance(spec, TemplateSpec), reference
        assert templates()[spec.name] is spec


def test_every_notification_template_is_named_once():
    declared = [
        contexts.load(reference).name for context in CONTEXTS.values() for reference in context.notification_templates
    ]
    names = [spec.name for spec in KERNEL_TEMPLATES] + declared
    assert declared and len(set(names)) == len(names) == len(templates())


@pytest.mark.parametrize(
    ("reference", "registry"),
    [
        *((ref, "rapport.timeline:entry_types") for c in CONTEXTS.values() for ref in c.timeline_entries),
        *(
            (ref, "rapport.notifications.catalog:templates")
            for c in CONTEXTS.values()
            for ref in c.notification_templates
        ),
    ],
)
def test_a_declared_piece_imported_first_is_still_collected(reference: str, registry: str):
    """A context's entry or template module imports the registry's kernel module for its base; a registry that
    collected at import would then meet the context's module half made (a fresh process shows it)."""
    module, _, name = reference.partition(":")
    registry_module, _, collect = registry.partition(":")
    code = (
        f"import {module}, {registry_module}\n"
        f"collected = {registry_module}.{collect}()\n"
        f"piece = {module}.{name}\n"
        "assert piece in (collected.values() if isinstance(collected, dict) else collected)\n"
    )
    path = os.pathsep.join(str(ROOT / part) for part in ("layers/core/python", "functions", "."))
    run = subprocess.run(  # noqa: S603 (this interpreter, with code of this test)
        [sys.executable, "-c", code], env={**os.environ, "PYTHONPATH": path}, capture_output=True, text=True
    )
    assert run.returncode == 0, run.stderr


def _names(tree: ast.AST) -> set[str]:
    """The identifiers and strings a module's code holds."""
    identifiers = {node.id for node in ast.walk(tree) if isinstance(node, ast.Name)}
    identifiers |= {node.name for node in ast.walk(tree) if isinstance(node, ast.ClassDef | ast.FunctionDef)}
    strings = {node.value for node in ast.walk(tree) if isinstance(node, ast.Constant) and isinstance(node.value, str)}
    return identifiers | strings


@pytest.mark.parametrize("path", REGISTRIES, ids=lambda path: path.name)
def test_the_shared_registries_name_no_context_s_own_entry_or_template(path: Path):
    """The timeline's kernel entries and the kernel's templates are shared; a context's own are in its folder and
    its manifest, and these modules import no context (its code or its manifest)."""
    tree = ast.parse(path.read_text())
    imported = {node.module for node in ast.walk(tree) if isinstance(node, ast.ImportFrom) and node.module}
    imported |= {alias.name for node in ast.walk(tree) if isinstance(node, ast.Import) for alias in node.names}
    assert not {name for name in imported if name.split(".")[:2] in (["rapport", c] for c in CONTEXTS)}
    declared_entries = [contexts.load(ref) for context in CONTEXTS.values() for ref in context.timeline_entries]
    declared_templates = [contexts.load(ref) for context in CONTEXTS.values() for ref in context.notification_templates]
    own = {entry_type.__name__ for entry_type in declared_entries} | {_entry_kind(t) for t in declared_entries}
    own |= {spec.name for spec in declared_templates}
    assert declared_entries and declared_templates
    assert not own & _names(tree), f"{path.name} names {sorted(own & _names(tree))}: move it to its context"


def test_a_bench_scenario_is_a_context_s():
    """`tools/bench_scenarios/<context>.py`: named after a context, with the operations the bench counts."""
    assert bench_scenarios.names()
    for name in bench_scenarios.names():
        assert name in CONTEXTS, f"tools/bench_scenarios/{name}.py is named after no context"
        assert callable(importlib.import_module(f"tools.bench_scenarios.{name}").operations), name
