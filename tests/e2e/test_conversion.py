"""Lead conversion over HTTP: the B2B paths (into an existing account, with a deal), a lead carrying many
interactions, a new customer, concurrent conversions; afterwards every read agrees. The full product of the
options is tests/integration/test_lead_conversion_combinations.py."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest

from tests.e2e.conftest import Client, Staff, problem

LEAD = {
    "first_name": "Ada", "last_name": "Lovelace", "email": "ada@acme.example", "title": "CTO",
    "phone": "+44 20 7946 0958", "industry": "Engineering",
}  # fmt: skip
STAGES = [{"name": "Qualified", "probability": 20}, {"name": "Won", "probability": 100, "status": "won"}]


@pytest.fixture
def deal(staff: Staff) -> dict[str, Any]:
    pipeline = staff("manager").create("pipelines", name="New business", stages=STAGES)
    return {"name": "First order", "amount": "12000.00", "pipeline_id": pipeline["id"], "close_date": "2026-12-20"}


def converted(sales: Client, lead_id: str, body: dict[str, Any]) -> dict[str, Any]:
    """Convert, then check that the lead, contact, 360 view, account and deal all say the same."""
    reply = sales.post(f"/leads/{lead_id}/convert", json=body)
    assert reply.status_code == 200, reply.text
    result: dict[str, Any] = reply.json()
    contact_id, account_id, deal_id = result["contact_id"], result["account_id"], result["deal_id"]
    links = sales.get(f"/leads/{lead_id}").json()["converted"]
    assert (links["contact_id"], links["account_id"], links["deal_id"]) == (contact_id, account_id, deal_id)
    assert sales.get(f"/contacts/{contact_id}").json()["account_id"] == account_id
    view = sales.get(f"/contacts/{contact_id}/360").json()
    assert (view["account"] or {}).get("id") == account_id
    assert [brief["id"] for brief in view["open_deals"]] == ([deal_id] if deal_id else [])
    if account_id:
        members = sales.get(f"/accounts/{account_id}/contacts").json()["items"]
        assert contact_id in [member["id"] for member in members]
    if deal_id:
        opened = sales.get(f"/deals/{deal_id}").json()
        assert (opened["account_id"], opened["contact_ids"]) == (account_id, [contact_id])
    return result


@pytest.mark.parametrize("found_by", ["account_id", "domain"])
def test_a_lead_converts_into_an_existing_account_with_a_deal(
    staff: Staff, deal: dict[str, Any], found_by: str
) -> None:
    sales = staff("sales")
    account = sales.create("accounts", name="Acme Group", domain="acme.example", industry="Chemicals", size="51-200")
    lead = sales.create("leads", **LEAD)
    body = {"deal": deal, **({"account_id": account["id"]} if found_by == "account_id" else {})}
    result = converted(sales, lead["id"], body)
    assert (result["account_id"], sorted(result["created"])) == (account["id"], ["contact", "deal"])
    assert sales.get(f"/accounts/{account['id']}").json()["industry"] == "Chemicals"


def test_a_lead_with_many_interactions_converts_in_time_and_brings_them_along(
    staff: Staff, deal: dict[str, Any]
) -> None:
    sales = staff("sales")
    account = sales.create("accounts", name="Acme Group", domain="acme.example")
    lead = sales.create("leads", **LEAD)
    for number in range(40):
        sales.create("activities", type="note", subject=f"Note {number}", lead_id=lead["id"])
    result = converted(sales, lead["id"], {"deal": deal})
    assert (result["account_id"], result["interactions_carried"]) == (account["id"], 40)
    timeline = sales.get(f"/contacts/{result['contact_id']}/timeline", params={"limit": 100}).json()["items"]
    assert len(timeline) == 40


def test_a_known_contact_brings_its_account_and_a_new_customer_is_made_whole(
    staff: Staff, deal: dict[str, Any]
) -> None:
    sales = staff("sales")
    lead = sales.create("leads", **{**LEAD, "email": "grace@hopper.example", "company": "Hopper Inc"})
    account = sales.create("accounts", name="Hopper Group")
    contact = sales.create("contacts", last_name="Hopper", email="grace@hopper.example", account_id=account["id"])
    known = converted(sales, lead["id"], {})
    assert (known["contact_id"], known["account_id"], known["created"]) == (contact["id"], account["id"], [])
    fresh = sales.create("leads", **{**LEAD, "phone": "+44 20 7946 0999", "company": "Acme Ltd"})
    made = converted(sales, fresh["id"], {"deal": deal})
    assert sorted(made["created"]) == ["account", "contact", "deal"]


def test_concurrent_conversions_of_one_lead_answer_one_200_and_409s_naming_the_contact(
    staff: Staff, deal: dict[str, Any]
) -> None:
    sales = staff("sales")
    lead = sales.create("leads", **LEAD, company="Acme Ltd")
    clients = [staff("sales") for _ in range(5)]  # a session each: one per concurrent client
    with ThreadPoolExecutor(max_workers=len(clients)) as pool:
        # Reads at once first, so that the function has a warm worker for each conversion, as Lambda would.
        warmed = list(pool.map(lambda client: client.get(f"/leads/{lead['id']}"), clients))
        assert all(reply.status_code == 200 for reply in warmed)
        replies = list(
            pool.map(lambda client: client.post(f"/leads/{lead['id']}/convert", json={"deal": deal}), clients)
        )
    statuses = sorted(reply.status_code for reply in replies)
    assert statuses == [200, 409, 409, 409, 409], [reply.text for reply in replies]
    (won,) = [reply.json() for reply in replies if reply.status_code == 200]
    for reply in replies:
        if reply.status_code == 409:
            assert problem(reply, 409)["existing"] == {"type": "contact", "id": won["contact_id"]}
    assert len(sales.get("/deals").json()["items"]) == 1
