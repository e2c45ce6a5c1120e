"""The leads' scenario for `make bench` (tools.bench_scenarios): leads created, found again (409, attached), read,
changed, listed and converted, and the scoring rules."""

from __future__ import annotations

from tools.bench_scenarios import Operation
from tools.lambda_api import Staff, call, create


def operations(account_id: str) -> list[Operation]:
    rep = Staff().user  # the caller owns the records it changes, as a rep does
    marketing = Staff().as_("marketing")
    lead = create("createLead", last_name="Bench", email="lead@bench.example", title="VP", owner_id=rep)
    lead_owner_status = {"owner_id": rep, "status": "new", "min_score": "10"}
    return [
        ("POST /leads (Idempotency-Key)", lambda: call("createLead")),
        ("POST /leads (email)", lambda: create("createLead", email="l2@bench.example", title="CTO")),
        (
            "POST /leads (duplicate: 409)",
            lambda: call("createLead", body={"email": "lead@bench.example"}, headers={"Idempotency-Key": None}),
        ),
        (
            "POST /leads?on_duplicate=attach (lead)",
            lambda: call(
                "createLead",
                body={"email": "lead@bench.example"},
                query={"on_duplicate": "attach"},
                headers={"Idempotency-Key": None},
            ),
        ),
        ("GET /leads/{id}", lambda: call("getLead", record_id=lead["id"])),
        (
            "PATCH /leads/{id}",
            lambda: call("updateLead", record_id=lead["id"], body={"title": "CEO"}, headers={"If-Match": '"2"'}),
        ),
        ("GET /leads", lambda: call("listLeads", query={})),
        ("GET /leads?status=&min_score=", lambda: call("listLeads", query={"status": "new", "min_score": "10"})),
        ("GET /leads?owner_id=", lambda: call("listLeads", query={"owner_id": rep})),
        ("GET /leads?owner_id=&status=&min_score=", lambda: call("listLeads", query=lead_owner_status)),
        ("GET /leads?email=", lambda: call("listLeads", query={"email": "lead@bench.example"})),
        ("GET /leads?q=", lambda: call("listLeads", query={"q": "bench"})),
        ("GET /scoring-rules", lambda: call("getScoringRules", marketing)),
        ("PUT /scoring-rules", lambda: call("putScoringRules", marketing)),
        (
            "POST /leads/{id}/convert (new account, contact)",
            lambda: call(
                "convertLead",
                record_id=create("createLead", last_name="Convert", email="c@convert.example", company="Co")["id"],
                body={},
                headers={"Idempotency-Key": None},
            ),
        ),
    ]
