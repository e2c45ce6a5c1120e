"""Ids and claims are checked whole: a trailing newline (which `^…$` lets through) makes them invalid."""

import pytest

from tools.lambda_api import Staff, call, create

SALES = Staff()


@pytest.mark.parametrize("suffix", ["\n", "%0A"])
def test_a_path_id_with_a_trailing_newline_names_no_record(suffix):
    contact = create("createContact", last_name="Lovelace")
    reply = call("deleteContact", record_id=contact["id"] + suffix, headers={"If-Match": None})
    assert reply.status in (400, 404), reply.body
    assert reply.headers["content-type"] == "application/problem+json"
    assert call("getContact", record_id=contact["id"]).body["deleted_at"] is None


def test_a_query_id_with_a_trailing_newline_is_a_400_naming_it():
    account = create("createAccount", name="Acme")
    reply = call("listContacts", query={"account_id": account["id"] + "\n"})
    assert reply.status == 400, reply.body
    assert [error["field"] for error in reply.body["errors"]] == ["account_id"]


def test_a_tenant_claim_with_a_trailing_newline_is_no_tenant():
    create("createAccount", name="Acme")
    reply = call("listAccounts", Staff(tenant=SALES.tenant + "\n"), query={})
    assert reply.status == 401
    assert reply.body["type"] == "urn:rapport:problem:unauthenticated"
