"""The notification templates API's models."""

from __future__ import annotations

from typing import Annotated, Any

from pydantic import Field

from rapport.notifications.catalog import (
    EMAIL_HTML_MAX_LENGTH,
    EMAIL_TEXT_MAX_LENGTH,
    SUBJECT_MAX_LENGTH,
    Channel,
)
from rapport.types import LazyModel, MultiLine, SingleLine, StrictModel


class TemplateContent(StrictModel):
    """A template's parts. Email: `subject` and `text` (plain body), `html` optional. SMS: `text` only, at most
    1600 characters. Placeholders are `{{ name }}` or `{{ name.field }}`, from the template's variables."""

    subject: Annotated[str, SingleLine] | None = Field(default=None, min_length=1, max_length=SUBJECT_MAX_LENGTH)
    text: Annotated[str, MultiLine] = Field(min_length=1, max_length=EMAIL_TEXT_MAX_LENGTH)
    html: Annotated[str, MultiLine] | None = Field(default=None, min_length=1, max_length=EMAIL_HTML_MAX_LENGTH)


class NotificationTemplate(TemplateContent):
    name: str
    channel: Channel
    description: str
    variables: list[str] = Field(description="What the template may use: what its context carries")
    customized: bool = Field(description="The tenant saved its own; else these are Rapport's defaults")
    version: int = Field(description="0 for the defaults; send it back as If-Match when saving")
    updated_at: str | None = None
    updated_by: str | None = None


class PreviewRequest(StrictModel):
    context: dict[str, Any] | None = Field(
        default=None, description="The values to render with; the template's sample context when left out"
    )
    template: TemplateContent | None = Field(
        default=None, description="A draft to render instead of the saved template (checked as a save would be)"
    )


class Preview(LazyModel):
    subject: str | None
    text: str
    html: str | None
    missing: list[str] = Field(description="Variables the context did not hold a value for (rendered as nothing)")
