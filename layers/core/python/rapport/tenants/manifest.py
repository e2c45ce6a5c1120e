"""Tenants: the tenant's own settings, and the public slug that names it where no one signs in."""

from __future__ import annotations

from rapport.auth import EVERYONE, Action, Role
from rapport.contexts import Area, Context, Kind

TENANT_SETTINGS = Kind("TENANT", "tenant settings", document=True)

CONTEXT = Context(
    name="tenants",
    kinds=(TENANT_SETTINGS,),
    permissions={
        # The slug names the tenant in public addresses: only an admin changes it, or the name, zone and URL.
        "tenant_settings": {Action.READ: EVERYONE, Action.UPDATE: frozenset({Role.ADMIN})},
    },
    areas=(Area("tenants", bench="getTenantSettings"),),
)
