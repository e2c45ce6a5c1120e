"""The activities' scenario for `make bench` (tools.bench_scenarios): activities on a contact, a deal and a lead, the
timelines, and the 360 view of a contact with some of everything (an activity, a deal, a task, an appointment)."""

from __future__ import annotations

from tools.bench_scenarios import Operation
from tools.lambda_api import Staff, call, create


def operations(account_id: str) -> list[Operation]:
    contact = create("createContact", last_name="Sales", account_id=account_id)["id"]
    activity = {"type": "call", "subject": "Intro", "contact_id": contact, "account_id": account_id}
    stages = [{"name": "Open", "probability": 10}]
    pipeline = create("createPipeline", Staff().as_("manager"), name="Activities", stages=stages)
    deal = create("createDeal", name="Sales deal", amount="10.00", close_date="2026-12-31", pipeline_id=pipeline["id"])
    lead = create("createLead", email="activity-lead@bench.example")
    create("createTask", title="Follow up", due_at="2026-11-27T17:00:00Z", contact_id=contact)
    create(
        "createAppointment",
        title="Demo",
        starts_at="2026-11-24T10:00:00Z",
        ends_at="2026-11-24T11:00:00Z",
        contact_id=contact,
    )
    return [
        ("POST /activities (contact, account)", lambda: create("createActivity", **activity)),
        ("POST /activities (deal: touched)", lambda: create("createActivity", type="note", deal_id=deal["id"])),
        ("POST /activities (lead: scored)", lambda: create("createActivity", type="web", lead_id=lead["id"])),
        ("GET /contacts/{id}/timeline", lambda: call("listContactTimeline", record_id=contact)),
        ("GET /accounts/{id}/timeline", lambda: call("listAccountTimeline", record_id=account_id)),
        ("GET /contacts/{id}/360", lambda: call("getContact360", record_id=contact)),
    ]
