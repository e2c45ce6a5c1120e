"""Settings documents: what a tenant sets once for everyone (how leads are scored and assigned, the currency rates,
when appointments are reminded, what notifications say), each read and replaced whole under one rule.

- Reading answers the document with its version (the ETag): the defaults at version 0 until the first save.
- Replacing needs the version read (`If-Match`, `"0"` before the first save): without it a 428, and a 412 when
  the document moved on since; the save is one transaction conditioned on that version.
- Every save is kept: the document's history lists who saved which version when, and what it changed, newest
  first (one Query).
- Every save publishes `<document>.updated` (e.g. `currency_rates.updated`), with who saved it and when.

A document is a `SettingsDocument`: its kind (where it is stored, what its events are called), the model of its
content, the resource whose permissions guard it, its defaults, and what may refuse a new content (`validate`, the
content alone: a 422; `check`, against the tenant's data, which may also claim what the content needs outside the
tenant's keys: `saved` and `unsaved` then release what is no longer needed). Its answer is the content with
`version`, `updated_at`, `updated_by` (a model made from the content's, unless the document brings its own). A
kind may have one document per tenant, or one per key (a notification template per name and channel: `key_of`, `keys`).
`rapport.api.settings` serves them all.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import datetime
from typing import Any, Generic, NamedTuple, TypeVar

from pydantic import BaseModel, Field, create_model

from rapport import pagination
from rapport.auth import Action, Caller
from rapport.contexts import Kind
from rapport.dal import settings as store
from rapport.dal.repository import StaleVersion
from rapport.errors import PreconditionFailed, PreconditionRequired
from rapport.events.models import FieldChange, changes_between
from rapport.pagination import Page
from rapport.types import LazyModel, utc_now

ContentT = TypeVar("ContentT", bound=BaseModel)
LIST_LIMIT = 100  # more than the documents a kind keyed by a catalog has: one Query reads them all


class DocumentMeta(LazyModel):
    """What a settings document is read with besides its content."""

    version: int
    updated_at: datetime | None = None
    updated_by: str | None = None


class SettingsVersion(LazyModel):
    """One save of a settings document."""

    version: int = Field(description="The version the save made")
    updated_at: datetime
    updated_by: str
    changes: dict[str, FieldChange] = Field(description="Each field the save changed, with its value before and after")


class Saved(NamedTuple, Generic[ContentT]):
    """A document as the tenant has it: its content (the defaults until saved) and which version it is."""

    content: ContentT
    meta: DocumentMeta


class Shown(NamedTuple):
    """A document as the API answers it (`body`); `version` is its ETag."""

    body: BaseModel
    version: int

    def model_dump(self, *, mode: str, by_alias: bool) -> dict[str, Any]:
        return self.body.model_dump(mode=mode, by_alias=by_alias)


def require_version(label: str, current: int, expected: int | None) -> None:
    """A settings document is replaced over the version the client read (428 without one), or not at all (412)."""
    if expected is None:
        raise PreconditionRequired(f'Send If-Match with the ETag you read of the {label} ("{current}" now).')
    if current != expected:
        raise PreconditionFailed(f"The {label} changed since version {expected} (now {current}): read again to save.")


def _changes(before: dict[str, Any], after: dict[str, Any]) -> dict[str, Any]:
    return {name: change.model_dump(mode="json") for name, change in changes_between(before, after).items()}


def _document_model(content: type[BaseModel], label: str) -> type[BaseModel]:
    return create_model(
        f"{content.__name__}Document",
        __base__=(content, DocumentMeta),
        __doc__=f"The tenant's {label} as read: version 0 and no author while the defaults apply.",
    )


class SettingsDocument(Generic[ContentT]):
    def __init__(
        self,
        kind: Kind,
        content: type[ContentT],
        *,
        resource: str,
        default: Callable[[str | None], ContentT],
        document: type[BaseModel] | None = None,
        stored_as: str | None = None,
    ) -> None:
        """`default`: the content before the first save, for a key (None for a tenant's only document); `document`:
        the model answered, when it is more than the content and its version; `stored_as`: the id of the record the
        document was stored as before it was a settings document, where it stays."""
        self.kind = kind
        self.content = content
        self.document = document or _document_model(content, kind.label)
        self.resource = resource
        self._default = default
        self._stored_as = stored_as

    @property
    def label(self) -> str:
        return self.kind.label

    # What a kind of document may say for itself, by key (None for a tenant's only document).

    def key_of(self, **path: Any) -> str | None:
        """The key of the document a request's path parameters name (none for a tenant's only one)."""
        return None

    def keys(self) -> Sequence[str]:
        """Every key a tenant may have a document for, when the kind has one per key."""
        return ()

    def label_of(self, key: str | None) -> str:
        return self.label

    def validate(self, key: str | None, content: ContentT) -> ContentT:
        """`content` as it is saved, or a 422 naming what is wrong with it (whatever the tenant's data)."""
        return content

    def check(self, tenant_id: str, key: str | None, current: ContentT, content: ContentT) -> None:
        """Refuse replacing `current` by `content` (with a domain error) where the tenant's data forbids it."""

    def saved(self, tenant_id: str, key: str | None, before: ContentT, after: ContentT) -> None:
        """What follows a save of `after` over `before` outside the document's transaction (what `check` claimed for
        `before` and `after` no longer needs is released)."""

    def unsaved(self, tenant_id: str, key: str | None, before: ContentT, after: ContentT) -> None:
        """Undo what `check` claimed for `after` when its save failed."""

    def described(self, key: str | None, meta: DocumentMeta) -> dict[str, Any]:
        """What the answer says besides the content and its version."""
        return {}

    # Reading and saving.

    def read(self, tenant_id: str, key: str | None = None) -> Saved[ContentT]:
        """The tenant's document as saved, or the defaults (version 0): for the services that apply it."""
        return self._saved(key, store.read(tenant_id, self.kind, key if key is not None else self._stored_as))

    def get(self, caller: Caller, key: str | None = None) -> Shown:
        caller.require(self.resource, Action.READ)
        return self._shown(key, self.read(caller.tenant_id, key))

    def listed(self, caller: Caller) -> list[Shown]:
        """Every document of the kind: the saved ones from ONE Query, the defaults for the rest."""
        caller.require(self.resource, Action.READ)
        saved = store.saved(caller.tenant_id, self.kind, LIST_LIMIT)
        return [self._shown(key, self._saved(key, saved.get(key))) for key in self.keys()]

    def replace(self, caller: Caller, content: ContentT, expected_version: int | None, key: str | None = None) -> Shown:
        """Save `content` over the version the caller read (`If-Match`)."""
        caller.require(self.resource, Action.UPDATE)
        content = self.validate(key, content)
        current = self.read(caller.tenant_id, key)
        require_version(self.label_of(key), current.meta.version, expected_version)
        self.check(caller.tenant_id, key, current.content, content)
        now, data = utc_now(), content.model_dump(mode="json")
        try:
            version = self._save(caller, key, data, current, now)
        except BaseException:
            self.unsaved(caller.tenant_id, key, current.content, content)
            raise
        self.saved(caller.tenant_id, key, current.content, content)
        return self._shown(
            key, Saved(content, DocumentMeta(version=version, updated_at=now, updated_by=caller.user_id))
        )

    def _save(self, caller: Caller, key: str | None, data: dict[str, Any], current: Saved[ContentT], now: str) -> int:
        try:
            return store.save(
                caller.tenant_id,
                self.kind,
                data,
                key=key,
                stored_as=self._stored_as,
                expected_version=current.meta.version,
                changes=_changes(current.content.model_dump(mode="json"), data),
                actor=caller.user_id,
                at=now,
            )
        except StaleVersion as error:
            raise PreconditionFailed(
                f"The {self.label_of(key)} changed while you saved: read again to save."
            ) from error

    def history(self, caller: Caller, key: str | None, *, limit: int, cursor: str | None) -> Page[SettingsVersion]:
        """Who saved the document, when, and what each save changed, newest first: ONE Query."""
        caller.require(self.resource, Action.READ)
        binding = pagination.fingerprint(caller.tenant_id, f"{self.resource}:history", {"key": key})
        versions, position = store.history(
            caller.tenant_id, self.kind, key, limit=limit, position=pagination.decode_cursor(cursor, binding)
        )
        return Page(
            items=[SettingsVersion.model_validate(version._asdict()) for version in versions],
            next_cursor=pagination.encode_cursor(position, binding),
        )

    def _saved(self, key: str | None, stored: store.StoredSetting | None) -> Saved[ContentT]:
        if stored is None:
            return Saved(self._default(key), DocumentMeta(version=0))
        meta = DocumentMeta(version=stored.version, updated_at=stored.updated_at, updated_by=stored.updated_by)
        fields = {name: value for name, value in stored.data.items() if name in self.content.model_fields}
        return Saved(self.content.model_validate(fields), meta)

    def _shown(self, key: str | None, saved: Saved[ContentT]) -> Shown:
        body = {
            **saved.content.model_dump(mode="json"),
            **self.described(key, saved.meta),
            **saved.meta.model_dump(mode="json"),
        }
        return Shown(self.document.model_validate(body), saved.meta.version)
