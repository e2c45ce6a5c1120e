"""`make bench`: DynamoDB requests per API operation, and the local runtime holding a company's data
(tools/loadtest.py), 1,000 and 50,000 contacts side by side (the cold starts are `tools.coldstart`'s)."""

from __future__ import annotations

import os
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
COMPANY_SCALES = (1_000, 50_000)  # contacts

# What the API functions read from their environment, for the handlers run in this process under moto.
ENVIRONMENT = {
    "AWS_DEFAULT_REGION": "eu-west-1",
    "AWS_REGION": "eu-west-1",
    "AWS_ACCESS_KEY_ID": "bench",
    "AWS_SECRET_ACCESS_KEY": "bench",
    "TABLE_NAME": "rapport-bench",
    "IDEMPOTENCY_TABLE_NAME": "rapport-bench-idempotency",
    "CURSOR_SECRET": "bench",
    "POWERTOOLS_SERVICE_NAME": "rapport-bench",
    "POWERTOOLS_METRICS_NAMESPACE": "Rapport",
    "POWERTOOLS_TRACE_DISABLED": "1",
}


def request_counts() -> None:
    from moto import mock_aws

    from local.awsmock import patch_dynamodb
    from rapport import config
    from rapport.dal.models import TABLE_MODELS
    from tools import bench_scenarios
    from tools.lambda_api import Staff, call, create
    from tools.metering import dynamodb_requests

    patch_dynamodb()
    print("DynamoDB requests per API operation")
    with mock_aws():
        for model in TABLE_MODELS:
            model.create_table(wait=True)
        import boto3  # type: ignore[import-untyped]

        boto3.client("apigateway").create_usage_plan(name="bench-web-forms")
        os.environ["USAGE_PLAN_NAME"] = "bench-web-forms"
        config.reload()
        rep = Staff().user  # the caller owns the records it changes, as a rep does
        account = create("createAccount", name="Bench Co", domain="bench.example")
        contact = create(
            "createContact",
            last_name="Bench",
            email="b@bench.example",
            emails=["b2@bench.example"],
            phones=["+14155550199"],
            owner_id=rep,
            tags=["VIP"],
            account_id=account["id"],
        )
        admin = Staff().as_("admin")
        marketing = Staff().as_("marketing")
        lead = create("createLead", last_name="Bench", email="lead@bench.example", title="VP", owner_id=rep)
        lead_owner_status = {"owner_id": rep, "status": "new", "min_score": "10"}
        unconditional: dict[str, str | None] = {"If-Match": None}
        new_contact = {"last_name": "N", "email": "n@b.example", "phone": "+14155550100", "account_id": account["id"]}
        operations: list[tuple[str, Callable[[], Any]]] = [
            ("POST /accounts (Idempotency-Key)", lambda: call("createAccount")),
            ("POST /accounts", lambda: create("createAccount", name="Plain", domain="plain.example")),
            ("GET /accounts/{id}", lambda: call("getAccount", record_id=account["id"])),
            ("PATCH /accounts/{id}", lambda: call("updateAccount", record_id=account["id"])),
            ("GET /accounts?q=", lambda: call("listAccounts", query={"q": "ben"})),
            ("GET /accounts?domain=", lambda: call("listAccounts", query={"domain": "bench.example"})),
            ("GET /accounts/{id}/contacts", lambda: call("listAccountContacts", record_id=account["id"])),
            ("POST /contacts (email, phone, account)", lambda: create("createContact", **new_contact)),
            ("GET /contacts/{id}", lambda: call("getContact", record_id=contact["id"])),
            (
                "PATCH /contacts/{id} (new email)",
                lambda: call("updateContact", record_id=contact["id"], body={"email": "new@bench.example"}),
            ),
            ("GET /contacts?email=", lambda: call("listContacts", query={"email": "new@bench.example"})),
            ("GET /contacts?phone=", lambda: call("listContacts", query={"phone": "+14155550100"})),
            ("GET /contacts?account_id=", lambda: call("listContacts", query={"account_id": account["id"]})),
            ("GET /contacts?q= (a word of the name)", lambda: call("listContacts", query={"q": "ben"})),
            ("GET /contacts?q= (two words)", lambda: call("listContacts", query={"q": "ben bench"})),
            (
                "GET /contacts?account_id=&q=",
                lambda: call("listContacts", query={"account_id": account["id"], "q": "ben"}),
            ),
            ("GET /contacts?email= (additional)", lambda: call("listContacts", query={"email": "b2@bench.example"})),
            ("GET /contacts?phone= (additional)", lambda: call("listContacts", query={"phone": "+14155550199"})),
            ("GET /contacts?owner_id=", lambda: call("listContacts", query={"owner_id": rep})),
            ("GET /contacts?tag=", lambda: call("listContacts", query={"tag": "vip"})),
            ("GET /accounts?q= (a word inside)", lambda: call("listAccounts", query={"q": "co"})),
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
        operations += pipeline_operations()
        operations += activity_operations(account["id"])
        operations += bench_scenarios.operations(account["id"])
        operations += [
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
        form = create("createWebForm", admin, name="Bench form")
        public: dict[str, str | None] = {"apiKeyId": form["api_key_id"]}
        operations += [
            ("POST /web-forms (+ API Gateway key)", lambda: create("createWebForm", admin, name="Another form")),
            ("GET /web-forms", lambda: call("listWebForms", admin)),
            ("POST /public/leads (new)", lambda: call("createPublicLead", None, identity=public)),
            ("POST /public/leads (duplicate: attached)", lambda: call("createPublicLead", None, identity=public)),
            (
                "DELETE /web-forms/{id} (+ API Gateway key)",
                lambda: call("deleteWebForm", admin, record_id=form["id"], headers=unconditional),
            ),
        ]
        for label, operation in operations:
            with dynamodb_requests() as requests:
                reply = operation()
            status = reply.status if hasattr(reply, "status") else 201
            if status in (401, 403) or status >= 500:
                raise SystemExit(f"{label} answered {status}: the bench measures only what its caller may do")
            print(f"  {label:<42} {status}  {len(requests)} request(s): {', '.join(requests)}")


def pipeline_operations() -> list[tuple[str, Callable[[], Any]]]:
    """Pipelines, deals, forecast, reports and rates; the deals are on a contact (its 360 summary)."""
    from tools.lambda_api import Staff, call, create

    contact_id = create("createContact", last_name="Buyer")["id"]
    manager, admin = Staff().as_("manager"), Staff().as_("admin")
    stages = [
        {"name": "Qualified", "probability": 10},
        {"name": "Proposal", "probability": 70},
        {"name": "Won", "probability": 100, "status": "won"},
    ]
    pipeline = create("createPipeline", manager, name="Bench", stages=stages, rotting_days=14)
    fields = {"amount": "100.00", "pipeline_id": pipeline["id"], "close_date": "2026-11-30"}
    account_id = create("createAccount", name="Deal Co")["id"]
    deal = create("createDeal", name="Bench deal", contact_ids=[contact_id], account_id=account_id, **fields)
    trashed = create("createDeal", name="Trash", **fields)
    unconditional: dict[str, str | None] = {"If-Match": None}

    def change(**body: Any) -> Any:
        reply = call("updateDeal", record_id=deal["id"], body=body, headers={"If-Match": f'"{deal["version"]}"'})
        deal["version"] = reply.body.get("version", deal["version"])
        return reply

    return [
        ("POST /pipelines", lambda: create("createPipeline", manager, name="Other", stages=stages)),
        ("GET /pipelines", lambda: call("listPipelines")),
        (
            "PATCH /pipelines/{id} (drops a used stage)",
            lambda: call("updatePipeline", manager, record_id=pipeline["id"], body={"stages": stages[1:]}),
        ),
        ("PUT /currency-rates", lambda: call("putCurrencyRates", admin)),
        ("GET /currency-rates", lambda: call("getCurrencyRates")),
        ("POST /deals (a contact)", lambda: create("createDeal", name="N", contact_ids=[contact_id], **fields)),
        ("GET /deals/{id}", lambda: call("getDeal", record_id=deal["id"])),
        ("PATCH /deals/{id} (close date)", lambda: change(close_date="2026-12-01")),
        ("PATCH /deals/{id} (stage)", lambda: change(stage="Proposal")),
        ("PATCH /deals/{id} (won)", lambda: change(stage="Won")),
        ("GET /deals/{id}/history", lambda: call("listDealHistory", record_id=deal["id"])),
        ("GET /deals", lambda: call("listDeals")),
        ("GET /deals?owner_id=&status=", lambda: call("listDeals", query={"owner_id": "user-1", "status": "won"})),
        (
            "GET /deals?pipeline_id=&stage=",
            lambda: call("listDeals", query={"pipeline_id": pipeline["id"], "stage": "Won"}),
        ),
        ("GET /deals?status=", lambda: call("listDeals", query={"status": "open"})),
        ("GET /deals?account_id=", lambda: call("listDeals", query={"account_id": account_id})),
        ("DELETE /deals/{id}", lambda: call("deleteDeal", record_id=trashed["id"], headers=unconditional)),
        (
            "POST /deals/{id}/restore",
            lambda: call("restoreDeal", manager, record_id=trashed["id"], headers=unconditional),
        ),
        ("GET /forecast?period=", lambda: call("getForecast", manager, query={"period": "2026-Q4"})),
        (
            "GET /reports/sales-performance?period=",
            lambda: call("getSalesPerformance", manager, query={"period": "2026-Q4"}),
        ),
    ]


def activity_operations(account_id: str) -> list[tuple[str, Callable[[], Any]]]:
    """Activities, tasks, appointments and the 360, on a contact with some of each."""
    from tools.lambda_api import Staff, call, create

    contact = create("createContact", last_name="Sales", account_id=account_id)["id"]
    activity = {"type": "call", "subject": "Intro", "contact_id": contact, "account_id": account_id}
    stages = [{"name": "Open", "probability": 10}]
    pipeline = create("createPipeline", Staff().as_("manager"), name="Activities", stages=stages)
    deal = create("createDeal", name="Sales deal", amount="10.00", close_date="2026-12-31", pipeline_id=pipeline["id"])
    lead = create("createLead", email="activity-lead@bench.example")
    task = create("createTask", title="Follow up", due_at="2026-11-27T17:00:00Z", contact_id=contact)
    meeting: dict[str, Any] = {"title": "Demo", "starts_at": "2026-11-25T10:00:00Z", "ends_at": "2026-11-25T11:00:00Z"}
    appointment = create("createAppointment", **meeting, contact_id=contact)
    moved = {"starts_at": "2026-11-25T14:00:00Z", "ends_at": "2026-11-25T15:00:00Z"}
    return [
        ("POST /activities (contact, account)", lambda: create("createActivity", **activity)),
        ("POST /activities (deal: touched)", lambda: create("createActivity", type="note", deal_id=deal["id"])),
        ("POST /activities (lead: scored)", lambda: create("createActivity", type="web", lead_id=lead["id"])),
        ("GET /contacts/{id}/timeline", lambda: call("listContactTimeline", record_id=contact)),
        ("GET /accounts/{id}/timeline", lambda: call("listAccountTimeline", record_id=account_id)),
        ("POST /tasks (contact)", lambda: create("createTask", title="Call back", contact_id=contact)),
        (
            "PATCH /tasks/{id} (due moves)",
            lambda: call(
                "updateTask", record_id=task["id"], headers={"If-Match": '"1"'}, body={"due_at": "2026-11-28T09:00:00Z"}
            ),
        ),
        (
            "GET /tasks?assignee_id=me&status=open",
            lambda: call("listTasks", query={"due_before": "2026-12-01T00:00:00Z"}),
        ),
        (
            "POST /appointments (1 h, contact)",
            lambda: create(
                "createAppointment",
                **{**meeting, "starts_at": "2026-11-26T10:00:00Z", "ends_at": "2026-11-26T11:00:00Z"},
                contact_id=contact,
            ),
        ),
        (
            "PATCH /appointments/{id} (reschedule)",
            lambda: call("updateAppointment", record_id=appointment["id"], body=moved, headers={"If-Match": '"1"'}),
        ),
        ("GET /appointments?attendee_id=me", lambda: call("listAppointments", query={"from": "2026-11-23T00:00:00Z"})),
        ("GET /contacts/{id}/360", lambda: call("getContact360", record_id=contact)),
    ]


def local_runtime() -> None:
    from tools.loadtest import load_average, measure, print_side_by_side

    print(f"Local runtime holding a company (rapport seed --scale N; load average before: {load_average()})")
    with tempfile.TemporaryDirectory() as work:
        results = {scale: measure(ROOT / "cdk.out", Path(work), scale) for scale in COMPANY_SCALES}
    print_side_by_side(results)
    print(f"  (load average after: {load_average()})")


def main() -> None:
    for name, value in ENVIRONMENT.items():
        os.environ.setdefault(name, value)
    request_counts()
    local_runtime()


if __name__ == "__main__":
    main()
