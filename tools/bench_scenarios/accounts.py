"""The accounts' scenario for `make bench` (tools.bench_scenarios): on the bench's account."""

from __future__ import annotations

from tools.bench_scenarios import ACCOUNT, Operation
from tools.lambda_api import call, create


def operations(account_id: str) -> list[Operation]:
    return [
        ("POST /accounts (Idempotency-Key)", lambda: call("createAccount")),
        ("POST /accounts", lambda: create("createAccount", name="Plain", domain="plain.example")),
        ("GET /accounts/{id}", lambda: call("getAccount", record_id=account_id)),
        ("PATCH /accounts/{id}", lambda: call("updateAccount", record_id=account_id)),
        ("GET /accounts?q=", lambda: call("listAccounts", query={"q": "ben"})),
        ("GET /accounts?q= (a word inside)", lambda: call("listAccounts", query={"q": "co"})),
        ("GET /accounts?domain=", lambda: call("listAccounts", query={"domain": ACCOUNT["domain"]})),
        ("GET /accounts/{id}/contacts", lambda: call("listAccountContacts", record_id=account_id)),
    ]
