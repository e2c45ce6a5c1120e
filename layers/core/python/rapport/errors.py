"""Typed domain errors. Services raise them; `rapport.api.problems` maps them to HTTP in one place."""

from __future__ import annotations

from collections.abc import Sequence
from typing import NamedTuple


class FieldError(NamedTuple):
    """One field at fault: `field` is a dotted path (`address.country`, `emails[1]`) within `location`."""

    field: str
    message: str
    code: str = "invalid"
    location: str = "body"


def dotted_path(parts: Sequence[int | str]) -> str:
    """`("emails", 1)` -> `emails[1]`, `("address", "country")` -> `address.country`."""
    dotted = ""
    for part in parts:
        text = str(part)
        dotted += f"[{text}]" if text.isdigit() else (f".{text}" if dotted else text)
    return dotted


class RapportError(Exception):
    """Base of every error a client can cause. `status` is the HTTP status it maps to."""

    status = 400
    title = "Bad request"
    slug = "bad-request"

    def __init__(self, detail: str, errors: list[FieldError] | None = None) -> None:
        super().__init__(detail)
        self.detail = detail
        self.errors = errors or []

    def extensions(self) -> dict[str, object]:
        """Extra problem members beyond type/title/status/detail/errors."""
        return {}


class InvalidInput(RapportError):
    status = 422
    title = "Invalid input"
    slug = "invalid-input"

    @classmethod
    def of(cls, field: str, message: str, code: str = "invalid", location: str = "body") -> InvalidInput:
        return cls(message, [FieldError(field, message, code, location)])


class BadRequest(RapportError):
    status = 400
    title = "Bad request"
    slug = "bad-request"

    @classmethod
    def of(cls, field: str, message: str, code: str = "invalid", location: str = "query") -> BadRequest:
        return cls(message, [FieldError(field, message, code, location)])


class Unauthenticated(RapportError):
    status = 401
    title = "Unauthenticated"
    slug = "unauthenticated"


class Forbidden(RapportError):
    status = 403
    title = "Forbidden"
    slug = "forbidden"


class NotFound(RapportError):
    status = 404
    title = "Not found"
    slug = "not-found"


class Conflict(RapportError):
    """A duplicate or a state that forbids the operation; names the existing record where there is one."""

    status = 409
    title = "Conflict"
    slug = "conflict"

    def __init__(
        self,
        detail: str,
        errors: list[FieldError] | None = None,
        existing_kind: str | None = None,
        existing_id: str | None = None,
    ) -> None:
        super().__init__(detail, errors)
        self.existing_kind = existing_kind
        self.existing_id = existing_id

    def extensions(self) -> dict[str, object]:
        if self.existing_id is None:
            return {}
        return {"existing": {"type": self.existing_kind, "id": self.existing_id}}


class Busy(Conflict):
    """Other writes kept touching an item this write needs at the same moment (DynamoDB's TransactionConflict):
    nothing was written, and the same request is likely to succeed when sent again."""

    title = "Busy"
    slug = "busy"


class MethodNotAllowed(RapportError):
    """A known path asked with a method it does not serve (API Gateway answers it, with `Allow`)."""

    status = 405
    title = "Method not allowed"
    slug = "method-not-allowed"


class UnsupportedMediaType(RapportError):
    status = 415
    title = "Unsupported media type"
    slug = "unsupported-media-type"


class PayloadTooLarge(RapportError):
    """A body over the size the API accepts (the function's edge, or API Gateway's own limit)."""

    status = 413
    title = "Payload too large"
    slug = "too-large"


class TooManyRequests(RapportError):
    """Throttled, or over a daily quota (API Gateway answers it: an API key's usage plan, the stage's limits)."""

    status = 429
    title = "Too many requests"
    slug = "too-many-requests"


class PreconditionFailed(RapportError):
    status = 412
    title = "Precondition failed"
    slug = "stale-version"


class PreconditionRequired(RapportError):
    status = 428
    title = "Precondition required"
    slug = "precondition-required"


class InternalError(RapportError):
    """Not the client's fault: only for the API edge's last-resort handler."""

    status = 500
    title = "Internal error"
    slug = "internal"
