"""The custom fields' scenario for `make bench` (tools.bench_scenarios): the document, and a contact written with a
unique custom value (its guard and its field's usage in the create's transaction)."""

from __future__ import annotations

from tools.bench_scenarios import Operation
from tools.lambda_api import Staff, call, create


def operations(account_id: str) -> list[Operation]:
    admin = Staff().as_("admin")
    defined = call("putCustomFields", admin, headers={"If-Match": '"0"'})
    assert defined.status == 200, defined.body
    return [
        ("GET /custom-fields", lambda: call("getCustomFields", admin)),
        (
            "POST /contacts (unique custom value)",
            lambda: create("createContact", last_name="Custom", custom={"customer_code": "C-1", "segment": "smb"}),
        ),
    ]
