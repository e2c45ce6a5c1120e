"""Standard Webhooks signatures (https://www.standardwebhooks.com), and the signing secrets kept sealed.

A secret is `whsec_` + base64 of 32 random bytes, shown once; the table keeps it sealed with the webhooks' key
(rapport.sealing), bound to the tenant and the webhook, so a copy of the table alone signs nothing. Each attempt
is signed afresh: `webhook-signature` is `v1,<base64 HMAC-SHA256 of "<webhook-id>.<webhook-timestamp>.<body>">`,
one per secret in use (both while a rotated secret overlaps the new one), separated by spaces.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets
from collections.abc import Sequence

from rapport import sealing

PREFIX = "whsec_"
SECRET_BYTES = 32
NONCE_BYTES = 12
KEY_INFO = b"rapport webhook signing secret v1"


def new_secret() -> str:
    return PREFIX + base64.b64encode(secrets.token_bytes(SECRET_BYTES)).decode("ascii")


def _key(secret: str) -> bytes:
    return base64.b64decode(secret.removeprefix(PREFIX))


def seal(secret: str, tenant_id: str, webhook_id: str) -> str:
    nonce = secrets.token_bytes(NONCE_BYTES)
    sealed = sealing.cipher(KEY_INFO).encrypt(nonce, secret.encode(), _binding(tenant_id, webhook_id))
    return base64.b64encode(nonce + sealed).decode("ascii")


def unseal(sealed: str, tenant_id: str, webhook_id: str) -> str:
    raw = base64.b64decode(sealed)
    plain = sealing.cipher(KEY_INFO).decrypt(raw[:NONCE_BYTES], raw[NONCE_BYTES:], _binding(tenant_id, webhook_id))
    return plain.decode()


def _binding(tenant_id: str, webhook_id: str) -> bytes:
    return f"{tenant_id}/{webhook_id}".encode()


def signature(secret: str, message_id: str, timestamp: int, body: str) -> str:
    signed = f"{message_id}.{timestamp}.{body}".encode()
    digest = hmac.new(_key(secret), signed, hashlib.sha256).digest()
    return "v1," + base64.b64encode(digest).decode("ascii")


def headers(secrets_in_use: Sequence[str], message_id: str, timestamp: int, body: str) -> dict[str, str]:
    """The Standard Webhooks headers of one attempt, signed by every secret in use."""
    return {
        "webhook-id": message_id,
        "webhook-timestamp": str(timestamp),
        "webhook-signature": " ".join(signature(secret, message_id, timestamp, body) for secret in secrets_in_use),
        "content-type": "application/json",
    }
