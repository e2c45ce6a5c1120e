from concurrent.futures import ThreadPoolExecutor

from local.lambda_api import Staff, call


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
    with ThreadPoolExecutor(max_workers=6) as pool:
        replies = list(pool.map(lambda _: call("createAccount"), range(6)))
    created = {reply.body["id"] for reply in replies if reply.status == 201}
    assert len(created) == 1
    assert {reply.status for reply in replies} <= {201, 409}
    assert len(call("listAccounts", query={}).body["items"]) == 1


def test_an_unusable_key_is_400():
    reply = call("createAccount", headers={"Idempotency-Key": "spaces are not allowed"})
    assert reply.status == 400
