"""The contacts' scenario for `make bench` (tools.bench_scenarios): a contact of the bench's account with every
way to find it, then trashed, restored and erased."""

from __future__ import annotations

from typing import Any

from tools.bench_scenarios import Operation
from tools.lambda_api import Staff, call, create


def operations(account_id: str) -> list[Operation]:
    rep = Staff().user  # the caller owns the records it changes, as a rep does
    admin = Staff().as_("admin")
    contact = create(
        "createContact",
        last_name="Bench",
        email="b@bench.example",
        emails=["b2@bench.example"],
        phones=["+14155550199"],
        owner_id=rep,
        tags=["VIP"],
        account_id=account_id,
    )
    new_contact: dict[str, Any] = {
        "last_name": "N",
        "email": "n@b.example",
        "phone": "+14155550100",
        "account_id": account_id,
    }
    unconditional: dict[str, str | None] = {"If-Match": None}
    return [
        ("POST /contacts (email, phone, account)", lambda: create("createContact", **new_contact)),
        ("GET /contacts/{id}", lambda: call("getContact", record_id=contact["id"])),
        (
            "PATCH /contacts/{id} (new email)",
            lambda: call("updateContact", record_id=contact["id"], body={"email": "new@bench.example"}),
        ),
        ("GET /contacts?email=", lambda: call("listContacts", query={"email": "new@bench.example"})),
        ("GET /contacts?phone=", lambda: call("listContacts", query={"phone": "+14155550100"})),
        ("GET /contacts?account_id=", lambda: call("listContacts", query={"account_id": account_id})),
        ("GET /contacts?q= (a word of the name)", lambda: call("listContacts", query={"q": "ben"})),
        ("GET /contacts?q= (two words)", lambda: call("listContacts", query={"q": "ben bench"})),
        ("GET /contacts?account_id=&q=", lambda: call("listContacts", query={"account_id": account_id, "q": "ben"})),
        ("GET /contacts?email= (additional)", lambda: call("listContacts", query={"email": "b2@bench.example"})),
        ("GET /contacts?phone= (additional)", lambda: call("listContacts", query={"phone": "+14155550199"})),
        ("GET /contacts?owner_id=", lambda: call("listContacts", query={"owner_id": rep})),
        ("GET /contacts?tag=", lambda: call("listContacts", query={"tag": "vip"})),
        ("DELETE /contacts/{id}", lambda: call("deleteContact", record_id=contact["id"], headers=unconditional)),
        (
            "POST /contacts/{id}/restore",
            lambda: call("restoreContact", admin, record_id=contact["id"], headers=unconditional),
        ),
        (
            "DELETE /contacts/{id}?permanent=true",
            lambda: call(
                "deleteContact", admin, record_id=contact["id"], query={"permanent": "true"}, headers=unconditional
            ),
        ),
    ]
