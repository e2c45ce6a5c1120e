from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Annotated

from pydantic import Field, StrictBool, StringConstraints

from rapport.types import Name, RecordId, RecordMeta, SingleLine, StrictModel, UserId

Source = Annotated[str, StringConstraints(min_length=1, max_length=100), SingleLine]


class WebFormStatus(StrEnum):
    ACTIVE = "active"
    REVOKED = "revoked"


class WebFormCreate(StrictModel):
    name: Name = Field(description="What the form is, e.g. 'Pricing page demo request'")
    source: Source = Field(default="web_form", description="The source of the leads it submits")
    campaign_id: RecordId | None = Field(default=None, description="The campaign of its leads, unless they name one")
    owner_id: UserId | None = Field(default=None, description="Who works the leads it submits")
    double_opt_in: StrictBool = Field(
        default=False,
        description="Whether the email subscription it captures waits, pending, for the person's confirmation, "
        "whatever the marketing settings' double_opt_in says",
    )


class WebFormStored(WebFormCreate):
    api_key_id: str
    status: WebFormStatus = WebFormStatus.ACTIVE
    revoked_at: datetime | None = None
    revoked_by: str | None = None


class WebForm(WebFormStored, RecordMeta):
    api_key_id: str = Field(description="The API Gateway API key the form sends as x-api-key (its id, not its value)")


class WebFormCreated(WebForm):
    api_key: str = Field(
        description="The key's value, for the form's `x-api-key` header. Shown only in this response (and its "
        "Idempotency-Key replays): keep it with the form's page."
    )
