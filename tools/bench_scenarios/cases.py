"""The cases' scenario for `make bench` (tools.bench_scenarios)."""

from __future__ import annotations

from tools.bench_scenarios import Operation
from tools.lambda_api import Staff, call, create


def operations(account_id: str) -> list[Operation]:
    """Cases and their conversation, on a contact of the account, and the service settings (a public reply's email
    is asked for by the case events worker, not the request)."""
    agent = Staff(user="agent", groups=("support",))
    contact = create("createContact", last_name="Service", account_id=account_id)["id"]
    case = create("createCase", agent, subject="Broken", contact_id=contact, queue="returns", owner_id="agent")
    note = {"body": "Checking", "visibility": "internal"}
    public = {"body": "On its way", "visibility": "public"}
    resolved = {"status": "resolved", "resolution": "Sent again"}
    no_key: dict[str, str | None] = {"Idempotency-Key": None}
    return [
        (
            "POST /cases (the contact's account)",
            lambda: create("createCase", agent, subject="Late", contact_id=contact),
        ),
        ("GET /cases/{id}", lambda: call("getCase", agent, record_id=case["id"])),
        (
            "PATCH /cases/{id} (resolved)",
            lambda: call("updateCase", agent, record_id=case["id"], headers={"If-Match": '"1"'}, body=resolved),
        ),
        ("GET /cases?number=", lambda: call("listCases", agent, query={"number": case["number"]})),
        ("GET /cases?queue=&status=", lambda: call("listCases", agent, query={"queue": "returns", "status": "new"})),
        (
            "GET /cases?owner_id=me&status=",
            lambda: call("listCases", agent, query={"owner_id": "me", "status": "resolved"}),
        ),
        ("GET /cases?owner_id=me", lambda: call("listCases", agent, query={"owner_id": "me"})),
        ("GET /cases?contact_id=", lambda: call("listCases", agent, query={"contact_id": contact})),
        ("GET /cases?account_id=", lambda: call("listCases", agent, query={"account_id": account_id})),
        ("GET /cases (the tenant's)", lambda: call("listCases", agent)),
        ("GET /service-settings", lambda: call("getServiceSettings", agent)),
        ("GET /service-settings/history", lambda: call("listServiceSettingsHistory", agent)),
        (
            "GET /cases?breach_before= (the SLA work list)",
            lambda: call("listCases", agent, query={"breach_before": "2026-12-01T09:00:00Z"}),
        ),
        ("GET /service-settings", lambda: call("getServiceSettings", agent)),
        (
            "POST /cases/{id}/messages (internal)",
            lambda: call("addCaseMessage", agent, record_id=case["id"], body=note, headers=no_key),
        ),
        (
            "POST /cases/{id}/messages (public)",
            lambda: call("addCaseMessage", agent, record_id=case["id"], body=public, headers=no_key),
        ),
        ("GET /cases/{id}/messages", lambda: call("listCaseMessages", agent, record_id=case["id"])),
    ]
