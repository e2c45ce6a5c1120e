"""Which packages load lazily: those whose `__init__` only re-exports names of their submodules."""

from __future__ import annotations

from rapport.api.powertools import reexports

PACKAGE = "tools.handlers"


def test_each_name_comes_from_the_module_it_is_imported_from_relative_or_absolute() -> None:
    source = '''"""Handlers."""
from .rest import Rest, Response as Reply
from ..shared.types import Json
from tools.handlers.graph import Graph
__all__ = ["Rest", "Reply", "Json", "Graph"]
'''
    assert reexports(PACKAGE, source) == (
        {
            "Rest": ("tools.handlers.rest", "Rest"),
            "Reply": ("tools.handlers.rest", "Response"),
            "Json": ("tools.shared.types", "Json"),
            "Graph": ("tools.handlers.graph", "Graph"),
        },
        ["Rest", "Reply", "Json", "Graph"],
    )


def test_an_init_that_does_anything_else_is_left_whole() -> None:
    for statement in ("import os", "from . import rest", "VERSION = 1", "if True:\n    pass", "'''late docstring'''"):
        assert reexports(PACKAGE, f"from .rest import Rest\n{statement}\n") is None
