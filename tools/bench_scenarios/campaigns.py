"""The campaigns' scenario for `make bench` (tools.bench_scenarios): a draft to a static list, read, listed, its
report and its sends."""

from __future__ import annotations

from tools.bench_scenarios import Operation, save_marketing_settings
from tools.lambda_api import Staff, call, create

MARKETER = Staff().as_("marketing")


def operations(account_id: str) -> list[Operation]:
    save_marketing_settings()
    contact = create("createContact", last_name="Campaigns", account_id=account_id)["id"]
    segment = create("createSegment", MARKETER, name="Bench campaign list", kind="static")["id"]
    call("changeSegmentMembers", MARKETER, record_id=segment, body={"add": [contact]})
    campaign = create(
        "createCampaign",
        MARKETER,
        name="Bench offers",
        channel="email",
        topic="offers",
        content={"subject": "Offers, {{ recipient.first_name }}", "text": "20 % off"},
        audience={"segments": [segment]},
    )["id"]
    return [
        ("GET /campaigns/{id}", lambda: call("getCampaign", record_id=campaign)),
        ("GET /campaigns", lambda: call("listCampaigns")),
        ("GET /campaigns/{id}/report", lambda: call("getCampaignReport", record_id=campaign)),
        ("GET /campaigns/{id}/sends", lambda: call("listCampaignSends", record_id=campaign)),
    ]
