"""Helpers for the sales tests: a pipeline, deals, moves and rates, through the API like a client."""

from __future__ import annotations

from typing import Any

from rapport.dal.repository import UnitOfWork
from rapport.deals import store as sales
from tools.lambda_api import Reply, Staff, call, create

SALES = Staff()
MANAGER = SALES.as_("manager")
ADMIN = SALES.as_("admin")
OTHER_TENANT = Staff(tenant="tenant-b", user="user-9", groups=("admin",))
STAGES: list[dict[str, Any]] = [
    {"name": "Qualified", "probability": 10},
    {"name": "Demo", "probability": 30, "follow_up_task": {"title": "Send the recap", "due_in_days": 1}},
    {"name": "Proposal", "probability": 60},
    {"name": "Negotiation", "probability": 80},
    {"name": "Won", "probability": 100, "status": "won"},
    {"name": "Lost", "probability": 0, "status": "lost"},
]


def pipeline(staff: Staff = MANAGER, **fields: Any) -> dict[str, Any]:
    return create("createPipeline", staff, **{"name": "New business", "stages": STAGES, **fields})


def deal(pipeline_id: str, staff: Staff = SALES, **fields: Any) -> dict[str, Any]:
    body = {"name": "Deal", "amount": "1000.00", "pipeline_id": pipeline_id, "close_date": "2026-11-20", **fields}
    return create("createDeal", staff, **body)


def patch(record: dict[str, Any], staff: Staff = SALES, **fields: Any) -> Reply:
    return call(
        "updateDeal", staff, record_id=record["id"], body=fields, headers={"If-Match": f'"{record["version"]}"'}
    )


def move(record: dict[str, Any], stage: str, staff: Staff = SALES, **fields: Any) -> dict[str, Any]:
    reply = patch(record, staff, stage=stage, **fields)
    assert reply.status == 200, reply.body
    return dict(reply.body)


def set_rates(currency: str, rates: dict[str, str], staff: Staff = ADMIN) -> Reply:
    """Replace the tenant's rates over the version they are at (If-Match, as a client that read them)."""
    current = call("getCurrencyRates", staff).etag
    return call("putCurrencyRates", staff, body={"currency": currency, "rates": rates}, headers={"If-Match": current})


def log_activity(user_id: str, at: str, tenant_id: str = SALES.tenant) -> None:
    """What the activities context does when a user logs an activity (besides writing it)."""
    work = UnitOfWork()
    work.update_item(*sales.count_activity(tenant_id, user_id, at))
    work.commit()
