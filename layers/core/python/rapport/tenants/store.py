"""The tenant slugs table (rapport.dal.keys has the shared layout and says why this is here).

The tenant settings are a settings document, `T#<t>#SETTINGS` / `TENANT` (rapport.settings). A slug is unique
across tenants and a public request (`/public/<slug>/...`) knows nothing but the slug, so which tenant holds it
cannot be an item under a tenant's keys: it is an item of the tenant slugs table, `pk` = the slug, holding the
tenant id, read by ONE GetItem. It is written under the function's own role (no tenant's credentials reach that
table), claimed before the settings are saved and released when they no longer name it.
"""

from __future__ import annotations

from pynamodb.exceptions import DeleteError, DoesNotExist, PutError

from rapport.dal.models import TenantSlugItem

CONDITION_FAILED = "ConditionalCheckFailedException"


def claim(slug: str, tenant_id: str) -> bool:
    """Hold `slug` for `tenant_id`: False when another tenant holds it (holding it already is fine)."""
    item = TenantSlugItem(slug, tenant_id=tenant_id)
    try:
        item.save(condition=TenantSlugItem.pk.does_not_exist() | (TenantSlugItem.tenant_id == tenant_id))
    except PutError as error:
        if error.cause_response_code == CONDITION_FAILED:
            return False
        raise
    return True


def release(slug: str, tenant_id: str) -> None:
    """Let `slug` go, if `tenant_id` holds it."""
    try:
        TenantSlugItem(slug).delete(condition=TenantSlugItem.tenant_id == tenant_id)
    except DeleteError as error:
        if error.cause_response_code != CONDITION_FAILED:
            raise


def tenant_of(slug: str) -> str | None:
    """The tenant holding `slug` (ONE GetItem), or None."""
    try:
        return TenantSlugItem.get(slug).tenant_id
    except DoesNotExist:
        return None
