"""GET/PUT /tenant-settings: the tenant's slug (unique across tenants), name, time zone and app URL."""

from typing import Any

import pytest

from rapport.dal.models import TenantSlugItem
from rapport.tenants.service import tenant_of
from tools.lambda_api import Reply, Staff, call
from tools.metering import dynamodb_requests

ADMIN = Staff(groups=("admin",))
MANAGER = Staff(groups=("manager",))
OTHER_ADMIN = Staff(tenant="tenant-b", user="user-9", groups=("admin",))
ACME = {"slug": "acme", "name": "Acme Ltd", "time_zone": "Europe/Berlin", "app_url": "https://crm.acme.example"}


def put(body: dict[str, Any], staff: Staff = ADMIN, version: str = "0") -> Reply:
    return call("putTenantSettings", staff, body=body, headers={"If-Match": f'"{version}"'})


def held() -> dict[str, str]:
    return {item.pk: item.tenant_id for item in TenantSlugItem.scan()}


def test_the_settings_start_empty_in_utc_and_only_an_admin_saves_them():
    with dynamodb_requests() as requests:
        reply = call("getTenantSettings", Staff())
    assert requests == ["GetItem"]
    assert reply.body == {
        "slug": None,
        "name": None,
        "time_zone": "UTC",
        "app_url": None,
        "history_retention_days": None,
        "version": 0,
        "updated_at": None,
        "updated_by": None,
    }
    assert reply.etag == '"0"'
    assert put(ACME, MANAGER).status == 403
    assert put(ACME, ADMIN, version="1").status == 412
    assert call("putTenantSettings", ADMIN, body=ACME, headers={"If-Match": None}).status == 428
    saved = put(ACME)
    assert saved.status == 200, saved.body
    assert saved.etag == '"1"' and saved.body["slug"] == "acme" and saved.body["updated_by"] == ADMIN.user
    assert call("getTenantSettings", Staff(groups=("support",))).body == saved.body
    assert call("getTenantSettings", OTHER_ADMIN).body["slug"] is None
    assert tenant_of("acme") == ADMIN.tenant
    assert call("listTenantSettingsHistory", ADMIN).body["items"][0]["changes"]["slug"] == {
        "before": None,
        "after": "acme",
    }


def test_a_slug_is_unique_across_tenants_and_freed_when_changed():
    assert put(ACME).status == 200
    taken = put({"slug": "acme"}, OTHER_ADMIN)
    assert taken.status == 409 and taken.body["errors"][0]["field"] == "slug"
    assert tenant_of("acme") == ADMIN.tenant and call("getTenantSettings", OTHER_ADMIN).body["version"] == 0
    assert put({**ACME, "slug": "acme-ltd"}, version="1").status == 200
    assert held() == {"acme-ltd": ADMIN.tenant}
    assert put({"slug": "acme"}, OTHER_ADMIN).status == 200
    assert held() == {"acme-ltd": ADMIN.tenant, "acme": OTHER_ADMIN.tenant}


def test_saving_the_same_slug_again_keeps_it_and_removing_it_frees_it():
    assert put(ACME).status == 200
    assert put({**ACME, "name": "Acme"}, version="1").status == 200
    assert held() == {"acme": ADMIN.tenant}
    assert put({"name": "Acme"}, version="2").status == 200
    assert held() == {}
    assert tenant_of("acme") is None


def test_a_stale_save_leaves_no_claim_behind():
    assert put({"slug": "first"}).status == 200
    assert put({"slug": "second"}, version="0").status == 412
    assert held() == {"first": ADMIN.tenant}


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"slug": "ab"}, "slug"),
        ({"slug": "x" * 41}, "slug"),
        ({"slug": "Acme"}, "slug"),
        ({"slug": "acme_ltd"}, "slug"),
        ({"slug": "acmé"}, "slug"),
        ({"time_zone": "Mars/Olympus"}, "time_zone"),
        ({"time_zone": "utc+2"}, "time_zone"),
        ({"app_url": "http://crm.acme.example"}, "app_url"),
        ({"app_url": "javascript:alert(1)"}, "app_url"),
        ({"app_url": "https://user:pw@crm.acme.example"}, "app_url"),
        ({"app_url": "https://"}, "app_url"),
        ({"name": ""}, "name"),
        ({"colour": "red"}, "colour"),
    ],
)
def test_bad_settings_are_422_naming_the_field_and_claim_nothing(body, field):
    reply = put(body)
    assert reply.status == 422, reply.body
    assert field in {error["field"] for error in reply.body["errors"]}
    assert held() == {}
