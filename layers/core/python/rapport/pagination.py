"""Opaque, tamper-proof cursors bound to the tenant and the query they continue.

A cursor is `base64url(json(position)).base64url(hmac)`; the HMAC covers the tenant and a fingerprint of the
query, so a cursor edited by hand, minted for another tenant, or replayed on another query is refused.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import json
import os
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

from rapport.errors import BadRequest

DEFAULT_LIMIT = 25
MAX_LIMIT = 100
T = TypeVar("T")


@dataclass(frozen=True)
class Page(Generic[T]):
    items: list[T]
    next_cursor: str | None


def _b64encode(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode("ascii")


def _b64decode(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def _secret() -> bytes:
    """The HMAC key: `CURSOR_SECRET` where set (tests, local), else the Secrets Manager secret the stack made.

    Fetched on first use, not at import, and cached by Powertools so a warm function asks once in a while.
    """
    secret = os.environ.get("CURSOR_SECRET")
    if secret:
        return secret.encode()
    from aws_lambda_powertools.utilities.parameters import get_secret

    return str(get_secret(os.environ["CURSOR_SECRET_ARN"], max_age=300)).encode()


def fingerprint(tenant_id: str, query: str, params: Mapping[str, object]) -> str:
    """What a cursor is bound to: the tenant, the query's name and its filters (not the limit)."""
    canonical = json.dumps({"t": tenant_id, "q": query, "p": params}, sort_keys=True, separators=(",", ":"))
    return canonical


def _signature(payload: bytes, bound_to: str) -> str:
    digest = hmac.new(_secret(), bound_to.encode() + b"\x00" + payload, hashlib.sha256).digest()
    return _b64encode(digest[:24])


def encode_cursor(position: Mapping[str, Any] | None, bound_to: str) -> str | None:
    if not position:
        return None
    payload = json.dumps(position, sort_keys=True, separators=(",", ":")).encode()
    return f"{_b64encode(payload)}.{_signature(payload, bound_to)}"


def decode_cursor(cursor: str | None, bound_to: str) -> dict[str, Any] | None:
    if cursor is None or cursor == "":
        return None
    invalid = BadRequest.of("cursor", "The cursor is invalid, or belongs to another query.")
    payload_text, _, signature = cursor.partition(".")
    try:
        payload = _b64decode(payload_text)
    except (binascii.Error, ValueError) as error:
        raise invalid from error
    if not signature or not hmac.compare_digest(signature, _signature(payload, bound_to)):
        raise invalid
    position = json.loads(payload)
    if not isinstance(position, dict):
        raise invalid
    return position
