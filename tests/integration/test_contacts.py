from collections import Counter
from functools import partial

import pytest

from rapport.auth import caller_from_claims
from rapport.contacts.models import ContactCreate
from rapport.contacts.service import contacts
from tests.integration.race import outcome, race
from tools.lambda_api import Staff, call, create
from tools.metering import dynamodb_requests

SALES = Staff()
ADMIN = SALES.as_("admin")
OTHER_TENANT = Staff(tenant="tenant-b", user="user-9", groups=("admin",))


def test_the_sample_contact_is_created_normalized_with_its_consent():
    reply = call("createContact", headers={"Idempotency-Key": None})
    assert reply.status == 201, reply.body
    contact = reply.body
    assert contact["phone"] == "+442079460958"
    email_consent = {name: value for name, value in contact["consent"]["email"].items() if value is not None}
    assert email_consent == {"status": "opted_in", "at": "2026-11-01T09:30:00Z", "source": "web_form"}
    assert reply.headers["location"] == f"/contacts/{contact['id']}"


@pytest.mark.parametrize(
    ("existing", "duplicate", "field"),
    [
        ({"email": "ada@acme.example"}, {"email": "ADA@acme.example "}, "email"),
        ({"email": "ada@acme.example"}, {"emails": ["other@acme.example", "ada@acme.example"]}, "emails[1]"),
        ({"emails": ["ada@acme.example"]}, {"email": "ada@acme.example"}, "email"),
        ({"phone": "+44 20 7946 0958"}, {"phone": "0044 (20) 7946-0958"}, "phone"),
        ({"phones": ["+14155550100"]}, {"phones": ["+1 415 555 0100"]}, "phones[0]"),
    ],
)
def test_a_duplicate_email_or_phone_is_409_naming_the_existing_contact(existing, duplicate, field):
    first = create("createContact", last_name="First", **existing)
    reply = call("createContact", body={"last_name": "Second", **duplicate}, headers={"Idempotency-Key": None})
    assert reply.status == 409
    assert reply.body["existing"] == {"type": "contact", "id": first["id"]}
    assert reply.body["errors"][0]["field"] == field


def test_nothing_is_half_written_when_one_guard_fails():
    create("createContact", last_name="First", phone="+14155550100")
    reply = call(
        "createContact",
        body={"last_name": "Second", "email": "free@acme.example", "phone": "+14155550100"},
        headers={"Idempotency-Key": None},
    )
    assert reply.status == 409
    assert create("createContact", last_name="Third", email="free@acme.example")


def test_uniqueness_follows_updates_deletes_restores_and_erasure():
    contact = create("createContact", last_name="Moved", email="old@acme.example")
    changed = call("updateContact", record_id=contact["id"], body={"email": "new@acme.example"})
    assert changed.status == 200
    taker = create("createContact", last_name="Taker", email="old@acme.example")
    assert (
        call(
            "createContact", body={"last_name": "x", "email": "new@acme.example"}, headers={"Idempotency-Key": None}
        ).status
        == 409
    )

    assert call("deleteContact", record_id=contact["id"], headers={"If-Match": None}).status == 204
    held = call(
        "createContact", body={"last_name": "x", "email": "new@acme.example"}, headers={"Idempotency-Key": None}
    )
    assert held.status == 409 and held.body["existing"]["id"] == contact["id"]
    assert (
        call("restoreContact", SALES.as_("manager"), record_id=contact["id"], headers={"If-Match": None}).status == 200
    )

    assert (
        call(
            "deleteContact", ADMIN, record_id=contact["id"], query={"permanent": "true"}, headers={"If-Match": None}
        ).status
        == 204
    )
    assert create("createContact", last_name="Heir", email="new@acme.example")
    assert call("getContact", record_id=taker["id"]).body["email"] == "old@acme.example"


def test_a_contact_swapping_its_primary_and_additional_email_keeps_both():
    contact = create("createContact", last_name="Swap", email="a@acme.example", emails=["b@acme.example"])
    reply = call(
        "updateContact", record_id=contact["id"], body={"email": "b@acme.example", "emails": ["a@acme.example"]}
    )
    assert reply.status == 200, reply.body
    for address in ("a@acme.example", "b@acme.example"):
        assert (
            call("createContact", body={"last_name": "x", "email": address}, headers={"Idempotency-Key": None}).status
            == 409
        )


def test_concurrent_creates_with_one_email_create_exactly_one_contact():
    caller = caller_from_claims({"sub": SALES.user, "custom:tenant_id": SALES.tenant, "cognito:groups": "sales"})
    creates = [
        partial(contacts.create, caller, ContactCreate(last_name=f"Racer {number}", email="race@acme.example"))
        for number in range(8)
    ]
    results = race(creates)
    assert Counter(map(outcome, results)) == {"Contact": 1, "Conflict": 7}
    assert len(call("listContacts", query={"email": "race@acme.example"}).body["items"]) == 1


def test_account_id_must_name_a_live_account_of_the_tenant():
    theirs = create("createAccount", OTHER_TENANT, name="Theirs")
    for account_id in (theirs["id"], "01JD5Y7M7ZV1W4T5C9H2K3N4P5"):
        reply = call(
            "createContact", body={"last_name": "x", "account_id": account_id}, headers={"Idempotency-Key": None}
        )
        assert reply.status == 422
        assert reply.body["errors"][0]["field"] == "account_id"
    mine = create("createAccount", name="Mine")
    call("deleteAccount", record_id=mine["id"], headers={"If-Match": None})
    assert (
        call(
            "createContact", body={"last_name": "x", "account_id": mine["id"]}, headers={"Idempotency-Key": None}
        ).status
        == 422
    )


def test_lookups_are_one_query_each():
    account = create("createAccount", name="Acme")
    ada = create(
        "createContact",
        first_name="Ada",
        last_name="Lovelace",
        email="ada@acme.example",
        phone="+442079460958",
        account_id=account["id"],
    )
    create("createContact", first_name="Alan", last_name="Turing", account_id=account["id"])
    create("createContact", first_name="Grace", last_name="Hopper")
    lookups = [
        ({"email": "ADA@acme.example"}, ["Ada"]),
        ({"phone": "+44 20 7946 0958"}, ["Ada"]),
        ({"account_id": account["id"]}, ["Ada", "Alan"]),
        ({"account_id": account["id"], "q": "al"}, ["Alan"]),
        ({"q": "gr"}, ["Grace"]),
        ({}, ["Ada", "Alan", "Grace"]),
    ]
    for query, names in lookups:
        with dynamodb_requests() as requests:
            reply = call("listContacts", query=query)
        assert requests == ["Query"], query
        assert [contact["first_name"] for contact in reply.body["items"]] == names, query
    with dynamodb_requests() as requests:
        of_account = call("listAccountContacts", record_id=account["id"])
    assert requests == ["Query"]
    assert of_account.body["items"][0]["id"] == ada["id"]


def test_an_accounts_contacts_page_through_with_cursors():
    account = create("createAccount", name="Big Co")
    names = [f"Person {number:02}" for number in range(5)]
    for name in names:
        create("createContact", last_name=name, account_id=account["id"])
    seen, cursor = [], None
    while True:
        query = {"limit": "2", **({"cursor": cursor} if cursor else {})}
        page = call("listAccountContacts", record_id=account["id"], query=query).body
        seen += [contact["last_name"] for contact in page["items"]]
        cursor = page["next_cursor"]
        if cursor is None:
            break
    assert seen == names


def test_a_trashed_contact_leaves_lookups():
    contact = create("createContact", last_name="Gone", email="gone@acme.example")
    call("deleteContact", record_id=contact["id"], headers={"If-Match": '"1"'})
    assert call("listContacts", query={"email": "gone@acme.example"}).body["items"] == []
    assert [c["id"] for c in call("listContacts", query={"deleted": "true"}).body["items"]] == [contact["id"]]
    assert call("updateContact", record_id=contact["id"], headers={"If-Match": '"2"'}).status == 409


def test_bad_lookups_are_400():
    reply = call("listContacts", query={"phone": "020 7946 0958"})
    assert reply.status == 400
    assert reply.body["errors"][0]["field"] == "phone"


def test_invalid_contacts_are_422_with_every_field():
    reply = call(
        "createContact",
        body={"email": "nope", "phone": "12", "consent": {"sms": {"status": "maybe"}}, "tags": ["x", "x"]},
        headers={"Idempotency-Key": None},
    )
    assert reply.status == 422
    fields = {error["field"] for error in reply.body["errors"]}
    assert {"email", "phone", "consent.sms.status", "consent.sms.at", "consent.sms.source", "tags"} <= fields


def test_a_nameless_contact_is_422():
    reply = call("createContact", body={"email": "x@acme.example"}, headers={"Idempotency-Key": None})
    assert reply.status == 422
    assert reply.body["errors"][0]["field"] == "last_name"
    assert "first_name or a last_name" in reply.body["errors"][0]["message"]


def test_marketing_may_not_delete_and_other_tenants_get_404():
    contact = create("createContact", last_name="Kept")
    assert call("deleteContact", SALES.as_("marketing"), record_id=contact["id"]).status == 403
    for operation in ("getContact", "updateContact", "deleteContact", "restoreContact"):
        assert call(operation, OTHER_TENANT, record_id=contact["id"]).status == 404
