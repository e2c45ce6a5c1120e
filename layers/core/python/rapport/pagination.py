"""Opaque, tamper-proof cursors bound to the tenant and the query they continue.

A cursor is `base64url(nonce || AES-256-GCM(position))`: the position where the next page starts (the keys of the
last item read), compressed, then encrypted and authenticated with the cursors' key (rapport.sealing).
The tenant and a fingerprint of the query (its name and filters, not the limit) are the associated data, so a
cursor shows nothing of the keys or the names in them, and one edited by hand, minted for another tenant, or
sent with another query does not decrypt: a 400. Raw deflate with a dictionary of what positions repeat (the key
names, the tenant's key prefix) keeps cursors short: about 120 characters for a position of four keys.
"""

from __future__ import annotations

import base64
import binascii
import json
import secrets
import zlib
from collections.abc import Mapping
from typing import Any, Generic, NamedTuple, TypeVar

from rapport import sealing
from rapport.errors import BadRequest

DEFAULT_LIMIT = 25
MAX_LIMIT = 100
NONCE_BYTES = 12
CURSOR_KEY_INFO = b"rapport pagination cursor v1"
# What positions repeat, for deflate to refer back to: the keys of the table and its indexes, the tenant's prefix.
POSITION_TEMPLATE = (
    b'{"gsi1pk":"T#","gsi1sk":"","gsi2pk":"T#","gsi2sk":"","gsi3pk":"T#","gsi3sk":"",'
    b'"gsi4pk":"T#","gsi4sk":"","pk":"T#","sk":"A#META"}'
)
T = TypeVar("T")


class Page(NamedTuple, Generic[T]):
    items: list[T]
    next_cursor: str | None


def fingerprint(tenant_id: str, query: str, params: Mapping[str, object]) -> str:
    """What a cursor is bound to: the tenant, the query's name and its filters (not the limit)."""
    canonical = json.dumps({"t": tenant_id, "q": query, "p": params}, sort_keys=True, separators=(",", ":"))
    return canonical


def encode_cursor(position: Mapping[str, Any] | None, bound_to: str) -> str | None:
    if not position:
        return None
    plain = json.dumps(position, sort_keys=True, separators=(",", ":")).encode()
    compressor = zlib.compressobj(zlib.Z_BEST_COMPRESSION, zlib.DEFLATED, -zlib.MAX_WBITS, zdict=_dictionary(bound_to))
    packed = compressor.compress(plain) + compressor.flush()
    nonce = secrets.token_bytes(NONCE_BYTES)
    sealed = sealing.cipher(CURSOR_KEY_INFO).encrypt(nonce, packed, bound_to.encode())
    return base64.urlsafe_b64encode(nonce + sealed).rstrip(b"=").decode("ascii")


def decode_cursor(cursor: str | None, bound_to: str) -> dict[str, Any] | None:
    if cursor is None or cursor == "":
        return None
    from cryptography.exceptions import InvalidTag

    invalid = BadRequest.of("cursor", "The cursor is invalid, or belongs to another query.")
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4))
        packed = sealing.cipher(CURSOR_KEY_INFO).decrypt(raw[:NONCE_BYTES], raw[NONCE_BYTES:], bound_to.encode())
    except (binascii.Error, ValueError, InvalidTag) as error:
        raise invalid from error
    decompressor = zlib.decompressobj(-zlib.MAX_WBITS, zdict=_dictionary(bound_to))
    position = json.loads(decompressor.decompress(packed) + decompressor.flush())
    if not isinstance(position, dict):
        raise invalid
    return position


def _dictionary(bound_to: str) -> bytes:
    """What deflate may refer back to: the key names and the binding, which holds the tenant."""
    return POSITION_TEMPLATE + bound_to.encode()
