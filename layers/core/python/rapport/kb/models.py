from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Annotated

from pydantic import Field, StringConstraints, ValidationInfo, field_validator

from rapport import merge_patch
from rapport.types import Instant, LazyModel, LongText, Name, RecordId, RecordMeta, SingleLine, StrictModel, Tags

SLUG_PATTERN = r"^[a-z0-9]+(-[a-z0-9]+)*$"
MAX_SLUG_LENGTH = 80
ArticleSlug = Annotated[str, StringConstraints(min_length=1, max_length=MAX_SLUG_LENGTH, pattern=SLUG_PATTERN)]
# A category names an index partition: no `#`, the key layout's separator.
Category = Annotated[str, StringConstraints(min_length=1, max_length=64, pattern=r"^[^#]+$"), SingleLine]


class Visibility(StrEnum):
    INTERNAL = "internal"
    PUBLIC = "public"


class ArticleStatus(StrEnum):
    DRAFT = "draft"
    PUBLISHED = "published"


class ArticleCreate(StrictModel):
    title: Name
    body: LongText = Field(description="Markdown; raw HTML in it is shown as text")
    category: Category | None = Field(default=None, description="Filtered on case-insensitively")
    tags: Tags = Field(default_factory=list)
    visibility: Visibility = Field(default=Visibility.INTERNAL, description="public: readable without signing in")
    status: ArticleStatus = ArticleStatus.DRAFT
    publish_at: Instant | None = Field(default=None, description="A published public article shows from then")
    unpublish_at: Instant | None = Field(default=None, description="... until then; after publish_at")
    slug: ArticleSlug | None = Field(
        default=None,
        description="Its public address, unique in your tenant: a-z, 0-9 and single hyphens; default: made from "
        "the title when it is created (kept when the title changes)",
    )

    @field_validator("unpublish_at")
    @classmethod
    def _after_publish(cls, unpublish_at: datetime | None, info: ValidationInfo) -> datetime | None:
        publish_at = info.data.get("publish_at")
        if unpublish_at is not None and publish_at is not None and unpublish_at <= publish_at:
            raise ValueError("must be after publish_at")
        return unpublish_at


class Article(ArticleCreate, RecordMeta):
    slug: str
    body_html: str = Field(description="The body rendered from Markdown and sanitized: safe to put in a page")


ArticlePatch = merge_patch.model(ArticleCreate)


class PublicArticle(LazyModel):
    """A published public article as anyone reads it: no author, no internal field."""

    slug: str
    title: str
    body: str
    body_html: str
    category: str | None = None
    tags: list[str]
    updated_at: datetime


class CaseArticleLink(StrictModel):
    article_id: RecordId


class LinkedArticle(LazyModel):
    """An article linked to a case, as it was when linked (link it again to refresh)."""

    article_id: str
    title: str
    slug: str
    visibility: Visibility
    status: ArticleStatus
    linked_at: datetime
    linked_by: str
