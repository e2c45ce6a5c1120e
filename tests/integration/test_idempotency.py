from functools import partial

from local.lambda_api import Staff, call
from rapport.accounts.models import AccountCreate
from rapport.accounts.service import accounts
from rapport.auth import caller_from_claims
from rapport.errors import Conflict
from rapport.idempotency import StoredResponse, request_hash, run_once
from tests.integration.race import race


def test_a_retried_create_replays_the_first_response_and_creates_nothing():
    first = call("createAccount")
    again = call("createAccount")
    assert first.status == again.status == 201
    assert again.body == first.body
    assert again.headers["location"] == first.headers["location"]
    assert again.headers["idempotency-replayed"] == "true"
    assert len(call("listAccounts", query={}).body["items"]) == 1


def test_the_same_key_for_another_request_is_refused():
    assert call("createAccount").status == 201
    reply = call("createAccount", body={"name": "Something else"})
    assert reply.status == 422
    assert reply.body["errors"][0] == {
        "field": "idempotency-key",
        "in": "header",
        "message": "was already used for a different request",
        "code": "key_reused",
    }


def test_keys_are_per_tenant_and_user():
    assert call("createAccount").status == 201
    other = call("createAccount", Staff(tenant="tenant-b"))
    assert other.status == 201 and "idempotency-replayed" not in other.headers


def test_a_failed_create_does_not_burn_the_key():
    assert call("createAccount", body={"name": ""}).status == 422
    assert call("createAccount", body={"name": "Fixed"}).status == 201


def test_concurrent_retries_create_one_record():
    caller = caller_from_claims({"sub": "user-1", "custom:tenant_id": "tenant-a", "cognito:groups": "sales"})

    def produce() -> StoredResponse:
        account = accounts.create(caller, AccountCreate(name="Once"))
        return StoredResponse(status=201, body=account.model_dump_json())

    fingerprint = request_hash("POST", "/accounts", '{"name": "Once"}')
    results = race([partial(run_once, caller, "key-1", fingerprint, produce) for _ in range(6)])
    replies = [result for result in results if isinstance(result, StoredResponse)]
    assert replies, results
    assert all(isinstance(result, StoredResponse | Conflict) for result in results)
    assert len({reply.body for reply in replies}) == 1
    assert len(call("listAccounts", query={}).body["items"]) == 1


def test_an_unusable_key_is_400():
    reply = call("createAccount", headers={"Idempotency-Key": "spaces are not allowed"})
    assert reply.status == 400
