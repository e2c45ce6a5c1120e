"""The web forms' key layout, and the web form keys table (rapport.dal.keys has the shared layout and says why this
is here).

Web forms are records `T#<t>#WEBFORM#<id>`, listed on gsi1 `T#<t>#WEBFORM` by name.

Public web-to-lead requests arrive with only an API Gateway API key id, so the tenant must be found from the
key: that lookup lives in its own small table (pk = the API key id -> tenant, form, the form's defaults), not in
the single table, so that every key there still starts with the tenant and `dynamodb:LeadingKeys` keeps fencing
tenants. Only the web forms function writes that table and only the public leads function reads it.
"""

from __future__ import annotations

from typing import Any, NamedTuple

from pynamodb.exceptions import DoesNotExist

from rapport.dal import keys
from rapport.dal.keys import IndexKeys
from rapport.dal.models import WebFormKeyItem
from rapport.dal.repository import plain
from rapport.web_forms.manifest import WEB_FORM


def index_keys(tenant_id: str, form_id: str, name_key: str) -> IndexKeys:
    return IndexKeys(gsi1pk=keys.list_pk(tenant_id, WEB_FORM), gsi1sk=keys.name_sk(name_key, form_id))


class WebFormKey(NamedTuple):
    """The tenant and web form an API Gateway API key belongs to, with the form's defaults for its leads."""

    api_key_id: str
    tenant_id: str
    form_id: str
    defaults: dict[str, Any]


def save_key(key: WebFormKey) -> None:
    """Put a key's lookup item, under the function's own credentials: the keys table is no tenant's, so the
    tenant's credentials (rapport.dal.tenancy) cannot write it in the form's transaction."""
    WebFormKeyItem(key.api_key_id, tenant_id=key.tenant_id, form_id=key.form_id, defaults=key.defaults).save()


def delete_key(api_key_id: str) -> None:
    WebFormKeyItem(api_key_id).delete()


def key_of(api_key_id: str) -> WebFormKey | None:
    """The form an API key belongs to (one GetItem), or None for a key no form has (revoked, or another's)."""
    try:
        item = WebFormKeyItem.get(api_key_id)
    except DoesNotExist:
        return None
    return WebFormKey(api_key_id, item.tenant_id, item.form_id, plain(item.defaults))
