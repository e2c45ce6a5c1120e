"""`Idempotency-Key` for creates: a retried request replays the first response and creates nothing new.

Part of the data access layer: records live in their own table (so they stay out of the domain event stream),
keyed by tenant, caller and key, with a hash of the request so the same key on a different request is refused,
and expire after a day.

A lease, not a lock. The first request writes an in-progress marker holding a lease as long as its function may
still run (Lambda's remaining time: a function that times out is gone once its lease ends, as in Powertools'
idempotency). A retry within the lease is a 409 (still in progress). After it:

- if the first attempt's write had committed, the response is rebuilt from what it made (a create: the record as
  it is now, 201, replayed) or, where it cannot be, a 409 names the record it made;
- else the retry takes the lease over and runs the request again.

"Had committed" cannot be guessed: every write the request commits also marks the key's record, in the same
transaction, and only while its lease holds (`repository.fenced`). So a write and "this key wrote" commit together
or not at all, and an attempt that lost its lease (it was slow, not dead) can no longer write: its transaction
fails, and it answers 409 while the retry that took over carries on. Nothing is made twice.
"""

from __future__ import annotations

import hashlib
import json
import re
import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, timedelta
from typing import NamedTuple

from pynamodb.exceptions import DeleteError, DoesNotExist, PutError, UpdateError
from pynamodb.expressions.condition import Condition
from pynamodb.expressions.update import Action

from rapport import contexts
from rapport.dal import repository
from rapport.dal.keys import idempotency_pk
from rapport.dal.models import IdempotencyItem
from rapport.dal.repository import LeaseLost
from rapport.errors import BadRequest, Conflict, InvalidInput, NotFound

RETENTION = timedelta(hours=24)
IN_PROGRESS, COMPLETED = "IN_PROGRESS", "COMPLETED"
_KEY = re.compile(r"[\x21-\x7e]{1,255}")
Clock = Callable[[], datetime]
Rebuild = Callable[[str], "StoredResponse"]  # the response for a record the request made, from its id


@dataclass
class StoredResponse:
    status: int
    body: str
    headers: dict[str, str] = field(default_factory=dict)
    replayed: bool = False


def request_hash(method: str, path: str, body: str | None) -> str:
    canonical = json.dumps({"m": method, "p": path, "b": _canonical_body(body)}, sort_keys=True)
    return hashlib.sha256(canonical.encode()).hexdigest()


def _canonical_body(body: str | None) -> object:
    try:
        return json.loads(body) if body else None
    except ValueError:
        return body


def _now() -> datetime:
    return datetime.now(UTC)


def run_once(
    tenant_id: str,
    user_id: str,
    key: str,
    fingerprint: str,
    produce: Callable[[], StoredResponse],
    *,
    lease: timedelta,
    rebuild: Rebuild | None = None,
    clock: Clock = _now,
) -> StoredResponse:
    """Run `produce` once per key of the user's, holding the key for `lease`; a retry gets the stored (or rebuilt)
    response, a concurrent one a 409. `rebuild` answers for a record the request made, if its response was lost."""
    if not _KEY.fullmatch(key):
        raise BadRequest.of("idempotency-key", "must be 1 to 255 visible ASCII characters", location="header")
    pk = idempotency_pk(tenant_id, user_id, key)
    now = clock()
    marker = IdempotencyItem(
        pk,
        status=IN_PROGRESS,
        request_hash=fingerprint,
        expires_at=now + RETENTION,
        lease_id=uuid.uuid4().hex,
        lease_until=_millis(now + lease),
    )
    try:
        marker.save(condition=IdempotencyItem.pk.does_not_exist() | (IdempotencyItem.expires_at < now))
    except PutError as error:
        if not _condition_failed(error):
            raise
        return _retry(pk, fingerprint, produce, lease, rebuild, now)
    return _run(marker, produce)


def _retry(
    pk: str,
    fingerprint: str,
    produce: Callable[[], StoredResponse],
    lease: timedelta,
    rebuild: Rebuild | None,
    now: datetime,
) -> StoredResponse:
    try:
        stored = IdempotencyItem.get(pk, consistent_read=True)
    except DoesNotExist as error:
        raise Conflict("A request with this Idempotency-Key just failed; retry it.") from error
    if stored.request_hash != fingerprint:
        raise InvalidInput.of(
            "idempotency-key", "was already used for a different request", "key_reused", location="header"
        )
    if stored.status == COMPLETED and stored.response_status is not None:
        return _replayed(stored)
    if (stored.lease_until or 0) > _millis(now):
        raise Conflict("A request with this Idempotency-Key is still in progress; retry it shortly.")
    if stored.wrote:
        return _completed(stored, _rebuilt(sorted(stored.created or ()), rebuild))
    return _run(_take_over(stored, lease, now), produce)


def _run(marker: IdempotencyItem, produce: Callable[[], StoredResponse]) -> StoredResponse:
    """`produce` under the marker's lease: each of its writes marks the key as having written, or fails."""
    try:
        with repository.fenced(_Lease(marker.pk, marker.lease_id)):
            response = produce()
    except LeaseLost as error:
        raise Conflict("A retry of this request took it over; its answer is the one that counts.") from error
    except BaseException:
        _forget(marker)
        raise
    return _completed(marker, response)


def _take_over(stored: IdempotencyItem, lease: timedelta, now: datetime) -> IdempotencyItem:
    """Hold the lease that `stored` let lapse, unless another retry took it or the first attempt wrote."""
    held, new_id = stored.lease_id, uuid.uuid4().hex
    try:
        stored.update(
            actions=[IdempotencyItem.lease_id.set(new_id), IdempotencyItem.lease_until.set(_millis(now + lease))],
            condition=_held_by(held) & IdempotencyItem.wrote.does_not_exist(),
        )
    except UpdateError as error:
        if not _condition_failed(error):
            raise
        raise Conflict("A request with this Idempotency-Key is still in progress; retry it shortly.") from error
    return stored


def _held_by(lease_id: str | None) -> Condition:
    """Still held by `lease_id` (a marker written before leases has none, and counts as lapsed)."""
    return IdempotencyItem.lease_id.does_not_exist() if lease_id is None else IdempotencyItem.lease_id == lease_id


def _completed(marker: IdempotencyItem, response: StoredResponse) -> StoredResponse:
    """Store the response for later retries (unless a retry took the key over and answers it itself)."""
    try:
        marker.update(
            actions=[
                IdempotencyItem.status.set(COMPLETED),
                IdempotencyItem.response_status.set(response.status),
                IdempotencyItem.response_body.set(response.body),
                IdempotencyItem.response_headers.set(json.dumps(response.headers)),
            ],
            condition=IdempotencyItem.lease_id == marker.lease_id,
        )
    except UpdateError as error:
        if not _condition_failed(error):
            raise
    return response


def _rebuilt(created: Sequence[str], rebuild: Rebuild | None) -> StoredResponse:
    """The response of a request whose write committed but whose answer was lost (its function timed out)."""
    for ref in created:
        kind, _, record_id = ref.partition("#")
        if rebuild is not None:
            try:
                return replace(rebuild(record_id), replayed=True)
            except NotFound:
                continue
        raise Conflict(
            "This request was carried out, but its answer was lost: read what it made.",
            existing_kind=contexts.kind(kind).label,
            existing_id=record_id,
        )
    raise Conflict("This request was carried out, but its answer was lost: read what it changed.")


def _replayed(stored: IdempotencyItem) -> StoredResponse:
    return StoredResponse(
        status=int(stored.response_status or 0),
        body=stored.response_body or "",
        headers=json.loads(stored.response_headers or "{}"),
        replayed=True,
    )


def _forget(marker: IdempotencyItem) -> None:
    """A request that failed before writing leaves no record, so the client can fix it and retry with the key."""
    try:
        marker.delete(condition=(IdempotencyItem.lease_id == marker.lease_id) & IdempotencyItem.wrote.does_not_exist())
    except DeleteError:
        return


class _Lease(NamedTuple):
    """The key's marker as a fence: a write commits only with the lease still held, and notes what it made."""

    pk: str
    lease_id: str | None

    def fence(self, created: Sequence[str]) -> tuple[IdempotencyItem, list[Action], Condition]:
        actions: list[Action] = [IdempotencyItem.wrote.set(True)]
        if created:
            actions.append(IdempotencyItem.created.add(set(created)))
        return IdempotencyItem(self.pk), actions, IdempotencyItem.lease_id == self.lease_id


def _millis(at: datetime) -> int:
    return int(at.timestamp() * 1000)


def _condition_failed(error: PutError | UpdateError) -> bool:
    return error.cause_response_code == "ConditionalCheckFailedException"
