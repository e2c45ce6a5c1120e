"""The template language: `{{ path.to.value }}` and nothing else.

A template is literal text with placeholders. A placeholder names a value in the context dict by a dotted path of
plain identifiers (a letter, then letters, digits or underscores: no `__dunder__`, no indexing, no calls, no
filters, no loops). Rendering looks each segment up with `Mapping` access only (never `getattr`), substitutes
scalars (text, numbers, booleans) once, left to right, and never reads the substituted text again: a value that
itself looks like `{{ ... }}` stays literal text. HTML bodies get every value HTML-escaped; the template's own
markup is the tenant's and stays as written.

A value is missing when the path leads nowhere, or to None, a blank string or something that is not a scalar.
Missing values are reported (so a preview can show them) and leave no stray text behind:

- a line of the template (up to and with its line break) that has placeholders, every one of them missing,
  disappears whole: `Phone: {{ lead.phone }}` is not sent as `Phone: `;
- within a line, a parenthesized part that has placeholders, every one of them missing, disappears with the
  spaces before it: `{{ lead.name }} ({{ lead.company }})` renders `Leon`, not `Leon ()`.

Two kinds of value are presented for their reader (`Audience`): a variable whose last name ends in `_at` holds an
instant (ISO 8601 with a zone), written in the reader's time zone and locale; a variable named `link` or ending
in `_link` holds a path of the web app (`/leads/01J...`), written as an absolute URL under the app's URL.
"""

from __future__ import annotations

import html
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from typing import Any, NamedTuple

from rapport.locales import DEFAULT_LOCALE, DEFAULT_TIME_ZONE, Locale, format_instant

_TAG = re.compile(r"\{\{(.*?)\}\}", re.DOTALL)
_PATH = re.compile(r"[A-Za-z][A-Za-z0-9_]{0,63}(?:\.[A-Za-z][A-Za-z0-9_]{0,63}){0,7}")
_LINE_BREAKS = re.compile(r"[\r\n\t]+")


class TemplateSyntaxError(ValueError):
    """The text is not a template: a placeholder that is not a dotted name, or a brace pair left open."""


class Variable(NamedTuple):
    path: str


class Template(NamedTuple):
    """Parsed text: literal strings and variables, in order."""

    parts: tuple[str | Variable, ...]

    @property
    def variables(self) -> frozenset[str]:
        return frozenset(part.path for part in self.parts if isinstance(part, Variable))


@dataclass
class Rendered:
    text: str
    missing: list[str] = field(default_factory=list)


class Audience(NamedTuple):
    """Who reads the message: instants in their time zone and locale, links under the web app's URL."""

    time_zone: str = DEFAULT_TIME_ZONE
    locale: Locale = DEFAULT_LOCALE
    app_url: str = ""

    def present(self, path: str, value: str) -> str:
        name = path.rpartition(".")[2]
        if name.endswith("_at"):
            try:
                instant = datetime.fromisoformat(value)
            except ValueError:
                return value
            return format_instant(instant, self.time_zone, self.locale) if instant.tzinfo else value
        if (name == "link" or name.endswith("_link")) and value.startswith("/"):
            return self.app_url.rstrip("/") + value
        return value


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
        return value if value.strip() else None
    if isinstance(value, int | float | Decimal):
        return str(value)
    return None  # None, mappings, lists, anything else: not text


def value_of(context: Mapping[str, Any], path: str) -> str | None:
    """The text at `path`, or None when it is missing (see the module's docstring)."""
    return _scalar(lookup(context, path))


@dataclass
class _Atom:
    """One character of the template's literal text, or one placeholder with its value (None: missing)."""

    text: str
    variable: str | None = None

    @property
    def missing(self) -> bool:
        return self.variable is not None and self.text == ""


def render(
    template: Template,
    context: Mapping[str, Any],
    *,
    escape_html: bool = False,
    one_line: bool = False,
    audience: Audience | None = None,
) -> Rendered:
    """Substitute the context's values; `escape_html` for HTML bodies, `one_line` for subjects."""
    audience = audience or Audience()
    atoms: list[_Atom] = []
    missing: list[str] = []
    for part in template.parts:
        if isinstance(part, str):
            atoms += [_Atom(character) for character in part]
            continue
        value = value_of(context, part.path)
        if value is None:
            missing.append(part.path)
            atoms.append(_Atom("", part.path))
            continue
        value = audience.present(part.path, value)
        if one_line:
            value = _LINE_BREAKS.sub(" ", value)
        atoms.append(_Atom(html.escape(value, quote=True) if escape_html else value, part.path))
    return Rendered("".join("".join(atom.text for atom in _kept(line)) for line in _lines(atoms)), missing)


def _lines(atoms: list[_Atom]) -> list[list[_Atom]]:
    """The atoms split after each line break of the template's own text."""
    lines: list[list[_Atom]] = [[]]
    for atom in atoms:
        lines[-1].append(atom)
        if atom.variable is None and atom.text == "\n":
            lines.append([])
    return lines


def _kept(line: list[_Atom]) -> list[_Atom]:
    """The line without what only held missing values: the whole line, or its parenthesized parts."""
    placeholders = [atom for atom in line if atom.variable is not None]
    if placeholders and all(atom.missing for atom in placeholders):
        return []
    dropped: set[int] = set()
    opened: list[int] = []
    for index, atom in enumerate(line):
        if atom.variable is not None or atom.text not in "()":
            continue
        if atom.text == "(":
            opened.append(index)
        elif opened:
            start = opened.pop()
            inside = [inner for inner in line[start + 1 : index] if inner.variable is not None]
            if inside and all(inner.missing for inner in inside):
                while start > 0 and line[start - 1].variable is None and line[start - 1].text == " ":
                    start -= 1
                dropped.update(range(start, index + 1))
    return [atom for index, atom in enumerate(line) if index not in dropped]
