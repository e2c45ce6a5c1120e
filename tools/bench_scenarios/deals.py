"""The deals' scenario for `make bench` (tools.bench_scenarios): pipelines, deals, forecast, reports and rates; the
deals are on a contact (its 360 summary) and the bench's account."""

from __future__ import annotations

from typing import Any

from tools.bench_scenarios import Operation
from tools.lambda_api import Staff, call, create


def operations(account_id: str) -> list[Operation]:
    contact_id = create("createContact", last_name="Buyer")["id"]
    manager, admin = Staff().as_("manager"), Staff().as_("admin")
    stages = [
        {"name": "Qualified", "probability": 10},
        {"name": "Proposal", "probability": 70},
        {"name": "Won", "probability": 100, "status": "won"},
    ]
    pipeline = create("createPipeline", manager, name="Bench", stages=stages, rotting_days=14)
    fields = {"amount": "100.00", "pipeline_id": pipeline["id"], "close_date": "2026-11-30"}
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
        ("GET /deals/{id}/stage-history", lambda: call("listDealStageHistory", record_id=deal["id"])),
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
