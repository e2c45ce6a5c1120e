"""`UnitOfWork.commit` against a fake DynamoDB: what a cancelled transaction becomes, and when it is sent again."""

from __future__ import annotations

import copy
import time
from collections.abc import Callable
from typing import Any

import pytest
from pynamodb.connection.base import Connection
from pynamodb.exceptions import CancellationReason, TransactWriteError, VerboseClientError

from rapport.accounts.manifest import ACCOUNT
from rapport.activities.manifest import ACTIVITY
from rapport.api.problems import problem_response
from rapport.contacts.manifest import CONTACT
from rapport.dal import keys, repository
from rapport.dal.keys import IndexKeys
from rapport.dal.models import RecordItem
from rapport.dal.repository import Parent, ParentMissing, Record, UnitOfWork
from rapport.deals import store as sales
from rapport.deals.manifest import DEAL
from rapport.errors import Busy

TENANT = "tenant-a"
NOW = "2026-11-20T14:30:00Z"


def cancelled(*codes: str | None) -> TransactWriteError:
    """What PynamoDB raises when DynamoDB cancels a transaction, with one reason (or None) per item."""
    reasons = [CancellationReason(code=code) if code else None for code in codes]
    cause = VerboseClientError(
        {"Error": {"Code": "TransactionCanceledException", "Message": "Transaction cancelled"}},
        "TransactWriteItems",
        cancellation_reasons=reasons,
    )
    return TransactWriteError("Failed to write transaction items", cause)


class FakeDynamoDB:
    """Stands in for `Connection.transact_write_items`: fails with the queued errors, then succeeds."""

    def __init__(self, failures: list[TransactWriteError]) -> None:
        self.failures = failures
        self.sent: list[dict[str, Any]] = []

    def transact_write_items(self, _connection: Connection, **request: Any) -> dict[str, Any]:
        self.sent.append(copy.deepcopy(request))
        if self.failures:
            raise self.failures.pop(0)
        return {}


@pytest.fixture
def pauses(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    taken: list[int] = []
    monkeypatch.setattr(repository, "_pause", taken.append)
    return taken


def dynamodb(monkeypatch: pytest.MonkeyPatch, *failures: TransactWriteError) -> FakeDynamoDB:
    fake = FakeDynamoDB(list(failures))
    monkeypatch.setattr(
        Connection, "transact_write_items", lambda self, **request: fake.transact_write_items(self, **request)
    )
    return fake


def activity_work() -> tuple[UnitOfWork, Record]:
    """An activity's kind of transaction: a new record, a user's monthly stats, and a versioned deal update."""
    record = Record(ACTIVITY, "A1", TENANT, {"type": "call"}, NOW, "user-1", NOW, "user-1")
    work = UnitOfWork()
    work.put_record(record, IndexKeys())
    work.update_item(*sales.count_activity(TENANT, "user-1", NOW))
    work.update_item(*sales.touch_deal_activity(TENANT, "D1", NOW, "user-1"))
    return work, record


def test_a_transaction_cancelled_for_a_conflict_is_sent_again_unchanged(monkeypatch, pauses):
    conflict = cancelled(None, "TransactionConflict", None)
    fake = dynamodb(monkeypatch, conflict, conflict)
    work, record = activity_work()
    work.commit()
    assert len(fake.sent) == 3
    assert fake.sent[1] == fake.sent[0] and fake.sent[2] == fake.sent[0], "each send is the same request"
    assert pauses == [0, 1]
    assert record.version == 1, "the version moves once, on success"


def test_a_transaction_that_keeps_conflicting_is_busy(monkeypatch, pauses):
    fake = dynamodb(monkeypatch, *[cancelled("TransactionConflict", None, None)] * repository.TRANSACTION_ATTEMPTS)
    work, record = activity_work()
    with pytest.raises(Busy) as raised:
        work.commit()
    assert len(fake.sent) == repository.TRANSACTION_ATTEMPTS
    assert pauses == list(range(repository.TRANSACTION_ATTEMPTS - 1))
    assert record.version is None, "nothing was written"
    response = problem_response(raised.value)
    assert response.status_code == 409
    assert response.content_type == "application/problem+json"
    assert "busy" in str(response.body) and "retry" in str(response.body)


def test_a_failed_condition_is_not_sent_again_even_beside_a_conflict(monkeypatch, pauses):
    # Sent as checks, deletes, puts, updates: the deal's update is the third item.
    fake = dynamodb(monkeypatch, cancelled("TransactionConflict", None, "ConditionalCheckFailed"))
    work, _ = activity_work()
    with pytest.raises(ParentMissing) as raised:
        work.commit()
    assert raised.value.parent == Parent(DEAL, "D1")
    assert len(fake.sent) == 1 and pauses == []


def test_other_cancellations_are_not_sent_again(monkeypatch, pauses):
    fake = dynamodb(monkeypatch, cancelled(None, "ValidationError", None))
    work, _ = activity_work()
    with pytest.raises(TransactWriteError):
        work.commit()
    assert len(fake.sent) == 1 and pauses == []


def test_pauses_grow_and_stay_short(monkeypatch):
    slept: list[float] = []
    monkeypatch.setattr(time, "sleep", slept.append)
    for attempt in range(repository.TRANSACTION_ATTEMPTS - 1):
        for _ in range(50):
            repository._pause(attempt)
    ceilings = [repository.CONFLICT_PAUSE_S * 2**attempt for attempt in range(repository.TRANSACTION_ATTEMPTS - 1)]
    for attempt, ceiling in enumerate(ceilings):
        taken = slept[attempt * 50 : (attempt + 1) * 50]
        assert all(0 <= pause <= ceiling for pause in taken)
        assert len(set(taken)) > 1, "jittered"
    assert sum(ceilings) < 0.5


def refused(operation: str) -> VerboseClientError:
    """What DynamoDB answers a single write while a transaction on its item is under way."""
    return VerboseClientError({"Error": {"Code": "TransactionConflictException", "Message": "ongoing"}}, operation)


class FakeSingleWrites:
    """Stands in for `Connection.dispatch` (the request as sent): fails with the queued errors, then succeeds."""

    def __init__(self, monkeypatch: pytest.MonkeyPatch, failures: list[Exception]) -> None:
        self.failures = failures
        self.sent: list[tuple[str, dict[str, Any]]] = []
        monkeypatch.setattr(Connection, "dispatch", lambda _self, name, request: self.send(name, request))

    def send(self, name: str, request: dict[str, Any]) -> dict[str, Any]:
        self.sent.append((name, copy.deepcopy(request)))
        if self.failures:
            raise self.failures.pop(0)
        if name == "UpdateItem":
            return {"Attributes": {**request["Key"], "type": {"S": "record"}}}
        return {}


def test_a_single_write_refused_for_an_ongoing_transaction_is_sent_again_unchanged(monkeypatch, pauses):
    record = Record(CONTACT, "C1", TENANT, {"last_name": "Lovelace"}, NOW, "user-1", NOW, "user-1")
    work = UnitOfWork()
    work.put_record(record, IndexKeys())
    fake = FakeSingleWrites(monkeypatch, [refused("PutItem")] * 2)
    work.commit()
    assert [name for name, _ in fake.sent] == ["PutItem"] * 3
    assert fake.sent[1] == fake.sent[0] == fake.sent[2]
    assert pauses == [0, 1]
    assert record.version == 1

    touch = UnitOfWork()  # an update of a versioned item: PynamoDB adds the version's increment to it
    touch.update_item(*sales.touch_deal_activity(TENANT, "D1", NOW, "user-1"))
    fake = FakeSingleWrites(monkeypatch, [refused("UpdateItem")])
    touch.commit()
    assert [name for name, _ in fake.sent] == ["UpdateItem"] * 2
    assert fake.sent[1] == fake.sent[0]


def test_a_single_write_that_keeps_meeting_transactions_is_busy(monkeypatch, pauses):
    record = Record(CONTACT, "C1", TENANT, {"last_name": "Lovelace"}, NOW, "user-1", NOW, "user-1")
    work = UnitOfWork()
    work.put_record(record, IndexKeys())
    fake = FakeSingleWrites(monkeypatch, [refused("PutItem")] * repository.TRANSACTION_ATTEMPTS)
    with pytest.raises(Busy):
        work.commit()
    assert len(fake.sent) == repository.TRANSACTION_ATTEMPTS
    assert record.version is None


def read_contact() -> Record:
    """A contact as `repository` reads it: it knows what it held."""
    record = Record(CONTACT, "C1", TENANT, {"last_name": "Lovelace", "tags": []}, NOW, "user-1", NOW, "user-1")
    record.version = 3
    record.as_read = repository.AsRead({"last_name": "Lovelace"}, None, None, NOW, "user-1")
    return record


def test_putting_a_record_that_holds_what_it_held_sends_nothing_and_keeps_its_stamps(monkeypatch):
    fake = FakeSingleWrites(monkeypatch, [])
    record = read_contact()
    record.updated_at, record.updated_by = "2026-11-21T08:00:00Z", "user-2"
    work = UnitOfWork()
    work.put_record(record, IndexKeys())
    work.commit()
    assert fake.sent == []
    assert (record.version, record.updated_at, record.updated_by) == (3, NOW, "user-1")


def test_beside_other_writes_an_unchanged_record_is_a_check_of_its_version(monkeypatch):
    fake = dynamodb(monkeypatch)
    record = read_contact()
    work = UnitOfWork()
    work.put_record(record, IndexKeys())
    work.update_item(*sales.count_activity(TENANT, "user-1", NOW))
    work.commit()
    [request] = fake.sent
    [check] = request["condition_check_items"]
    assert check["Key"]["pk"] == {"S": "T#tenant-a#CON#C1"}
    assert (check["ExpressionAttributeNames"], check["ExpressionAttributeValues"]) == (
        {"#0": "version"},
        {":0": {"N": "3"}},
    )
    assert request["put_items"] == []
    assert record.version == 3


def test_a_changed_record_is_put_and_then_known_as_written(monkeypatch):
    fake = FakeSingleWrites(monkeypatch, [])
    record = read_contact()
    record.data = {"last_name": "Byron"}
    work = UnitOfWork()
    work.put_record(record, IndexKeys())
    work.commit()
    assert [name for name, _ in fake.sent] == ["PutItem"]
    assert record.version == 4
    assert record.unchanged


class Lease:
    def fence(self, created: Any) -> Any:
        from rapport.dal.models import IdempotencyItem

        made = IdempotencyItem.created.add(set(created))
        return IdempotencyItem("T#tenant-a#IDEM#user-1#k"), [made], IdempotencyItem.lease_id == "mine"


def test_a_write_under_a_fence_carries_it_and_names_the_records_it_creates(monkeypatch):
    fake = dynamodb(monkeypatch, cancelled(None, "ConditionalCheckFailed"))
    record = Record(CONTACT, "C1", TENANT, {"last_name": "Lovelace"}, NOW, "user-1", NOW, "user-1")
    work = UnitOfWork()
    with repository.fenced(Lease()):
        work.put_record(record, IndexKeys())
        assert work.size == 2
        with pytest.raises(repository.LeaseLost):
            work.commit()
    [request] = fake.sent
    [put] = request["put_items"]
    [fence] = request["update_items"]
    assert put["Item"]["pk"] == {"S": "T#tenant-a#CON#C1"}
    assert fence["Key"] == {"pk": {"S": "T#tenant-a#IDEM#user-1#k"}}
    assert {"SS": ["CON#C1"]} in fence["ExpressionAttributeValues"].values()
    assert record.version is None
    assert UnitOfWork().size == 0


GROUPS = ("condition_check_items", "delete_items", "put_items", "update_items")


def sent_keys(request: dict[str, Any]) -> list[tuple[str, str]]:
    """The item each operation of a sent transaction touches."""
    touched = []
    for operation in (operation for group in GROUPS for operation in request[group]):
        key = operation.get("Key") or {name: operation["Item"][name] for name in ("pk", "sk")}
        touched.append((key["pk"]["S"], key["sk"]["S"]))
    return touched


def contact(record_id: str = "C1", *, version: int | None = None, deleted: bool = False) -> Record:
    record = Record(CONTACT, record_id, TENANT, {"last_name": "Lovelace"}, NOW, "user-1", NOW, "user-1")
    record.version, record.deleted_at = version, NOW if deleted else None
    return record


@pytest.mark.parametrize("order", ["check first", "write first"])
@pytest.mark.parametrize("version", [None, 3], ids=["new", "over its version"])
def test_a_parent_check_on_a_record_the_unit_writes_is_folded_into_that_write(monkeypatch, order, version):
    fake = dynamodb(monkeypatch)
    parent, child = contact("C1", version=version), contact("C2")
    work = UnitOfWork()
    steps: list[Callable[[], None]] = [
        lambda: work.require_live(TENANT, Parent(CONTACT, "C1")),
        lambda: work.put_record(parent, IndexKeys()),
    ]
    for step in steps if order == "check first" else reversed(steps):
        step()
    work.put_record(child, IndexKeys())
    work.require_live(TENANT, Parent(CONTACT, "C1"))  # a second record staged with the same parent
    assert work.size == 2
    work.commit()
    (request,) = fake.sent
    keys_sent = sent_keys(request)
    assert len(keys_sent) == len(set(keys_sent)) == 2, "one operation an item"
    assert request["condition_check_items"] == []


def test_checks_of_one_item_and_a_conditional_update_of_it_become_one_operation(monkeypatch):
    fake = dynamodb(monkeypatch)
    work = UnitOfWork()
    work.put_record(contact(), IndexKeys())
    work.require_live(TENANT, Parent(DEAL, "D1"))
    work.require_live(TENANT, Parent(DEAL, "D1"), trashed_ok=True)
    work.update_item(*sales.touch_deal_activity(TENANT, "D1", NOW, "user-1"))
    work.require_live(TENANT, Parent(ACCOUNT, "A1"))
    work.require_live(TENANT, Parent(ACCOUNT, "A1"))
    assert work.size == 3
    work.commit()
    (request,) = fake.sent
    assert len(set(sent_keys(request))) == 3
    (update,) = request["update_items"]
    assert "attribute_exists" in update["ConditionExpression"]
    assert "attribute_not_exists" in update["ConditionExpression"]


def test_a_failed_folded_check_says_which_parent_is_missing(monkeypatch, pauses):
    dynamodb(monkeypatch, cancelled(None, "ConditionalCheckFailed"))  # sent as puts, then updates
    work = UnitOfWork()
    work.require_live(TENANT, Parent(DEAL, "D9"))
    work.put_record(contact(), IndexKeys())
    deal = RecordItem(keys.record_pk(TENANT, DEAL, "D9"), keys.META_SK)
    work.update_item(deal, [RecordItem.data["note"].set("seen")])
    with pytest.raises(ParentMissing) as raised:
        work.commit()
    assert raised.value.parent == Parent(DEAL, "D9")


def test_a_parent_the_unit_trashes_or_deletes_is_missing_at_once():
    trashed = UnitOfWork()
    trashed.put_record(contact(version=2, deleted=True), IndexKeys())
    with pytest.raises(ParentMissing):
        trashed.require_live(TENANT, Parent(CONTACT, "C1"))
    trashed.require_live(TENANT, Parent(CONTACT, "C1"), trashed_ok=True)
    erased = UnitOfWork()
    erased.require_live(TENANT, Parent(CONTACT, "C1"), trashed_ok=True)
    with pytest.raises(ParentMissing):
        erased.delete_record(contact(version=2), by="user-1", at=NOW)


def test_two_writes_of_one_item_are_refused_before_anything_is_sent():
    work = UnitOfWork()
    work.put_record(contact(version=1), IndexKeys())
    with pytest.raises(ValueError, match="twice"):
        work.put_record(contact(version=1), IndexKeys())


def test_the_unit_tells_which_record_it_puts():
    work = UnitOfWork()
    new = contact()
    work.put_record(new, IndexKeys())
    work.require_live(TENANT, Parent(ACCOUNT, "A1"))
    assert work.staged(TENANT, CONTACT, "C1") is new
    assert work.staged(TENANT, ACCOUNT, "A1") is None
    assert work.staged("tenant-b", CONTACT, "C1") is None
