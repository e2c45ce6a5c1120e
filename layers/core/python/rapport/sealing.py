"""Keys derived from the stack's one secret, one per purpose: authenticated encryption (`cipher`) and signing
keys (`key`).

The secret is `CURSOR_SECRET` where set (tests, the local runtime), else the Secrets Manager secret the stack made
(`CURSOR_SECRET_ARN`); each purpose (pagination cursors, webhook signing secrets, the links of people's messages)
derives its own 256-bit key from it with HKDF and its own `info`, so what is sealed or signed for one purpose never
opens or verifies for another. `secrets()` also gives the secret before the current one (Secrets Manager's
AWSPREVIOUS, `CURSOR_SECRET_PREVIOUS` locally), which what must outlive a rotation (a mailed link) is checked with.
"""

from __future__ import annotations

from contextlib import suppress
from functools import cache
from typing import TYPE_CHECKING

from rapport import config

if TYPE_CHECKING:
    from cryptography.hazmat.primitives.ciphers.aead import AESGCM


def _secret() -> bytes:
    """Fetched on first use, not at import, and cached by Powertools so a warm function asks once in a while."""
    settings = config.current()
    if settings.cursor_secret:
        return settings.cursor_secret.encode()
    from aws_lambda_powertools.utilities.parameters import get_secret

    return str(get_secret(settings.require("cursor_secret_arn"), max_age=300)).encode()


def secrets() -> list[bytes]:
    """The current secret, then the one before it, if the secret was ever rotated."""
    settings = config.current()
    if settings.cursor_secret:
        return [secret.encode() for secret in (settings.cursor_secret, settings.cursor_secret_previous) if secret]
    from aws_lambda_powertools.utilities.parameters import GetParameterError, get_secret

    found = [_secret()]
    with suppress(GetParameterError):  # a secret never rotated has no previous version
        previous = get_secret(settings.require("cursor_secret_arn"), max_age=300, VersionStage="AWSPREVIOUS")
        found.append(str(previous).encode())
    return found


def cipher(purpose: bytes) -> AESGCM:
    """AES-256-GCM under the key of `purpose` (HKDF's `info`)."""
    return _cipher(_secret(), purpose)


@cache
def key(purpose: bytes, secret: bytes) -> bytes:
    """The 256-bit key of `purpose` derived from `secret` (one of `secrets()`)."""
    # Imported when first used: loading cryptography's native library would cost every cold start.
    from cryptography.hazmat.primitives import hashes
    from cryptography.hazmat.primitives.kdf.hkdf import HKDF

    return HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=purpose).derive(secret)


@cache
def _cipher(secret: bytes, purpose: bytes) -> AESGCM:
    from cryptography.hazmat.primitives.ciphers.aead import AESGCM

    return AESGCM(key(purpose, secret))
