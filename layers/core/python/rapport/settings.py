"""Settings documents: what a tenant sets once for everyone (how leads are scored and assigned, the currency
rates, when appointments are reminded), each read and replaced whole under one rule.

- Reading answers the document with its version (the ETag): the defaults at version 0 until the first save.
- Replacing needs the version read (`If-Match`, `"0"` before the first save): without it a 428, and a 412 when
  the document moved on since; the save is one write conditioned on that version.
- Every save publishes `<document>.updated` (e.g. `currency_rates.updated`), with who saved it and when.

A document is a `SettingsDocument`: its kind (where it is stored, what its events are called), the model of its
content, the model it is read as (the content with `version`, `updated_at`, `updated_by`), the resource whose
permissions guard it, and what may refuse a new content (`check`). `rapport.api.settings` serves them.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Generic, TypeVar

from pydantic import BaseModel

from rapport.auth import Action, Caller
from rapport.contexts import Kind
from rapport.dal import settings as store
from rapport.dal.repository import StaleVersion
from rapport.errors import PreconditionFailed, PreconditionRequired
from rapport.types import utc_now

ContentT = TypeVar("ContentT", bound=BaseModel)
DocumentT = TypeVar("DocumentT", bound=BaseModel)


class DocumentMeta(BaseModel):
    """What a settings document is read with besides its content."""

    version: int
    updated_at: datetime | None = None
    updated_by: str | None = None


def require_version(label: str, current: int, expected: int | None) -> None:
    """A settings document is replaced over the version the client read (428 without one), or not at all (412)."""
    if expected is None:
        raise PreconditionRequired(f'Send If-Match with the ETag you read of the {label} ("{current}" now).')
    if current != expected:
        raise PreconditionFailed(f"The {label} changed since version {expected} (now {current}): read again to save.")


class SettingsDocument(Generic[ContentT, DocumentT]):
    def __init__(
        self,
        kind: Kind,
        content: type[ContentT],
        document: type[DocumentT],
        *,
        resource: str,
        default: Callable[[], ContentT],
        key: str | None = None,
    ) -> None:
        """`key`: the id of the record the document was stored as before it was a settings document, where it
        stays."""
        self.kind = kind
        self.content = content
        self.document = document
        self.resource = resource
        self._default = default
        self._key = key

    @property
    def label(self) -> str:
        return self.kind.label

    def read(self, tenant_id: str) -> DocumentT:
        """The tenant's document as saved, or the defaults (version 0): for the services that apply it."""
        return self._as_document(*self._stored(tenant_id))

    def get(self, caller: Caller) -> DocumentT:
        caller.require(self.resource, Action.READ)
        return self.read(caller.tenant_id)

    def replace(self, caller: Caller, content: ContentT, expected_version: int | None) -> DocumentT:
        """Save `content` over the version the caller read (`If-Match`)."""
        caller.require(self.resource, Action.UPDATE)
        current, meta = self._stored(caller.tenant_id)
        require_version(self.label, meta.version, expected_version)
        self.check(caller.tenant_id, current, content)
        now = utc_now()
        data = content.model_dump(mode="json")
        try:
            version = store.save(
                caller.tenant_id,
                self.kind,
                data,
                key=self._key,
                expected_version=meta.version,
                actor=caller.user_id,
                at=now,
            )
        except StaleVersion as error:
            raise PreconditionFailed(f"The {self.label} changed while you saved: read again to save.") from error
        return self._as_document(content, DocumentMeta(version=version, updated_at=now, updated_by=caller.user_id))

    def check(self, tenant_id: str, current: ContentT, content: ContentT) -> None:
        """Refuse replacing `current` by `content` (with a domain error) where the tenant's data forbids it."""

    def _stored(self, tenant_id: str) -> tuple[ContentT, DocumentMeta]:
        stored = store.read(tenant_id, self.kind, self._key)
        if stored is None:
            return self._default(), DocumentMeta(version=0)
        meta = DocumentMeta(version=stored.version, updated_at=stored.updated_at, updated_by=stored.updated_by)
        return self.content.model_validate(stored.data), meta

    def _as_document(self, content: ContentT, meta: DocumentMeta) -> DocumentT:
        return self.document.model_validate({**content.model_dump(mode="json"), **meta.model_dump(mode="json")})
