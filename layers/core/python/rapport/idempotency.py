"""`Idempotency-Key` for creates: a retried request replays the first response and creates nothing new.

Records live in their own table (so they stay out of the domain event stream), keyed by tenant, caller and
key, with a hash of the request so the same key on a different request is refused, and expire after a day.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

from pynamodb.exceptions import DeleteError, DoesNotExist, PutError

from rapport.auth import Caller
from rapport.dal.keys import idempotency_pk
from rapport.dal.models import IdempotencyItem
from rapport.errors import BadRequest, Conflict, InvalidInput

RETENTION = timedelta(hours=24)
IN_PROGRESS, COMPLETED = "IN_PROGRESS", "COMPLETED"
_KEY = re.compile(r"[\x21-\x7e]{1,255}")


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


def run_once(caller: Caller, key: str, fingerprint: str, produce: Callable[[], StoredResponse]) -> StoredResponse:
    """Run `produce` once per key; a retry gets the stored response, a concurrent one a 409."""
    if not _KEY.fullmatch(key):
        raise BadRequest.of("idempotency-key", "must be 1 to 255 visible ASCII characters", location="header")
    record = IdempotencyItem(
        idempotency_pk(caller.tenant_id, caller.user_id, key),
        status=IN_PROGRESS,
        request_hash=fingerprint,
        expires_at=datetime.now(UTC) + RETENTION,
    )
    try:
        record.save(condition=IdempotencyItem.pk.does_not_exist() | (IdempotencyItem.expires_at < datetime.now(UTC)))
    except PutError as error:
        if not _is_condition_failure(error):
            raise
        return _replay(record.pk, fingerprint)
    try:
        response = produce()
    except BaseException:
        _forget(record)
        raise
    record.update(
        actions=[
            IdempotencyItem.status.set(COMPLETED),
            IdempotencyItem.response_status.set(response.status),
            IdempotencyItem.response_body.set(response.body),
            IdempotencyItem.response_headers.set(json.dumps(response.headers)),
        ]
    )
    return response


def _replay(pk: str, fingerprint: str) -> StoredResponse:
    try:
        stored = IdempotencyItem.get(pk, consistent_read=True)
    except DoesNotExist as error:
        raise Conflict("A request with this Idempotency-Key just failed; retry it.") from error
    if stored.request_hash != fingerprint:
        raise InvalidInput.of(
            "idempotency-key", "was already used for a different request", "key_reused", location="header"
        )
    if stored.status != COMPLETED or stored.response_status is None:
        raise Conflict("A request with this Idempotency-Key is still in progress; retry it shortly.")
    return StoredResponse(
        status=int(stored.response_status),
        body=stored.response_body or "",
        headers=json.loads(stored.response_headers or "{}"),
        replayed=True,
    )


def _forget(record: IdempotencyItem) -> None:
    """A create that failed leaves no record, so the client can fix the request and retry with the key."""
    try:
        record.delete()
    except DeleteError:
        return


def _is_condition_failure(error: PutError) -> bool:
    return error.cause_response_code == "ConditionalCheckFailedException"
