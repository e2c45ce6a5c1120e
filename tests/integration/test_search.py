"""Finding people and companies: by any word of a name, every email and phone, owner, tag, account; ONE Query each."""

from typing import Any

import pytest

from rapport.contacts.manifest import CONTACT
from rapport.dal import keys, repository
from rapport.dal.repository import UnitOfWork
from tests.integration.sales import pipeline
from tools import reindex
from tools.lambda_api import Staff, call, create
from tools.metering import dynamodb_requests

SALES = Staff()
ADMIN = SALES.as_("admin")
MANAGER = SALES.as_("manager")
UNCONDITIONAL: dict[str, str | None] = {"If-Match": None}


def found(operation: str, **query: str) -> list[str]:
    """The ids a list answers with, in order, checking that it took ONE Query."""
    with dynamodb_requests() as requests:
        reply = call(operation, query=query)
    assert reply.status == 200, reply.body
    assert requests == ["Query"], (query, requests)
    return [item["id"] for item in reply.body["items"]]


def patch(operation: str, record: dict[str, Any], **fields: Any) -> dict[str, Any]:
    """`fields` changed by an admin (who may change anyone's records)."""
    headers: dict[str, str | None] = {"If-Match": f'"{record["version"]}"'}
    reply = call(operation, ADMIN, record_id=record["id"], body=fields, headers=headers)
    assert reply.status == 200, reply.body
    return dict(reply.body)


def test_contacts_are_found_by_any_word_of_their_names_case_and_accents_aside():
    rachael = create("createContact", first_name="Rachael", last_name="Rosen")
    zoe = create("createContact", first_name="Zoë", last_name="O'Neil-Smith")
    roy = create("createContact", first_name="Roy", last_name="Batty")
    assert found("listContacts", q="rosen") == [rachael["id"]]
    assert found("listContacts", q="ROS") == [rachael["id"]]
    assert found("listContacts", q="ro") == [rachael["id"], roy["id"]]  # by the word matched: rosen, then roy
    assert found("listContacts", q="zoe") == found("listContacts", q="ZOË") == [zoe["id"]]
    assert found("listContacts", q="smith") == found("listContacts", q="oneil") == [zoe["id"]]
    assert found("listContacts", q="rosen rach") == [rachael["id"]]
    assert found("listContacts", q="rosen roy") == []
    assert found("listContacts", q="batty", account_id="none") == []


def test_a_contact_matching_two_words_of_a_query_is_listed_once():
    ann = create("createContact", first_name="Ann", last_name="Annabel")
    assert found("listContacts", q="ann") == [ann["id"]]
    assert found("listContacts", q="ann annab") == [ann["id"]]


def test_accounts_are_found_by_a_word_inside_their_name():
    tyrell = create("createAccount", name="Tyrell Corporation")
    acme = create("createAccount", name="Acme Corp.")
    create("createAccount", name="Initech")
    assert found("listAccounts", q="corp") == [acme["id"], tyrell["id"]]
    assert found("listAccounts", q="corporation") == [tyrell["id"]]
    assert found("listAccounts", q="tyrell corp") == [tyrell["id"]]


def test_an_account_search_narrowed_to_an_account_is_one_query():
    acme = create("createAccount", name="Acme")
    alan = create("createContact", first_name="Alan", last_name="Turing", account_id=acme["id"])
    create("createContact", first_name="Alan", last_name="Kay")
    assert found("listContacts", q="al", account_id=acme["id"]) == [alan["id"]]


def test_every_email_and_phone_a_contact_holds_finds_it_and_none_it_gave_up():
    contact = create(
        "createContact",
        last_name="Many",
        email="one@acme.example",
        emails=["two@acme.example", "three@acme.example"],
        phone="+14155550100",
        phones=["+442079460958"],
    )
    for address in ("one@acme.example", "TWO@acme.example", "three@acme.example"):
        assert found("listContacts", email=address) == [contact["id"]]
    for number in ("+1 415 555 0100", "+44 20 7946 0958"):
        assert found("listContacts", phone=number) == [contact["id"]]
    changed = patch("updateContact", contact, emails=["four@acme.example"], phones=[], email="one@acme.example")
    assert found("listContacts", email="two@acme.example") == []
    assert found("listContacts", email="four@acme.example") == [contact["id"]]
    assert found("listContacts", phone="+442079460958") == []
    listed = call("listContacts", query={"email": "four@acme.example"}).body["items"][0]
    assert listed == call("getContact", record_id=contact["id"]).body == changed, "a copy of the record as it is"


def test_contacts_by_owner_and_by_tag():
    ann = create("createContact", last_name="A", owner_id="ann", tags=["VIP", "renewal"])
    create("createContact", last_name="B", owner_id="bob", tags=["vip-ish"])
    assert found("listContacts", owner_id="ann") == [ann["id"]]
    assert found("listContacts", tag="vip") == found("listContacts", tag="Vip") == [ann["id"]]
    moved = patch("updateContact", ann, owner_id="bob", tags=["renewal"])
    assert found("listContacts", owner_id="ann") == [] and found("listContacts", tag="vip") == []
    assert moved["id"] in found("listContacts", owner_id="bob")


def test_trash_restore_and_erase_take_a_record_out_of_every_lookup_and_back():
    contact = create("createContact", first_name="Gone", last_name="Soon", email="gone@acme.example", tags=["x"])
    lookups = [{"q": "gone"}, {"email": "gone@acme.example"}, {"tag": "x"}]
    assert call("deleteContact", record_id=contact["id"], headers=UNCONDITIONAL).status == 204
    assert all(found("listContacts", **query) == [] for query in lookups)
    assert call("restoreContact", MANAGER, record_id=contact["id"], headers=UNCONDITIONAL).status == 200
    assert all(found("listContacts", **query) == [contact["id"]] for query in lookups)
    erase = call("deleteContact", ADMIN, record_id=contact["id"], query={"permanent": "true"}, headers=UNCONDITIONAL)
    assert erase.status == 204
    assert all(found("listContacts", **query) == [] for query in lookups)


def test_a_rename_moves_the_words():
    account = create("createAccount", name="Old Name Ltd")
    renamed = patch("updateAccount", account, name="Brand New")
    assert found("listAccounts", q="old") == []
    assert found("listAccounts", q="brand") == [renamed["id"]]


def test_leads_by_email_and_by_name_or_company():
    lead = create(
        "createLead", first_name="Ada", last_name="Lovelace", company="Analytical Engines", email="a@x.example"
    )
    create("createLead", first_name="Grace", email="g@x.example")
    assert found("listLeads", email="A@x.example") == [lead["id"]]
    assert found("listLeads", q="engines") == found("listLeads", q="love") == [lead["id"]]
    assert found("listLeads", email="a@x.example", min_score="0") == [lead["id"]]
    assert found("listLeads", email="a@x.example", min_score="99") == []


def test_an_accounts_deals_follow_the_deal():
    pipe = pipeline()
    acme, globex = create("createAccount", name="Acme"), create("createAccount", name="Globex")
    fields = {"amount": "100.00", "pipeline_id": pipe["id"], "close_date": "2026-12-01"}
    deal = create("createDeal", name="Big", account_id=acme["id"], **fields)
    create("createDeal", name="Other", **fields)
    assert found("listDeals", account_id=acme["id"]) == [deal["id"]]
    activity = create("createActivity", type="call", deal_id=deal["id"])
    listed = call("listDeals", query={"account_id": acme["id"]}).body["items"][0]
    assert listed == call("getDeal", record_id=deal["id"]).body, "an activity on the deal reaches its copy"
    assert listed["last_activity_at"] == activity["created_at"]
    moved = patch("updateDeal", listed, account_id=globex["id"])
    assert found("listDeals", account_id=acme["id"]) == []
    assert found("listDeals", account_id=globex["id"]) == [moved["id"]]


@pytest.mark.parametrize(
    ("operation", "query", "fields"),
    [
        ("listContacts", {"q": "ada", "email": "a@x.example"}, ["email", "q"]),
        ("listContacts", {"tag": "vip", "owner_id": "ann"}, ["owner_id", "tag"]),
        ("listContacts", {"deleted": "true", "phone": "+14155550100"}, ["deleted", "phone"]),
        ("listAccounts", {"q": "acme", "domain": "acme.example"}, ["domain", "q"]),
        ("listLeads", {"q": "ada", "status": "new"}, ["q", "status"]),
        ("listDeals", {"account_id": "A1", "status": "open"}, ["account_id", "status"]),
    ],
)
def test_filters_that_do_not_go_together_are_400_listing_the_combinations(operation, query, fields):
    reply = call(operation, query=query)
    assert reply.status == 400
    assert [error["field"] for error in reply.body["errors"]] == fields
    assert "The filter combinations are:" in reply.body["detail"]


@pytest.mark.parametrize("q", ["!!!", "--"])
def test_a_search_without_a_letter_or_digit_is_400(q):
    reply = call("listContacts", query={"q": q})
    assert reply.status == 400 and reply.body["errors"][0]["field"] == "q"


def test_a_change_too_big_for_one_transaction_is_422_and_writes_nothing():
    contact = create("createContact", last_name="Tagged", tags=[f"old-{number}" for number in range(50)])
    reply = call(
        "updateContact",
        record_id=contact["id"],
        body={"tags": [f"new-{number}" for number in range(50)]},
        headers={"If-Match": '"1"'},
    )
    assert reply.status == 422, reply.body
    assert "tags" in [error["field"] for error in reply.body["errors"]]
    assert call("getContact", record_id=contact["id"]).body == contact
    half = patch("updateContact", contact, tags=[f"new-{number}" for number in range(25)])
    assert found("listContacts", tag="new-3") == [half["id"]] and found("listContacts", tag="old-3") == []


def test_records_written_before_search_entries_get_them_from_reindex():
    contact = create("createContact", first_name="Early", last_name="Bird", email="early@acme.example")
    record = repository.get(SALES.tenant, CONTACT, contact["id"])
    assert record is not None
    old = UnitOfWork()  # as the record was stored before search entries: no entries, primary email on gsi2
    old.put_record(record, keys.IndexKeys(gsi1pk=keys.list_pk(SALES.tenant, CONTACT), gsi1sk="early bird"))
    old.commit()
    assert found("listContacts", q="bird") == []
    assert reindex.reindex() == (1, 0)
    assert found("listContacts", q="bird") == found("listContacts", email="early@acme.example") == [contact["id"]]
    assert reindex.reindex() == (0, 0)
