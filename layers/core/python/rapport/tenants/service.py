"""The tenant settings document: its slug is claimed across tenants before a save (a 409 when another tenant holds
it) and the previous one released after it; a failed save releases the new claim."""

from __future__ import annotations

from rapport.errors import Conflict, FieldError
from rapport.settings import SettingsDocument
from rapport.tenants import store
from rapport.tenants.manifest import TENANT_SETTINGS
from rapport.tenants.models import TenantSettings


class TenantSettingsDocument(SettingsDocument[TenantSettings]):
    def check(self, tenant_id: str, key: str | None, current: TenantSettings, content: TenantSettings) -> None:
        if content.slug is None or content.slug == current.slug:
            return
        if not store.claim(content.slug, tenant_id):
            raise Conflict(
                f"The slug {content.slug} is taken: choose another.",
                [FieldError("slug", "is another tenant's", "duplicate")],
            )

    def saved(self, tenant_id: str, key: str | None, before: TenantSettings, after: TenantSettings) -> None:
        if before.slug is not None and before.slug != after.slug:
            store.release(before.slug, tenant_id)

    def unsaved(self, tenant_id: str, key: str | None, before: TenantSettings, after: TenantSettings) -> None:
        if after.slug is not None and after.slug != before.slug:
            store.release(after.slug, tenant_id)


TENANT_SETTINGS_DOCUMENT = TenantSettingsDocument(
    TENANT_SETTINGS, TenantSettings, resource="tenant_settings", default=lambda _: TenantSettings()
)


def tenant_of(slug: str) -> str | None:
    """The tenant a public slug names, or None."""
    return store.tenant_of(slug)
