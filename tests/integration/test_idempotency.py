import json
import threading
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from datetime import UTC, datetime, timedelta
from functools import partial
from pathlib import Path
from typing import Any

import pytest

from rapport.accounts.models import AccountCreate
from rapport.accounts.service import accounts
from rapport.auth import caller_from_claims
from rapport.dal.idempotency import IN_PROGRESS, StoredResponse, request_hash, run_once
from rapport.dal.keys import idempotency_pk
from rapport.dal.models import IdempotencyItem
from rapport.errors import Conflict
from tests.integration.race import race
from tools.lambda_api import Staff, call

LEASE = timedelta(seconds=10)


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
    def produce() -> StoredResponse:
        account = accounts.create(CALLER, AccountCreate(name="Once"))
        return StoredResponse(status=201, body=account.model_dump_json())

    fingerprint = request_hash("POST", "/accounts", '{"name": "Once"}')
    results = race([partial(run_once, *KEY, fingerprint, produce, lease=LEASE) for _ in range(6)])
    replies = [result for result in results if isinstance(result, StoredResponse)]
    assert replies, results
    assert all(isinstance(result, StoredResponse | Conflict) for result in results)
    assert len({reply.body for reply in replies}) == 1
    assert len(call("listAccounts", query={}).body["items"]) == 1


def test_an_unusable_key_is_400():
    reply = call("createAccount", headers={"Idempotency-Key": "spaces are not allowed"})
    assert reply.status == 400


CALLER = caller_from_claims({"sub": "user-1", "custom:tenant_id": "tenant-a", "cognito:groups": "sales"})
KEY = (CALLER.tenant_id, CALLER.user_id, "key-1")  # whose key, and the key
FINGERPRINT = request_hash("POST", "/accounts", '{"name": "Once"}')


class Clock:
    """The time the requests see: moved on by hand, as if the first attempt's function had timed out."""

    def __init__(self) -> None:
        self.now = datetime(2026, 11, 30, 9, 0, tzinfo=UTC)

    def __call__(self) -> datetime:
        return self.now


class Attempt:
    """A create that stops where its function times out (before or after its write) until it is let go."""

    def __init__(self, *, stalls: str) -> None:
        self.stalls = stalls
        self.reached, self.go = threading.Event(), threading.Event()

    def produce(self) -> StoredResponse:
        if self.stalls == "before its write":
            self._stall()
        account = accounts.create(CALLER, AccountCreate(name="Once"))
        if self.stalls == "after its write":
            self._stall()
        return StoredResponse(status=201, body=account.model_dump_json())

    def _stall(self) -> None:
        self.reached.set()
        assert self.go.wait(30)


def _rebuild(account_id: str) -> StoredResponse:
    return StoredResponse(status=201, body=accounts.get(CALLER, account_id).model_dump_json())


def _start(pool: ThreadPoolExecutor, attempt: Attempt, clock: Clock) -> Future[StoredResponse]:
    first = pool.submit(run_once, *KEY, FINGERPRINT, attempt.produce, lease=LEASE, clock=clock)
    assert attempt.reached.wait(30)
    return first


def _retry(clock: Clock, produce: Callable[[], StoredResponse]) -> StoredResponse:
    return run_once(*KEY, FINGERPRINT, produce, lease=LEASE, rebuild=_rebuild, clock=clock)


def _accounts() -> list[dict[str, Any]]:
    items: list[dict[str, Any]] = call("listAccounts", query={}).body["items"]
    return items


def test_a_retry_within_the_lease_is_a_409_in_progress():
    clock, first = Clock(), Attempt(stalls="before its write")
    with ThreadPoolExecutor(1) as pool:
        started = _start(pool, first, clock)
        clock.now += LEASE - timedelta(milliseconds=1)
        with pytest.raises(Conflict, match="still in progress"):
            _retry(clock, Attempt(stalls="nowhere").produce)
        first.go.set()
        assert started.result().status == 201
    assert len(_accounts()) == 1


def test_a_retry_after_the_lease_of_an_attempt_that_wrote_nothing_runs_again_and_the_late_attempt_writes_nothing():
    clock, first = Clock(), Attempt(stalls="before its write")
    with ThreadPoolExecutor(1) as pool:
        started = _start(pool, first, clock)
        clock.now += LEASE
        again = _retry(clock, Attempt(stalls="nowhere").produce)
        first.go.set()
        with pytest.raises(Conflict, match="took it over"):
            started.result()
    assert (again.status, again.replayed) == (201, False)
    [account] = _accounts()
    assert account["id"] == json.loads(again.body)["id"]
    assert _retry(clock, Attempt(stalls="nowhere").produce).replayed


def test_a_retry_after_the_lease_of_an_attempt_that_wrote_replays_what_it_made():
    clock, first = Clock(), Attempt(stalls="after its write")
    with ThreadPoolExecutor(1) as pool:
        started = _start(pool, first, clock)
        clock.now += LEASE
        again = _retry(clock, Attempt(stalls="nowhere").produce)
        first.go.set()
        assert json.loads(started.result().body)["id"] == json.loads(again.body)["id"]
    assert (again.status, again.replayed) == (201, True)
    assert len(_accounts()) == 1


def test_over_http_a_key_whose_first_attempt_timed_out_before_writing_creates_the_record():
    sample = json.loads(Path("events/apigw/accounts/createAccount.json").read_text())
    key = sample["headers"]["Idempotency-Key"]
    lapsed = datetime.now(UTC) - timedelta(seconds=1)
    IdempotencyItem(
        idempotency_pk("tenant-a", "user-1", key),
        status=IN_PROGRESS,
        request_hash=request_hash("POST", "/accounts", sample["body"]),
        expires_at=lapsed + timedelta(hours=24),
        lease_id="the-first-attempt",
        lease_until=int(lapsed.timestamp() * 1000),
    ).save()

    reply = call("createAccount")

    assert reply.status == 201, reply.body
    assert "idempotency-replayed" not in reply.headers
    assert call("createAccount").headers["idempotency-replayed"] == "true"
    assert len(_accounts()) == 1


def test_after_the_lease_a_write_whose_answer_cannot_be_rebuilt_is_a_409_naming_what_it_made():
    clock, first = Clock(), Attempt(stalls="after its write")
    with ThreadPoolExecutor(1) as pool:
        started = _start(pool, first, clock)
        clock.now += LEASE
        with pytest.raises(Conflict, match="answer was lost") as lost:
            run_once(
                CALLER.tenant_id,
                CALLER.user_id,
                "key-1",
                FINGERPRINT,
                Attempt(stalls="nowhere").produce,
                lease=LEASE,
                clock=clock,
            )
        first.go.set()
        made = json.loads(started.result().body)
    assert lost.value.extensions() == {"existing": {"type": "account", "id": made["id"]}}
    assert len(_accounts()) == 1
