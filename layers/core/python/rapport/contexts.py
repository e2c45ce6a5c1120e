"""The bounded contexts, and what each declares about itself in its manifest.

A context is a package `rapport/<context>/` whose `manifest.py` holds `CONTEXT = Context(...)`: the kinds of
record it stores (with their labels), the permissions of its resources, the meaningful events derived from its
records' changes, the API areas (functions) it serves, the summaries it keeps in other records' partitions, the
kinds of timeline entry it writes and the notification templates it sends. The shared registries (`rapport.auth`
for permissions, `rapport.events.publisher` for derivations, the kinds by code here, the 360 view's summary
readers, the timeline's entries, the notification catalog, the OpenAPI document's areas) collect them, so adding
a context edits no shared file. A manifest imports nothing but the kernel's declarations (this module,
`rapport.auth`, other contexts' manifests for their kinds): reading one costs no context's code, and depending on
one is depending on what a context publishes, not on its code (tests/unit/test_shape.py checks both). What a
manifest cannot hold without importing code (the 360 view's parts, entry models, templates) it names as
`module:attribute` references, which only the registry that consumes them imports (`load`).

The manifests are read on first use (`contexts()`), once per process.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable, Mapping, Sequence
from functools import cache
from pathlib import Path
from types import MappingProxyType
from typing import TYPE_CHECKING, Any, NamedTuple

if TYPE_CHECKING:
    from rapport.auth import Action, Role
    from rapport.dal.repository import Summary

MANIFEST = "manifest"
Image = Mapping[str, Any]


class Kind(str):
    """What a stored item is: its `code` in keys (`CON`) and its `label` in messages (`contact`); a settings
    `document` (rapport.settings) is saved whole under its code, a record has a life cycle, and a `summary` (an
    item a context keeps in another record's partition, of that kind) makes only the events its derivation finds
    in its changes."""

    label: str
    document: bool
    summary: bool

    def __new__(cls, code: str, label: str, document: bool = False, summary: bool = False) -> Kind:
        kind = super().__new__(cls, code)
        kind.label = label
        kind.document = document
        kind.summary = summary
        return kind

    def __reduce__(self) -> tuple[type[Kind], tuple[str, str, bool, bool]]:
        return Kind, (self.code, self.label, self.document, self.summary)

    @property
    def code(self) -> str:
        return str.__str__(self)

    @property
    def entity(self) -> str:
        """The kind's name in events and their types: `web_form` in `web_form.updated`."""
        return self.label.replace(" ", "_")

    def __repr__(self) -> str:
        return f"Kind({self.code!r}, {self.label!r})"


class Derivation(NamedTuple):
    """The meaningful events of one entity, from its fields before and after an update (for a summary kind's, also
    its creation, before empty, and its removal, after empty: a derivation that tells no removal returns nothing)."""

    produces: tuple[str, ...]
    derive: Callable[[Image, Image], list[str]]


def became(field: str, value: str, event: str) -> Callable[[Image, Image], list[str]]:
    """`event` when an update sets `field` to `value`."""
    return lambda before, after: [event] if after.get(field) == value and before.get(field) != value else []


class Area(NamedTuple):
    """An API function, `functions/<name>/handler.py`, whose operations carry `name` as their tag; `bench` is the
    operation whose sample request (`events/apigw/<name>/<bench>.json`) `make bench` answers cold."""

    name: str
    bench: str


class Seen(NamedTuple):
    """What a part of the customer 360 view reads: its summaries from the contact's partition in key order, the
    contact's data, and when the view is read (canonical UTC)."""

    summaries: Sequence[Summary]
    contact: Mapping[str, Any]
    now: str


class SummaryPart(NamedTuple):
    """A part of the customer 360 view (rapport.views.customer360) that a context keeps in a contact's partition:
    the answer's `field`, its type and pydantic field (`info`), the summaries it is made of (their `kinds`, stored
    under `prefix`, which sorts between the contact's `A#` and its timeline's `E#`) and how they read."""

    field: str
    annotation: Any
    info: Any
    prefix: str
    kinds: tuple[str, ...]
    read: Callable[[Seen], Any]


class Importing(NamedTuple):
    service: str
    matches: tuple[str, ...]


class Context(NamedTuple):
    name: str
    kinds: tuple[Kind, ...]
    permissions: Mapping[str, Mapping[Action, frozenset[Role]]] = MappingProxyType({})
    derivations: Mapping[str, Derivation] = MappingProxyType({})  # by entity (`Kind.entity`)
    areas: tuple[Area, ...] = ()
    # The customer 360 view's parts this context keeps in contacts' partitions: `module:attribute` of each
    # `SummaryPart`, imported by the view only (they hold its response models).
    summaries: tuple[str, ...] = ()
    # The kinds of entry this context writes to timelines: `module:attribute` of each model (a subclass of
    # rapport.timeline.models.Entry), joined to the timeline's union by rapport.timeline.
    timeline_entries: tuple[str, ...] = ()
    # The notification templates this context sends: `module:attribute` of each
    # rapport.notifications.catalog.TemplateSpec, in the catalog beside the kernel's.
    notification_templates: tuple[str, ...] = ()
    # The records `POST /exports` writes to CSV, by the entity name it takes (`contacts`): `module:attribute` of
    # each one's rapport.records.RecordService, whose `search` the export pages through (rapport.exports).
    exports: Mapping[str, str] = MappingProxyType({})
    # The records `POST /imports` writes from CSV rows, by entity name: the service's `module:attribute`, and the
    # unique fields a row may be matched to a record by (the first: the default), each one of the service's guards.
    imports: Mapping[str, Importing] = MappingProxyType({})


@cache
def contexts() -> tuple[Context, ...]:
    """Every context's declaration, by name."""
    root = Path(__file__).parent
    found = sorted(path.parent.name for path in root.glob(f"*/{MANIFEST}.py"))
    return tuple(importlib.import_module(f"rapport.{name}.{MANIFEST}").CONTEXT for name in found)


@cache
def _kinds() -> dict[str, Kind]:
    return {kind.code: kind for context in contexts() for kind in context.kinds}


def kind(code: str) -> Kind:
    """The kind stored as `code`."""
    try:
        return _kinds()[code]
    except KeyError:
        raise ValueError(f"no context declares the kind {code!r}") from None


def kinds() -> tuple[Kind, ...]:
    return tuple(_kinds().values())


def areas() -> tuple[Area, ...]:
    return tuple(area for context in contexts() for area in context.areas)


def load(reference: str) -> Any:
    """What a manifest's `module:attribute` reference names, its module imported."""
    module, _, name = reference.partition(":")
    return getattr(importlib.import_module(module), name)
