"""Tenants API: /tenant-settings, how the tenant presents itself (public slug, name, time zone, app URL)."""

from rapport.api.http import create_app, entrypoint
from rapport.api.settings import register_settings_routes
from rapport.tenants.service import TENANT_SETTINGS_DOCUMENT

app = create_app()

register_settings_routes(
    app,
    TENANT_SETTINGS_DOCUMENT,
    "/tenant-settings",
    tag="tenants",
    name="TenantSettings",
    reads="The tenant's slug, name, time zone and app URL (none, UTC until set)",
    replaces="Replace the tenant's settings (admin)",
    description="`slug` names the tenant in public addresses and is unique across tenants: one another tenant "
    "holds is a 409 naming `slug`; changing it frees the previous one.",
    conflicts=True,
)

lambda_handler = entrypoint(app)
