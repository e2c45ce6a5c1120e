"""Local ID tokens: JWTs with the claims a Cognito ID token carries, and the authorizer that checks them.

They are signed (HS256) with a key kept in the data folder, so `rapport token` mints what the running
`rapport local` accepts, and a token stays good across restarts until `make dev-reset`. The authorizer
answers as API Gateway's Cognito authorizer does, and hands the claims on as it does to a REST API: every
value a string, groups comma-separated, `exp` and `iat` as dates.

Staff and customers have a pool each, as deployed: a customer's token (`mint_customer`) is issued by the customer
pool's issuer (`for_customers`), which the portal's authorizer checks, and the staff one refuses, and the other way
round.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import json
import secrets
import time
import uuid
from collections.abc import Iterable
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from typing import Any

from local.runtime.store import DataDir

KEY_NAME = "token-signing-key"
CLIENT_ID = "rapport-local-web-client"
PORTAL_CLIENT_ID = "rapport-local-portal-client"
STAFF_POOL = "RapportLocal"
CUSTOMER_AUTHORIZER = "customers"  # the portal authorizer's name (infra.openapi's; tests/local checks they agree)
CUSTOMER_POOL = "RapportLocalCustomers"
DEFAULT_LIFETIME = 3600  # seconds, as the stack's web client issues ID tokens
UNAUTHORIZED = "Unauthorized"
EXPIRED = "The incoming token has expired"
_HEADER = {"alg": "HS256", "kid": "rapport-local", "typ": "JWT"}
_DATE_CLAIMS = ("exp", "iat")
_LAST_SECOND = 253_402_300_800  # 10000-01-01T00:00:00Z


class InvalidToken(Exception):
    """The token is refused; the message is API Gateway's."""


def _encode(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode("ascii")


def _decode(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


@dataclass(frozen=True)
class TokenIssuer:
    key: bytes
    region: str
    pool: str = STAFF_POOL

    @classmethod
    def of(cls, data: DataDir, region: str) -> TokenIssuer:
        return cls(data.secret(KEY_NAME, lambda: secrets.token_hex(32)).encode(), region)

    @property
    def issuer(self) -> str:
        return f"https://cognito-idp.{self.region}.amazonaws.com/{self.region}_{self.pool}"

    def for_customers(self) -> TokenIssuer:
        """The customer pool's issuer (the portal's authorizer checks its tokens)."""
        return replace(self, pool=CUSTOMER_POOL)

    def mint(
        self,
        *,
        tenant: str,
        user: str,
        groups: Iterable[str],
        email: str | None = None,
        lifetime: int = DEFAULT_LIFETIME,
        now: float | None = None,
    ) -> str:
        issued = int(time.time() if now is None else now)
        claims = {
            "sub": user,
            "cognito:groups": list(groups),
            "email_verified": True,
            "iss": self.issuer,
            "cognito:username": user,
            "origin_jti": str(uuid.uuid4()),
            "aud": CLIENT_ID,
            "event_id": str(uuid.uuid4()),
            "token_use": "id",
            "auth_time": issued,
            "exp": issued + lifetime,
            "iat": issued,
            "jti": str(uuid.uuid4()),
            "email": email or f"{user}@{tenant}.example",
            "custom:tenant_id": tenant,
        }
        return self._signed(claims)

    def mint_customer(
        self, *, tenant: str, contact: str, email: str | None = None, lifetime: int = DEFAULT_LIFETIME
    ) -> str:
        """A customer's ID token, as the customer pool issues it once they signed in: the tenant and the contact
        they are (`custom:tenant_id`, `custom:contact_id`)."""
        customers = self.for_customers()
        issued = int(time.time())
        address = email or f"{contact}@{tenant}.example"
        claims = {
            "sub": str(uuid.uuid5(uuid.NAMESPACE_URL, f"{tenant}/{contact}")),
            "email_verified": True,
            "iss": customers.issuer,
            "cognito:username": f"{tenant}/{address}",
            "aud": PORTAL_CLIENT_ID,
            "event_id": str(uuid.uuid4()),
            "token_use": "id",
            "auth_time": issued,
            "exp": issued + lifetime,
            "iat": issued,
            "jti": str(uuid.uuid4()),
            "email": address,
            "custom:tenant_id": tenant,
            "custom:contact_id": contact,
        }
        return customers._signed(claims)

    def _signed(self, claims: dict[str, Any]) -> str:
        signed = f"{_encode(json.dumps(_HEADER).encode())}.{_encode(json.dumps(claims).encode())}"
        return f"{signed}.{self._signature(signed)}"

    def verify(self, token: str, now: float | None = None) -> dict[str, Any]:
        """The token's claims; raises InvalidToken unless it is a well-signed, current ID token of ours."""
        parts = token.split(".")
        if not token.isascii() or len(parts) != 3:
            raise InvalidToken(UNAUTHORIZED)
        if not hmac.compare_digest(parts[2], self._signature(f"{parts[0]}.{parts[1]}")):
            raise InvalidToken(UNAUTHORIZED)
        try:
            header, claims = (json.loads(_decode(part)) for part in parts[:2])
        except (ValueError, binascii.Error) as error:
            raise InvalidToken(UNAUTHORIZED) from error
        if not isinstance(header, dict) or not isinstance(claims, dict):
            raise InvalidToken(UNAUTHORIZED)
        if header.get("alg") != "HS256" or claims.get("iss") != self.issuer or claims.get("token_use") != "id":
            raise InvalidToken(UNAUTHORIZED)
        if any(name in claims and not _is_time(claims[name]) for name in _DATE_CLAIMS):
            raise InvalidToken(UNAUTHORIZED)
        if "exp" not in claims or claims["exp"] <= (time.time() if now is None else now):
            raise InvalidToken(EXPIRED)
        return dict(claims)

    def _signature(self, signed: str) -> str:
        return _encode(hmac.new(self.key, signed.encode("ascii"), hashlib.sha256).digest())


def _is_time(value: Any) -> bool:
    """Seconds since the epoch that a date can hold, as Cognito writes `exp` and `iat`."""
    return isinstance(value, int) and not isinstance(value, bool) and 0 <= value < _LAST_SECOND


def rest_api_claims(claims: dict[str, Any]) -> dict[str, str]:
    """The claims as a REST API's Cognito authorizer puts them in `requestContext.authorizer.claims`."""
    return {name: _claim_text(name, value) for name, value in claims.items()}


def _claim_text(name: str, value: Any) -> str:
    if name in _DATE_CLAIMS and _is_time(value):
        return datetime.fromtimestamp(value, UTC).strftime("%a %b %d %H:%M:%S UTC %Y")
    if isinstance(value, list):
        return ",".join(str(item) for item in value)
    if isinstance(value, bool):
        return str(value).lower()
    return str(value)
