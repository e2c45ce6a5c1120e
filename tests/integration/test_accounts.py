from functools import partial

import pytest

from rapport.accounts.models import Account, AccountCreate
from rapport.accounts.service import accounts
from rapport.auth import caller_from_claims
from rapport.errors import Conflict
from tests.integration.race import outcome, race
from tools.lambda_api import Staff, call, create
from tools.metering import dynamodb_requests

SALES = Staff()
OTHER_TENANT = Staff(tenant="tenant-b", user="user-9")
CALLER = caller_from_claims({"sub": SALES.user, "custom:tenant_id": SALES.tenant, "cognito:groups": "sales"})


def test_create_answers_201_with_location_etag_and_audit_fields():
    reply = call("createAccount", headers={"Idempotency-Key": None})
    assert reply.status == 201
    account = reply.body
    assert reply.headers["location"] == f"/accounts/{account['id']}"
    assert reply.etag == '"1"'
    assert account["domain"] == "acme.example"
    assert account["created_by"] == account["updated_by"] == SALES.user
    assert account["version"] == 1 and account["deleted_at"] is None


def test_read_returns_the_record_and_its_etag():
    account = create("createAccount", name="Globex", domain="https://www.Globex.example/")
    reply = call("getAccount", record_id=account["id"])
    assert reply.status == 200
    assert reply.body["domain"] == "globex.example"
    assert reply.etag == '"1"'


def test_unknown_and_other_tenants_records_are_404_on_every_route():
    account = create("createAccount", name="Initech")
    for operation in ("getAccount", "updateAccount", "deleteAccount", "restoreAccount", "listAccountContacts"):
        for record_id in (account["id"], "01JD5Y7M7ZV1W4T5C9H2K3N4P5"):
            staff = OTHER_TENANT if record_id == account["id"] else SALES
            reply = call(operation, staff.as_("admin"), record_id=record_id, headers={"If-Match": '"1"'})
            assert reply.status == 404, (operation, reply.body)
            assert reply.headers["content-type"] == "application/problem+json"


def test_no_identity_is_401():
    reply = call("listAccounts", None)
    assert reply.status == 401
    assert reply.body["type"] == "urn:rapport:problem:unauthenticated"


def test_support_may_edit_but_not_delete_an_account():
    account = create("createAccount", name="Umbrella")
    support = SALES.as_("support")
    assert call("updateAccount", support, record_id=account["id"]).status == 200
    reply = call("deleteAccount", support, record_id=account["id"], headers={"If-Match": None})
    assert reply.status == 403
    assert call("getAccount", record_id=account["id"]).body["deleted_at"] is None


def test_only_admin_may_erase():
    account = create("createAccount", name="Hooli")
    erase = {"permanent": "true"}
    assert call("deleteAccount", SALES.as_("manager"), record_id=account["id"], query=erase).status == 403
    reply = call("deleteAccount", SALES.as_("admin"), record_id=account["id"], query=erase, headers={"If-Match": None})
    assert reply.status == 204
    assert call("getAccount", record_id=account["id"]).status == 404


def test_a_taken_domain_is_409_naming_the_existing_account():
    first = create("createAccount", name="Acme", domain="acme.example")
    reply = call(
        "createAccount", body={"name": "Acme again", "domain": "WWW.ACME.EXAMPLE"}, headers={"Idempotency-Key": None}
    )
    assert reply.status == 409
    assert reply.body["existing"] == {"type": "account", "id": first["id"]}
    assert reply.body["errors"][0]["field"] == "domain"


def test_changing_the_domain_frees_the_old_one():
    first = create("createAccount", name="Acme", domain="acme.example")
    reply = call("updateAccount", record_id=first["id"], body={"domain": "acme-group.example"})
    assert reply.status == 200, reply.body
    assert create("createAccount", name="Other Acme", domain="acme.example")["domain"] == "acme.example"
    clash = call("createAccount", body={"name": "x", "domain": "acme-group.example"}, headers={"Idempotency-Key": None})
    assert clash.status == 409


def test_a_trashed_account_keeps_its_domain_until_erased_and_can_be_restored():
    account = create("createAccount", name="Acme", domain="acme.example")
    assert call("deleteAccount", record_id=account["id"], headers={"If-Match": None}).status == 204
    trashed = call("getAccount", record_id=account["id"]).body
    assert trashed["deleted_at"] is not None and trashed["deleted_by"] == SALES.user
    assert (
        call("createAccount", body={"name": "x", "domain": "acme.example"}, headers={"Idempotency-Key": None}).status
        == 409
    )
    assert call("listAccounts", query={}).body["items"] == []
    assert [a["id"] for a in call("listAccounts", query={"deleted": "true"}).body["items"]] == [account["id"]]
    restored = call("restoreAccount", SALES.as_("manager"), record_id=account["id"], headers={"If-Match": None})
    assert restored.status == 200 and restored.body["deleted_at"] is None
    assert (
        call("restoreAccount", SALES.as_("manager"), record_id=account["id"], headers={"If-Match": None}).status == 409
    )
    call(
        "deleteAccount",
        SALES.as_("admin"),
        record_id=account["id"],
        query={"permanent": "true"},
        headers={"If-Match": None},
    )
    assert create("createAccount", name="Acme reborn", domain="acme.example")


def test_an_account_with_contacts_cannot_be_erased():
    account = create("createAccount", name="Acme")
    create("createContact", last_name="Lovelace", account_id=account["id"])
    reply = call(
        "deleteAccount",
        SALES.as_("admin"),
        record_id=account["id"],
        query={"permanent": "true"},
        headers={"If-Match": None},
    )
    assert reply.status == 409


def test_patch_needs_if_match_and_refuses_a_stale_version():
    account = create("createAccount", name="Acme")
    assert call("updateAccount", record_id=account["id"], headers={"If-Match": None}).status == 428
    assert call("updateAccount", record_id=account["id"], headers={"If-Match": "three"}).status == 400
    assert call("updateAccount", record_id=account["id"], headers={"If-Match": '"1"'}).status == 200
    stale = call("updateAccount", record_id=account["id"], headers={"If-Match": '"1"'})
    assert stale.status == 412
    assert stale.body["type"] == "urn:rapport:problem:stale-version"
    current = call("getAccount", record_id=account["id"])
    assert current.etag == '"2"'
    assert call("updateAccount", record_id=account["id"], headers={"If-Match": current.etag}).status == 200


def test_patch_is_a_merge_patch():
    account = create("createAccount", name="Acme", industry="Retail", tags=["a"])
    reply = call("updateAccount", record_id=account["id"], body={"industry": None, "tags": ["b"]})
    assert reply.status == 200
    assert (reply.body["name"], reply.body["industry"], reply.body["tags"]) == ("Acme", None, ["b"])
    assert reply.body["version"] == 2 and reply.etag == '"2"'
    cleared = call("updateAccount", record_id=account["id"], body={"name": None}, headers={"If-Match": '"2"'})
    assert cleared.status == 422
    assert cleared.body["errors"][0]["field"] == "name"


def test_two_writers_on_one_version_one_wins_one_gets_412():
    account = create("createAccount", name="Acme")
    renames = [partial(accounts.update, CALLER, account["id"], {"name": name}, 1) for name in ("One", "Two")]
    results = race(renames)
    assert sorted(map(outcome, results)) == ["Account", "PreconditionFailed"]
    current = call("getAccount", record_id=account["id"]).body
    assert current["version"] == 2
    assert current["name"] in {"One", "Two"}


def test_concurrent_creates_with_one_domain_create_exactly_one_account():
    creates = [
        partial(accounts.create, CALLER, AccountCreate(name=f"Racer {number}", domain="race.example"))
        for number in range(8)
    ]
    results = race(creates)
    assert sorted(map(outcome, results)) == ["Account"] + ["Conflict"] * 7
    [winner] = [result for result in results if isinstance(result, Account)]
    assert {result.existing_id for result in results if isinstance(result, Conflict)} == {winner.id}
    assert len(call("listAccounts", query={"domain": "race.example"}).body["items"]) == 1


def test_bad_input_is_422_listing_every_field():
    reply = call(
        "createAccount",
        body={"domain": "not a domain", "size": "huge", "address": {"country": "gbr"}, "colour": "red"},
        headers={"Idempotency-Key": None},
    )
    assert reply.status == 422
    assert reply.headers["content-type"] == "application/problem+json"
    fields = {error["field"] for error in reply.body["errors"]}
    assert fields == {"name", "domain", "size", "address.country", "colour"}


@pytest.mark.parametrize("body", ["{not json", "", "[]", '"text"'])
def test_a_body_that_is_not_an_object_is_422(body):
    reply = call("createAccount", body=body, headers={"Idempotency-Key": None})
    assert reply.status == 422, reply.body


@pytest.mark.parametrize("query", [{"limit": "0"}, {"limit": "101"}, {"limit": "ten"}, {"domain": "not a domain"}])
def test_bad_query_parameters_are_400(query):
    reply = call("listAccounts", query=query)
    assert reply.status == 400
    assert reply.body["errors"][0]["in"] == "query"


def test_list_by_name_prefix_and_domain_one_query_each():
    for name in ("Acme", "Acme Labs", "Zenith", "Ácmé Ventures"):
        create(
            "createAccount",
            name=name,
            domain=f"{name.lower().replace(' ', '').replace('á', 'a').replace('é', 'e')}.example",
        )
    with dynamodb_requests() as requests:
        by_name = call("listAccounts", query={"q": "acm"})
    assert requests == ["Query"]
    assert [a["name"] for a in by_name.body["items"]] == ["Acme", "Acme Labs", "Ácmé Ventures"]
    with dynamodb_requests() as requests:
        by_domain = call("listAccounts", query={"domain": "https://zenith.example"})
    assert requests == ["Query"]
    assert [a["name"] for a in by_domain.body["items"]] == ["Zenith"]


def test_pages_walk_the_whole_list_with_cursors_bound_to_the_query():
    names = [f"Company {number:02}" for number in range(7)]
    for name in names:
        create("createAccount", name=name)
    seen: list[str] = []
    cursor = None
    while True:
        query = {"limit": "3", **({"cursor": cursor} if cursor else {})}
        page = call("listAccounts", query=query).body
        seen += [account["name"] for account in page["items"]]
        cursor = page["next_cursor"]
        if cursor is None:
            break
    assert seen == names
    first = call("listAccounts", query={"limit": "3"}).body["next_cursor"]
    assert call("listAccounts", query={"limit": "3", "cursor": first, "q": "comp"}).status == 400
    assert call("listAccounts", OTHER_TENANT, query={"limit": "3", "cursor": first}).status == 400
    forged = call("listAccounts", query={"cursor": first[:-2] + "xx"})
    assert forged.status == 400 and forged.body["errors"][0]["field"] == "cursor"


def test_tenants_never_see_each_other():
    create("createAccount", name="Mine", domain="mine.example")
    assert call("listAccounts", OTHER_TENANT, query={}).body["items"] == []
    assert call("listAccounts", OTHER_TENANT, query={"domain": "mine.example"}).body["items"] == []
    theirs = create("createAccount", OTHER_TENANT, name="Theirs", domain="mine.example")
    assert theirs["domain"] == "mine.example"


def test_a_fault_of_ours_is_a_500_problem_without_internals(monkeypatch):
    from rapport.dal import repository

    def broken(*_: object, **__: object) -> None:
        raise RuntimeError("secret internals")

    monkeypatch.setattr(repository, "get", broken)
    reply = call("getAccount", record_id="01JD5Y7M7ZV1W4T5C9H2K3N4P5")
    assert reply.status == 500
    assert reply.body["type"] == "urn:rapport:problem:internal"
    assert "secret" not in reply.body["detail"]


def test_a_body_of_another_media_type_is_a_415():
    reply = call("createAccount", headers={"Content-Type": "text/plain", "Idempotency-Key": None})
    assert reply.status == 415
    assert reply.body["type"] == "urn:rapport:problem:unsupported-media-type"


@pytest.mark.parametrize("media_type", ["multipart/form-data", "application/x-www-form-urlencoded", "text/plain"])
def test_a_body_that_is_not_json_is_a_415_before_the_route_reads_it(media_type):
    reply = call("createAccount", headers={"Content-Type": media_type, "Idempotency-Key": None})
    assert reply.status == 415
    assert reply.body["type"] == "urn:rapport:problem:unsupported-media-type"
