"""The template language: `{{ path.to.value }}` and nothing else.

A template is literal text with placeholders. A placeholder names a value in the context dict by a dotted path of
plain identifiers (a letter, then letters, digits or underscores: no `__dunder__`, no indexing, no calls, no
filters, no loops). Rendering looks each segment up with `Mapping` access only (never `getattr`), substitutes
scalars (text, numbers, booleans) once, left to right, and never reads the substituted text again: a value that
itself looks like `{{ ... }}` stays literal text. HTML bodies get every value HTML-escaped; the template's own
markup is the tenant's and stays as written. Values that are missing, None or not scalars render as nothing and
are reported, so a preview can show them.
"""

from __future__ import annotations

import html
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

_TAG = re.compile(r"\{\{(.*?)\}\}", re.DOTALL)
_PATH = re.compile(r"[A-Za-z][A-Za-z0-9_]{0,63}(?:\.[A-Za-z][A-Za-z0-9_]{0,63}){0,7}")
_LINE_BREAKS = re.compile(r"[\r\n\t]+")


class TemplateSyntaxError(ValueError):
    """The text is not a template: a placeholder that is not a dotted name, or a brace pair left open."""


@dataclass(frozen=True)
class Variable:
    path: str


@dataclass(frozen=True)
class Template:
    """Parsed text: literal strings and variables, in order."""

    parts: tuple[str | Variable, ...]

    @property
    def variables(self) -> frozenset[str]:
        return frozenset(part.path for part in self.parts if isinstance(part, Variable))


@dataclass
class Rendered:
    text: str
    missing: list[str] = field(default_factory=list)


def parse(text: str) -> Template:
    """The template in `text`; raises TemplateSyntaxError naming what is wrong and where."""
    parts: list[str | Variable] = []
    position = 0
    for match in _TAG.finditer(text):
        _literal(text, position, match.start(), parts)
        path = match.group(1).strip()
        if not _PATH.fullmatch(path):
            raise TemplateSyntaxError(
                f"{{{{{match.group(1)}}}}} at character {match.start() + 1} is not a variable: "
                "write {{ name }} or {{ name.field }} (letters, digits and _, starting with a letter)"
            )
        parts.append(Variable(path))
        position = match.end()
    _literal(text, position, len(text), parts)
    return Template(tuple(parts))


def _literal(text: str, start: int, end: int, parts: list[str | Variable]) -> None:
    literal = text[start:end]
    problems = (
        ("{{", "is never closed with }}"),
        ("}}", "closes nothing"),
        ("{%", "starts a statement: templates have only {{ name }} placeholders"),
    )
    for marker, problem in problems:
        found = literal.find(marker)
        if found >= 0:
            raise TemplateSyntaxError(f"{marker} at character {start + found + 1} {problem}")
    if literal:
        parts.append(literal)


def lookup(context: Mapping[str, Any], path: str) -> Any:
    """The value at dotted `path` in nested mappings, or None. Only keys of mappings are followed."""
    current: Any = context
    for name in path.split("."):
        if not isinstance(current, Mapping) or name not in current:
            return None
        current = current[name]
    return current


def _scalar(value: Any) -> str | None:
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, str):
        return value
    if isinstance(value, int | float | Decimal):
        return str(value)
    return None  # None, mappings, lists, anything else: not text


def render(
    template: Template, context: Mapping[str, Any], *, escape_html: bool = False, one_line: bool = False
) -> Rendered:
    """Substitute the context's values; `escape_html` for HTML bodies, `one_line` for subjects."""
    out: list[str] = []
    missing: list[str] = []
    for part in template.parts:
        if isinstance(part, str):
            out.append(part)
            continue
        value = _scalar(lookup(context, part.path))
        if value is None:
            missing.append(part.path)
            continue
        if one_line:
            value = _LINE_BREAKS.sub(" ", value)
        out.append(html.escape(value, quote=True) if escape_html else value)
    return Rendered("".join(out), missing)
