"""The web forms' scenario for `make bench` (tools.bench_scenarios): forms with their API Gateway keys, and the
public lead endpoint they post to."""

from __future__ import annotations

from tools.bench_scenarios import Operation
from tools.lambda_api import Staff, call, create


def operations(account_id: str) -> list[Operation]:
    admin = Staff().as_("admin")
    unconditional: dict[str, str | None] = {"If-Match": None}
    form = create("createWebForm", admin, name="Bench form")
    public: dict[str, str | None] = {"apiKeyId": form["api_key_id"]}
    return [
        ("POST /web-forms (+ API Gateway key)", lambda: create("createWebForm", admin, name="Another form")),
        ("GET /web-forms", lambda: call("listWebForms", admin)),
        ("POST /public/leads (new)", lambda: call("createPublicLead", None, identity=public)),
        ("POST /public/leads (duplicate: attached)", lambda: call("createPublicLead", None, identity=public)),
        (
            "DELETE /web-forms/{id} (+ API Gateway key)",
            lambda: call("deleteWebForm", admin, record_id=form["id"], headers=unconditional),
        ),
    ]
