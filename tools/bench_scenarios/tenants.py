"""The tenants' scenario for `make bench` (tools.bench_scenarios): the tenant settings and their slug."""

from __future__ import annotations

from tools.bench_scenarios import Operation
from tools.lambda_api import Staff, call


def operations(account_id: str) -> list[Operation]:
    admin = Staff().as_("admin")
    return [
        ("GET /tenant-settings", lambda: call("getTenantSettings", admin)),
        (
            "PUT /tenant-settings (slug claimed)",
            lambda: call("putTenantSettings", admin, headers={"If-Match": '"0"'}),
        ),
    ]
