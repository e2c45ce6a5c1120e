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


@pytest.mark.parametrize(
    "path", [*DEPLOYED, *(ROOT / "local").rglob("*.py"), *(ROOT / "tools").rglob("*.py")], ids=_name
)
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


def _runtime_imports(tree: ast.Module) -> Iterator[str]:
    """The modules a file imports when it runs (not those under `if TYPE_CHECKING:`)."""
    checking = {
        id(child)
        for node in ast.walk(tree)
        if isinstance(node, ast.If) and isinstance(node.test, ast.Name) and node.test.id == "TYPE_CHECKING"
        for child in ast.walk(node)
    }
    for node in ast.walk(tree):
        if id(node) not in checking and isinstance(node, ast.Import | ast.ImportFrom):
            yield from _imports(node)


def _package(module: str) -> str | None:
    """The top-level part of rapport a module is in (`rapport.contacts.service`: contacts); None outside rapport."""
    parts = module.split(".")
    return parts[1] if parts[0] == "rapport" and len(parts) > 1 else None


def _is_manifest(module: str) -> bool:
    return module.split(".")[2:3] == ["manifest"]


def _package_graph() -> dict[str, set[str]]:
    """Which parts of rapport import which, counting a context's manifest as no dependency on its code: a manifest
    is a declaration that imports no context's code (see the test below), so it cannot close a cycle."""
    graph: dict[str, set[str]] = {}
    for path in (CORE / "rapport").rglob("*.py"):
        source = _package(".".join(path.relative_to(CORE).with_suffix("").parts))
        if source is None:
            continue
        imported = {_package(name) for name in _runtime_imports(ast.parse(path.read_text())) if not _is_manifest(name)}
        graph.setdefault(source, set()).update(target for target in imported if target and target != source)
    return graph


def _cycle(graph: dict[str, set[str]]) -> list[str]:
    """A cycle of `graph` (its nodes in order, the first again at the end), or none."""
    done: set[str] = set()

    def visit(node: str, path: list[str]) -> list[str]:
        if node in path:
            return [*path[path.index(node) :], node]
        if node in done:
            return []
        for target in sorted(graph.get(node, ())):
            found = visit(target, [*path, node])
            if found:
                return found
        done.add(node)
        return []

    return next((found for node in sorted(graph) if (found := visit(node, []))), [])


def test_the_packages_of_rapport_import_each_other_without_a_cycle():
    """Contexts depend on the kernel and on each other one way only: contacts -> activities -> leads -> contacts was
    one cycle (the 360 view is now a read model above them, the conversion a process above them)."""
    graph = _package_graph()
    assert {"contacts", "activities", "leads", "views", "dal", "timeline"} <= set(graph)
    assert not _cycle(graph), " -> ".join(_cycle(graph))


def test_a_cycle_is_found():
    assert _cycle({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": set()}) == ["a", "b", "c", "a"]
    assert _cycle({"a": {"b"}, "b": set()}) == []


def test_a_manifest_imports_only_the_kernel_s_declarations_and_other_manifests():
    allowed = {"__future__", "rapport.contexts", "rapport.auth"}
    for path in (CORE / "rapport").glob("*/manifest.py"):
        imported = {
            name.rpartition(".")[0] if name.count(".") > 2 else name for name in _imports(ast.parse(path.read_text()))
        }
        modules = {name for name in imported if not name.startswith(tuple(f"{module}." for module in allowed))}
        assert all(name in allowed or _is_manifest(name) for name in modules), (_name(path), modules)


@pytest.mark.parametrize("path", sorted((ROOT / "local").rglob("*.py")), ids=_name)
def test_the_local_runtime_needs_none_of_the_tooling(path: Path):
    """`local/` is the runtime and the `rapport` CLI; generators, benchmarks and test drivers live in `tools/`,
    which may use the runtime, never the other way round."""
    tooling = sorted(name for name in _imports(ast.parse(path.read_text())) if name.split(".")[0] == "tools")
    assert not tooling, f"{_name(path)} imports {tooling}: the runtime must not stand on the tooling"


@pytest.mark.parametrize("path", DEPLOYED, ids=_name)
def test_deployed_code_makes_its_aws_clients_from_the_one_session(path: Path):
    """`boto3.client` makes a botocore session of its own, which a cold start pays for again (rapport.aws); boto3's
    helpers that make no client (`boto3.dynamodb.types`) are fine."""
    boto3 = sorted(name for name in _imports(ast.parse(path.read_text())) if name in ("boto3", "boto3.session"))
    assert not boto3, f"{_name(path)} imports {boto3}: take clients from rapport.aws.client"


@pytest.mark.parametrize("path", DEPLOYED, ids=_name)
def test_every_model_is_built_when_first_used(path: Path):
    """A pydantic model built at import costs every cold start of every function that imports its module; a
    `LazyModel` (rapport.types) is built by the first request that needs it."""
    defined = [
        node.name
        for node in ast.walk(ast.parse(path.read_text()))
        if isinstance(node, ast.ClassDef)
        and node.name != "LazyModel"
        and any(isinstance(base, ast.Name) and base.id == "BaseModel" for base in node.bases)
    ]
    assert not defined, f"{_name(path)}: {defined} subclass BaseModel; subclass rapport.types.LazyModel"
