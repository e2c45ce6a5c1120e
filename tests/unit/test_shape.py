"""The shape of the code, checked: what knows the storage, and how the packages depend on each other.

The data access layer is `rapport/dal/` and each context's `store.py` (rapport.dal.keys says why); only it knows
keys, indexes and PynamoDB. Everything else (services, views, handlers) reads through named access patterns.
"""

from __future__ import annotations

import ast
from collections.abc import Iterator
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
CORE = ROOT / "layers" / "core" / "python"
DEPLOYED = sorted([*CORE.rglob("*.py"), *(ROOT / "functions").rglob("*.py")])
INDEXES = {"gsi1", "gsi2", "gsi3", "gsi4"}
STORAGE_MODULES = ("pynamodb", "rapport.dal.keys", "rapport.dal.models")


def _name(path: Path) -> str:
    return str(path.relative_to(ROOT))


def _is_data_access(path: Path) -> bool:
    relative = path.relative_to(CORE) if path.is_relative_to(CORE) else None
    return relative is not None and (relative.parts[:2] == ("rapport", "dal") or path.name == "store.py")


def _imports(tree: ast.AST) -> Iterator[str]:
    """Every module a file imports (for `from a import b`: `a` and `a.b`)."""
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            yield from (alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module:
            yield node.module
            yield from (f"{node.module}.{alias.name}" for alias in node.names)


BEYOND_STORAGE = [path for path in DEPLOYED if not _is_data_access(path)]


@pytest.mark.parametrize("path", BEYOND_STORAGE, ids=_name)
def test_only_the_data_access_layer_knows_keys_indexes_and_pynamodb(path: Path):
    tree = ast.parse(path.read_text())
    storage = sorted({name for name in _imports(tree) if name.startswith(STORAGE_MODULES)})
    assert not storage, f"{_name(path)} imports {storage}: ask a store for a named access pattern"
    named = {node.value for node in ast.walk(tree) if isinstance(node, ast.Constant) and isinstance(node.value, str)}
    indexes = sorted(named & INDEXES)
    assert not indexes, f"{_name(path)} names the index {indexes}"


@pytest.mark.parametrize("path", [*DEPLOYED, *(ROOT / "local").rglob("*.py")], ids=_name)
def test_no_module_calls_a_private_function_of_another(path: Path):
    """A leading underscore is private to its module: `repository._plain` elsewhere is a function to make public
    (or a change to make in the module that owns it)."""
    tree = ast.parse(path.read_text())
    private = [
        f"{node.module}.{alias.name}"
        for node in ast.walk(tree)
        if isinstance(node, ast.ImportFrom) and node.module and node.module.startswith("rapport")
        for alias in node.names
        if alias.name.startswith("_")
    ]
    modules = {alias.asname or alias.name.rpartition(".")[2] for alias in _aliases(tree)}
    private += [
        f"{node.value.id}.{node.attr}"
        for node in ast.walk(tree)
        if isinstance(node, ast.Attribute)
        and isinstance(node.value, ast.Name)
        and node.value.id in modules
        and node.attr.startswith("_")
        and not node.attr.startswith("__")
    ]
    assert not private, f"{_name(path)} reaches into {private}"


def _aliases(tree: ast.AST) -> Iterator[ast.alias]:
    """The names under which a file holds modules of rapport (`from rapport.dal import repository`)."""
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and node.module and node.module.startswith("rapport"):
            yield from (alias for alias in node.names if alias.name.islower())
        elif isinstance(node, ast.Import):
            yield from (alias for alias in node.names if alias.name.startswith("rapport"))
