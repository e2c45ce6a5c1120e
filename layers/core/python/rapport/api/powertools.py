"""Powertools without the parts a REST function never uses.

`aws_lambda_powertools.event_handler`'s `__init__` imports every resolver Powertools has (AppSync, Bedrock, VPC
Lattice, ...) and asyncio with them, and `utilities.data_classes`' the classes of every event source: together
about a third of what the event handler costs a cold start. Both `__init__`s only re-export names of their
submodules, so each package is registered without running it, and a name is loaded from the submodule its
`__init__` imports it from when something first asks for it.
"""

from __future__ import annotations

import ast
import importlib
import importlib.util
import sys
from pathlib import Path
from typing import Any

LAZY_PACKAGES = ("aws_lambda_powertools.event_handler", "aws_lambda_powertools.utilities.data_classes")


def narrow_powertools() -> None:
    """Before anything imports Powertools' event handler (else it is whole already, and stays so)."""
    for package in LAZY_PACKAGES:
        load_lazily(package)


def load_lazily(name: str) -> None:
    """Register package `name` so that each name its `__init__` re-exports loads on first use.

    A package already imported, or whose `__init__` does more than import names from its submodules and list
    `__all__`, is left to load whole.
    """
    if name in sys.modules:
        return
    spec = importlib.util.find_spec(name)
    if spec is None or spec.origin is None:
        raise ModuleNotFoundError(name)
    exports = reexports(name, Path(spec.origin).read_text())
    if exports is None:
        return
    origins, public = exports
    package = importlib.util.module_from_spec(spec)
    package.__dict__["__all__"] = public

    def attribute(attr: str) -> Any:
        if attr not in origins:
            raise AttributeError(f"module {name!r} has no attribute {attr!r}")
        module, original = origins[attr]
        value = getattr(importlib.import_module(module), original)
        setattr(package, attr, value)
        return value

    package.__dict__["__getattr__"] = attribute
    sys.modules[name] = package
    parent, _, child = name.rpartition(".")
    setattr(sys.modules[parent], child, package)
    # Importing a submodule binds its name on the package: a name re-exported from a submodule of the same name
    # is bound now, as the real `__init__` would have left it.
    for attr, (module, _) in origins.items():
        if module == f"{name}.{attr}":
            attribute(attr)


def reexports(package: str, source: str) -> tuple[dict[str, tuple[str, str]], list[str]] | None:
    """Each name the `__init__` of `package` imports (its module and name there) and its `__all__`; None when the
    `__init__` does anything else."""
    origins: dict[str, tuple[str, str]] = {}
    public: list[str] = []
    tree = ast.parse(source)
    for index, statement in enumerate(tree.body):
        match statement:
            case ast.Expr(value=ast.Constant(value=str())) if index == 0:
                continue
            case ast.ImportFrom(module=module, level=level, names=names) if module is not None:
                base = package.rsplit(".", level - 1)[0] if level > 1 else package
                absolute = f"{base}.{module}" if level else module
                origins.update({alias.asname or alias.name: (absolute, alias.name) for alias in names})
            case ast.Assign(targets=[ast.Name(id="__all__")], value=value):
                public = list(ast.literal_eval(value))
            case _:
                return None
    return origins, public
