"""POST /leads/{id}/convert: one transaction that links or makes the contact, account and deal."""

from __future__ import annotations

from collections import Counter
from functools import partial
from typing import Any

import pytest

from rapport.auth import caller_from_claims
from rapport.contacts import store as contact_store
from rapport.conversion import service as conversion
from rapport.conversion.models import Conversion, ConvertLead
from rapport.dal import repository
from rapport.errors import Conflict
from tests.integration.race import outcome, race
from tools.lambda_api import Staff, call, create
from tools.metering import dynamodb_requests

SALES = Staff()
MANAGER = SALES.as_("manager")
OTHER_TENANT = Staff(tenant="tenant-b", user="user-9", groups=("admin",))
NO_KEY: dict[str, str | None] = {"Idempotency-Key": None}


@pytest.fixture
def pipeline() -> dict[str, Any]:
    stages = [{"name": "Qualified", "probability": 20}, {"name": "Won", "probability": 100, "status": "won"}]
    return create("createPipeline", MANAGER, name="New business", stages=stages)


def lead(**fields: Any) -> dict[str, Any]:
    base = {"first_name": "Ada", "last_name": "Lovelace", "email": "ada@acme.example", "company": "Acme Ltd",
            "title": "CTO", "phone": "+44 20 7946 0958", "country": "GB", "industry": "Engineering"}  # fmt: skip
    return create("createLead", **{**base, **fields})


def convert(lead_id: str, body: dict[str, Any] | None = None, staff: Staff = SALES) -> Any:
    return call("convertLead", staff, record_id=lead_id, body=body or {}, headers=NO_KEY)


def test_a_new_customer_becomes_account_contact_and_deal_in_one_transaction(pipeline):
    new = lead()
    deal = {"name": "First order", "amount": "12000.00", "pipeline_id": pipeline["id"], "close_date": "2026-12-20"}
    with dynamodb_requests() as requests:
        reply = convert(new["id"], {"deal": deal})
    assert reply.status == 200, reply.body
    assert requests.count("TransactWriteItems") == 1
    assert "Scan" not in requests
    result = reply.body
    assert sorted(result["created"]) == ["account", "contact", "deal"]

    account = call("getAccount", record_id=result["account_id"]).body
    assert (account["name"], account["domain"], account["industry"]) == ("Acme Ltd", "acme.example", "Engineering")
    contact = call("getContact", record_id=result["contact_id"]).body
    assert (contact["email"], contact["phone"], contact["job_title"]) == ("ada@acme.example", "+442079460958", "CTO")
    assert contact["account_id"] == account["id"]
    opened = call("getDeal", record_id=result["deal_id"]).body
    assert opened["contact_ids"] == [contact["id"]]
    assert opened["account_id"] == account["id"]
    converted = call("getLead", record_id=new["id"]).body
    assert converted["status"] == "converted"
    assert converted["converted"]["contact_id"] == contact["id"]
    view = call("getContact360", record_id=contact["id"]).body
    assert [brief["id"] for brief in view["open_deals"]] == [opened["id"]]


def test_an_existing_contact_and_account_are_linked_and_only_their_empty_fields_filled():
    new = lead(email="other@acme.example")  # a lead first: a contact's email would make it a duplicate
    account = create("createAccount", name="Acme Group", domain="acme.example")
    contact = create("createContact", first_name="Ada", last_name="King", email="other@acme.example",
                     job_title="Chief Engineer")  # fmt: skip
    reply = convert(new["id"])
    assert reply.status == 200, reply.body
    assert reply.body["created"] == []
    assert (reply.body["contact_id"], reply.body["account_id"]) == (contact["id"], account["id"])
    contact_now = call("getContact", record_id=contact["id"]).body
    assert contact_now["last_name"] == "King"
    assert contact_now["job_title"] == "Chief Engineer"
    assert contact_now["phone"] == "+442079460958"
    assert contact_now["account_id"] == account["id"]
    assert call("getAccount", record_id=account["id"]).body["industry"] == "Engineering"


@pytest.mark.parametrize("found_by", ["account_id", "the email's domain"])
def test_an_existing_account_with_nothing_to_fill_gets_the_contact_and_the_deal(pipeline, found_by):
    account = create("createAccount", name="Acme Group", domain="acme.example", industry="Chemicals", size="51-200")
    new = lead()
    deal = {"name": "First order", "amount": "12000.00", "pipeline_id": pipeline["id"], "close_date": "2026-12-20"}
    body = {"deal": deal, **({"account_id": account["id"]} if found_by == "account_id" else {})}
    reply = convert(new["id"], body)
    assert reply.status == 200, reply.body
    assert (reply.body["account_id"], sorted(reply.body["created"])) == (account["id"], ["contact", "deal"])
    opened = call("getDeal", record_id=reply.body["deal_id"]).body
    assert (opened["account_id"], opened["contact_ids"]) == (account["id"], [reply.body["contact_id"]])
    assert call("getAccount", record_id=account["id"]).body["industry"] == "Chemicals"


def test_a_free_mail_lead_does_not_claim_the_mail_domain_as_its_company():
    new = lead(email="ada.l@gmail.com")
    reply = convert(new["id"])
    assert reply.status == 200, reply.body
    assert call("getAccount", record_id=reply.body["account_id"]).body["domain"] is None


def test_the_lead_s_interactions_move_into_the_contact_s_timeline():
    new = lead()
    for subject in ("Webinar", "Pricing page"):
        create("createActivity", type="web", subject=subject, lead_id=new["id"])
    contact_id = convert(new["id"]).body["contact_id"]
    timeline = call("listContactTimeline", record_id=contact_id).body["items"]
    assert sorted(item["subject"] for item in timeline) == ["Pricing page", "Webinar"]


def test_converting_twice_is_a_409_naming_the_contact_and_an_idempotent_retry_replays():
    new = lead()
    headers: dict[str, str | None] = {"Idempotency-Key": "convert-once"}
    first = call("convertLead", record_id=new["id"], body={}, headers=headers)
    again = call("convertLead", record_id=new["id"], body={}, headers=headers)
    assert first.status == again.status == 200
    assert again.body == first.body
    assert again.headers["idempotency-replayed"] == "true"
    twice = convert(new["id"])
    assert twice.status == 409
    assert twice.body["existing"] == {"type": "contact", "id": first.body["contact_id"]}


def test_a_failure_leaves_nothing_half_made(pipeline):
    new = lead()
    bad_deal = {"name": "x", "amount": "10.00", "pipeline_id": pipeline["id"], "close_date": "2026-12-20",
                "stage": "No such stage"}  # fmt: skip
    reply = convert(new["id"], {"deal": bad_deal})
    assert reply.status == 422
    assert call("getLead", record_id=new["id"]).body["status"] == "new"
    assert call("listContacts", query={"email": "ada@acme.example"}).body["items"] == []
    assert call("listAccounts", query={"domain": "acme.example"}).body["items"] == []
    assert repository.guard_owner("tenant-a", contact_store.email_guard("ada@acme.example")) is None


def test_a_guard_taken_meanwhile_rolls_the_whole_conversion_back(monkeypatch):
    new = lead()
    monkeypatch.setattr(conversion, "_existing_contact", lambda *_: None)  # as if read before the contact existed
    create("createContact", last_name="Faster", email="ada@acme.example")
    reply = convert(new["id"])
    assert reply.status == 409
    assert reply.body["existing"]["type"] == "contact"
    assert call("getLead", record_id=new["id"]).body["status"] == "new"
    assert call("listAccounts", query={"domain": "acme.example"}).body["items"] == []


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"contact_id": "01JD5Y7M7ZV1W4T5C9H2K3N4P5"}, "contact_id"),
        ({"account_id": "01JD5Y7M7ZV1W4T5C9H2K3N4P5"}, "account_id"),
    ],
)
def test_unknown_links_are_422(body, field):
    reply = convert(lead()["id"], body)
    assert reply.status == 422
    assert reply.body["errors"][0]["field"] == field


def test_roles_and_tenants():
    new = lead()
    assert convert(new["id"], staff=SALES.as_("support")).status == 403
    assert convert(new["id"], staff=OTHER_TENANT).status == 404
    assert call("convertLead", None, record_id=new["id"], body={}).status == 401


def test_concurrent_conversions_of_one_lead_make_one_customer_and_name_it_to_the_others(pipeline):
    new = lead()
    deal = {"name": "First order", "amount": "12000.00", "pipeline_id": pipeline["id"], "close_date": "2026-12-20"}
    request = ConvertLead.model_validate({"deal": deal})
    caller = caller_from_claims({"custom:tenant_id": SALES.tenant, "sub": SALES.user, "cognito:groups": "sales"})
    results = race([partial(conversion.convert, caller, new["id"], request) for _ in range(6)])
    assert Counter(map(outcome, results)) == {"Conversion": 1, "Conflict": 5}
    (won,) = [result for result in results if isinstance(result, Conversion)]
    for lost in (result for result in results if isinstance(result, Conflict)):
        assert (lost.existing_kind, lost.existing_id) == ("contact", won.contact_id)
    assert [item["id"] for item in call("listContacts", query={"email": "ada@acme.example"}).body["items"]] == [
        won.contact_id
    ]
    assert [item["id"] for item in call("listAccounts", query={"domain": "acme.example"}).body["items"]] == [
        won.account_id
    ]
    assert [item["id"] for item in call("listDeals").body["items"]] == [won.deal_id]


def test_if_match_is_optional_on_convert_and_a_stale_one_is_412():
    new = lead()
    stale = call("convertLead", record_id=new["id"], body={}, headers={**NO_KEY, "If-Match": '"7"'})
    assert stale.status == 412
    fresh = call("convertLead", record_id=new["id"], body={}, headers={**NO_KEY, "If-Match": '"1"'})
    assert fresh.status == 200, fresh.body


def test_a_contact_at_another_account_is_not_moved_by_a_conversion():
    new = lead(email="other@acme.example")
    theirs = create("createAccount", name="Their account")
    named = create("createAccount", name="Named account")
    contact = create("createContact", last_name="King", email="other@acme.example", account_id=theirs["id"])
    reply = convert(new["id"], {"account_id": named["id"]})
    assert reply.status == 409
    assert reply.body["existing"] == {"type": "account", "id": theirs["id"]}
    assert reply.body["errors"][0]["field"] == "account_id"
    assert call("getLead", record_id=new["id"]).body["status"] == "new"
    assert call("getContact", record_id=contact["id"]).body["account_id"] == theirs["id"]
    same = convert(new["id"], {"account_id": theirs["id"]})
    assert (same.status, same.body["account_id"]) == (200, theirs["id"])


def test_a_trashed_account_in_the_way_is_a_409_until_it_is_restored_or_another_is_named():
    new = lead(email="other@acme.example")
    gone = create("createAccount", name="Gone", domain="gone.example")
    contact = create("createContact", last_name="King", email="other@acme.example", account_id=gone["id"])
    assert call("deleteAccount", record_id=gone["id"], headers={"If-Match": '"1"'}).status == 204
    reply = convert(new["id"])
    assert reply.status == 409
    assert reply.body["existing"] == {"type": "account", "id": gone["id"]}
    named = create("createAccount", name="Named")
    moved = convert(new["id"], {"account_id": named["id"]})
    assert (moved.status, moved.body["account_id"]) == (200, named["id"])
    assert call("getContact", record_id=contact["id"]).body["account_id"] == named["id"]
    view = call("getContact360", record_id=contact["id"]).body
    assert view["account"]["id"] == named["id"]


def test_a_trashed_account_holding_the_email_s_domain_is_named_when_one_would_be_made():
    gone = create("createAccount", name="Acme old", domain="acme.example")
    assert call("deleteAccount", record_id=gone["id"], headers={"If-Match": '"1"'}).status == 204
    reply = convert(lead()["id"])
    assert reply.status == 409
    assert reply.body["existing"] == {"type": "account", "id": gone["id"]}
    assert "trashed" in reply.body["detail"] and "restore it" in reply.body["detail"]
    without = convert(lead(email="bob@acme.example")["id"], {"create_account": False})
    assert (without.status, without.body["account_id"]) == (200, None)


def test_a_lead_with_nothing_to_name_a_contact_by_is_a_409_that_says_so():
    nameless = create("createLead", email="someone@acme.example")
    reply = convert(nameless["id"])
    assert reply.status == 409
    assert "first_name, last_name or company" in reply.body["detail"]
    assert call("getLead", record_id=nameless["id"]).body["status"] == "new"


def test_the_deal_s_errors_name_deal_fields_and_its_links_are_the_conversion_s(pipeline):
    new = lead()
    deal = {"name": "x", "amount": "10.00", "pipeline_id": pipeline["id"], "close_date": "2026-12-20"}
    unknown_stage = convert(new["id"], {"deal": {**deal, "stage": "Nope"}})
    assert (unknown_stage.status, unknown_stage.body["errors"][0]["field"]) == (422, "deal.stage")
    linked = convert(new["id"], {"deal": {**deal, "account_id": "01JD5Y7M7ZV1W4T5C9H2K3N4P5"}})
    assert linked.status == 422
    assert "account_id" in linked.body["errors"][0]["field"]
    with_role = convert(new["id"], {"deal": {**deal, "contact_role": "decision_maker"}})
    assert with_role.status == 200, with_role.body
    opened = call("getDeal", record_id=with_role.body["deal_id"]).body
    assert opened["contact_roles"] == {with_role.body["contact_id"]: "decision_maker"}


def test_a_lead_s_whole_timeline_is_carried_also_beyond_what_the_conversion_s_transaction_holds(pipeline):
    new = lead()
    logged = [
        create("createActivity", type="note", subject=f"Note {number}", lead_id=new["id"])["id"] for number in range(45)
    ]
    deal = {"name": "First order", "amount": "12000.00", "pipeline_id": pipeline["id"], "close_date": "2026-12-20"}
    result = convert(new["id"], {"deal": deal}).body
    assert result["interactions_carried"] == 45, "each carried activity takes three items: more than one transaction"
    for path, record_id in (
        ("listContactTimeline", result["contact_id"]),
        ("listAccountTimeline", result["account_id"]),
    ):
        shown = call(path, record_id=record_id, query={"limit": "100"}).body["items"]
        assert sorted(entry["id"] for entry in shown if entry["kind"] == "activity") == sorted(logged), path
    corrected = call("updateActivity", record_id=logged[0], body={"subject": "Fixed"}, headers={"If-Match": '"2"'})
    assert corrected.status == 200, corrected.body
    contact_entries = call("listContactTimeline", record_id=result["contact_id"], query={"limit": "100"}).body["items"]
    assert {entry["subject"] for entry in contact_entries if entry["id"] == logged[0]} == {"Fixed"}
