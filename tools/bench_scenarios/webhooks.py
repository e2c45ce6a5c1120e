"""The webhooks' scenario for `make bench` (tools.bench_scenarios): an admin's webhook, read and listed, and its
delivery log."""

from __future__ import annotations

from tools.bench_scenarios import Operation
from tools.lambda_api import Staff, call

ADMIN = Staff(user="bench-admin", groups=("admin",))
URL = "https://93.184.215.14/bench"  # a literal public address: no DNS


def operations(account_id: str) -> list[Operation]:
    body = {"url": URL, "event_types": ["deal.*"]}
    webhook = call("createWebhook", ADMIN, body=body).body
    return [
        ("POST /webhooks", lambda: call("createWebhook", ADMIN, body=body)),
        ("GET /webhooks/{id}", lambda: call("getWebhook", ADMIN, record_id=webhook["id"])),
        ("GET /webhooks", lambda: call("listWebhooks", ADMIN)),
        ("GET /webhooks/{id}/deliveries", lambda: call("listWebhookDeliveries", ADMIN, record_id=webhook["id"])),
    ]
