"""Authenticated encryption under keys derived from the stack's one secret, one key per purpose.

The secret is `CURSOR_SECRET` where set (tests, the local runtime), else the Secrets Manager secret the stack made
(`CURSOR_SECRET_ARN`); each purpose (pagination cursors, webhook signing secrets) derives its own AES-256-GCM key
from it with HKDF and its own `info`, so a value sealed for one purpose never opens for another.
"""

from __future__ import annotations

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


def cipher(purpose: bytes) -> AESGCM:
    """AES-256-GCM under the key of `purpose` (HKDF's `info`)."""
    return _cipher(_secret(), purpose)


@cache
def _cipher(secret: bytes, purpose: bytes) -> AESGCM:
    # Imported when first sealing or opening: loading cryptography's native library would cost every cold start.
    from cryptography.hazmat.primitives import hashes
    from cryptography.hazmat.primitives.ciphers.aead import AESGCM
    from cryptography.hazmat.primitives.kdf.hkdf import HKDF

    return AESGCM(HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=purpose).derive(secret))
