from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Annotated, Any

from pydantic import Field, StrictBool, StringConstraints, field_validator
from pydantic.json_schema import SkipJsonSchema

from rapport import merge_patch
from rapport.types import Instant, LazyModel, RecordMeta, ShortText, SingleLine, StrictModel

EVENT_PATTERN = r"^(\*|[a-z][a-z0-9_]*\.(\*|[a-z][a-z0-9_]*))$"
EventPattern = Annotated[
    str,
    StringConstraints(min_length=1, max_length=100, pattern=EVENT_PATTERN),
    Field(description="An event type (`deal.won`), every event of an entity (`deal.*`), or every event (`*`)"),
]
Url = Annotated[str, StringConstraints(min_length=1, max_length=2048), SingleLine]


class DisabledReason(StrEnum):
    GONE = "gone"  # the endpoint answered 410 Gone
    FAILING = "failing"  # every delivery failed for a day


class _WebhookRules(StrictModel):
    url: Url = Field(
        description="https only; an address that resolves to a private, loopback, link-local, multicast "
        "or reserved address is refused, now and at every delivery"
    )
    event_types: list[EventPattern] = Field(min_length=1, max_length=50)
    active: StrictBool = Field(default=True, description="false: nothing is delivered; true clears disabled_reason")
    description: ShortText | None = None

    @field_validator("event_types")
    @classmethod
    def _unique(cls, patterns: list[str]) -> list[str]:
        if len(set(patterns)) != len(patterns):
            raise ValueError("must not repeat a pattern")
        return patterns


class _ComputedFields(StrictModel):
    """Fields Rapport sets: sent by a client, they are refused with a clear message."""

    disabled_reason: SkipJsonSchema[Any] = Field(default=None, exclude=True)
    disabled_at: SkipJsonSchema[Any] = Field(default=None, exclude=True)
    failing_since: SkipJsonSchema[Any] = Field(default=None, exclude=True)
    secret_rotated_at: SkipJsonSchema[Any] = Field(default=None, exclude=True)

    @field_validator("disabled_reason", "disabled_at", "failing_since", mode="before")
    @classmethod
    def _delivered(cls, value: Any) -> Any:
        raise ValueError("follows the webhook's deliveries and cannot be set")

    @field_validator("secret_rotated_at", mode="before")
    @classmethod
    def _rotated(cls, value: Any) -> Any:
        raise ValueError("is stamped by POST /webhooks/{id}/rotate-secret and cannot be set")


class WebhookCreate(_WebhookRules, _ComputedFields):
    pass


class WebhookStored(_WebhookRules):
    """A webhook as stored: the admin's fields and the ones its deliveries and rotations set."""

    disabled_reason: DisabledReason | None = None
    disabled_at: Instant | None = None
    failing_since: Instant | None = None
    secret_rotated_at: Instant | None = None


class Webhook(WebhookStored, RecordMeta):
    disabled_reason: DisabledReason | None = Field(
        default=None, description="Why Rapport set active to false: gone (a 410) or failing (a day of failures)"
    )
    disabled_at: datetime | None = None
    failing_since: datetime | None = Field(
        default=None, description="The first failed attempt since the last delivery that succeeded"
    )
    secret_rotated_at: datetime | None = None


class WebhookWithSecret(Webhook):
    secret: str = Field(description="whsec_…: shown this once; verify deliveries' webhook-signature with it")


class RotatedSecret(LazyModel):
    secret: str = Field(description="The new whsec_… secret, shown this once; it signs every delivery from now")
    previous_secret_expires_at: datetime = Field(
        description="Until then, deliveries also carry a signature by the previous secret"
    )


WebhookPatch = merge_patch.model(WebhookCreate, Webhook, base=_ComputedFields)


class DeliveryStatus(StrEnum):
    PENDING = "pending"  # an attempt is due at next_attempt_at
    DELIVERED = "delivered"  # the endpoint answered 2xx
    DEAD = "dead"  # given up (3 days of failures, a 410, a disabled or refused endpoint): redeliver it by hand


class Attempt(LazyModel):
    at: datetime
    status_code: int | None = Field(default=None, description="The endpoint's HTTP status; none when it gave none")
    error: str | None = Field(default=None, description="Why the attempt failed, when it did")
    duration_ms: int


class Delivery(LazyModel):
    id: str = Field(description="The webhook-id header: the same on every attempt of this delivery")
    webhook_id: str
    event_id: str
    event_type: str
    status: DeliveryStatus
    created_at: datetime
    next_attempt_at: datetime | None = None
    gives_up_at: datetime = Field(description="No attempt is made after this time (3 days after it was queued)")
    attempts: list[Attempt] = Field(default_factory=list)
