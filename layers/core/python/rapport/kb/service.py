"""Knowledge base articles: records with the shared life cycle (merge-patch, If-Match, trash, restore, erase), a
slug unique per tenant (a guard), lists by status and category, search by the words of the title and tags, and what
the public reads of the published public ones (rapport.kb.store has the layout).

The body is Markdown; every answer carries it rendered and sanitized as `body_html` (rapport.kb.rendering).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any

from rapport import normalize, pagination
from rapport.api.filters import Combinations
from rapport.auth import Caller
from rapport.dal import repository
from rapport.dal.access import IndexQuery
from rapport.dal.repository import Guard, IndexKeys, Record
from rapport.errors import BadRequest, NotFound
from rapport.kb import rendering, store
from rapport.kb.manifest import ARTICLE
from rapport.kb.models import (
    MAX_SLUG_LENGTH,
    Article,
    ArticleCreate,
    ArticleStatus,
    PublicArticle,
    Visibility,
)
from rapport.pagination import Page
from rapport.records import RecordService

UNTITLED_SLUG = "article"  # a title with no letter or digit of a-z, 0-9 (send a slug of your own)
NOT_PUBLISHED = "No published article has this address."

# The filter combinations of GET /kb/articles, each one Query (see `ArticleService.search`).
FILTERS = Combinations("Articles", ((), ("q",), ("status",), ("category",), ("category", "status"), ("deleted",)))


def slug_of(title: str) -> str:
    """`Returns & refunds: how?` -> `returns-refunds-how` (accents dropped, at most MAX_SLUG_LENGTH characters)."""
    ascii_only = "".join(char if "a" <= char <= "z" or "0" <= char <= "9" else " " for char in normalize.fold(title))
    slug = "-".join(ascii_only.split())[:MAX_SLUG_LENGTH].strip("-")
    return slug or UNTITLED_SLUG


def is_public(data: Mapping[str, Any]) -> bool:
    """Published and public (its publish window aside)."""
    return bool(data["visibility"] == Visibility.PUBLIC and data["status"] == ArticleStatus.PUBLISHED)


def showing(data: Mapping[str, Any], now: datetime) -> bool:
    """Whether a published public article's window holds `now`."""
    publish_at, unpublish_at = data.get("publish_at"), data.get("unpublish_at")
    if publish_at is not None and datetime.fromisoformat(publish_at) > now:
        return False
    return unpublish_at is None or datetime.fromisoformat(unpublish_at) > now


def matches(data: Mapping[str, Any], terms: Sequence[str]) -> bool:
    """Whether each of `terms` starts a word of the article's title or tags: what a search by them finds."""
    words = normalize.search_words(data["title"], *data.get("tags", []))
    return all(any(word.startswith(term) for word in words) for term in terms)


class ArticleService(RecordService[ArticleCreate, Article]):
    kind = ARTICLE
    resource = "kb_articles"
    label = "article"
    create_model = ArticleCreate
    out_model = Article

    def guards(self, data: Mapping[str, Any]) -> dict[Guard, str]:
        return {Guard(store.SLUG_GUARD, data["slug"]): "slug"}

    def derive(self, tenant_id: str, data: dict[str, Any], before: Record | None) -> dict[str, Any]:
        """A new article's slug comes from its title; it stays when the title changes (links keep working), and
        `"slug": null` makes it again from the title."""
        return {**data, "slug": data.get("slug") or slug_of(data["title"])}

    def index_keys(self, tenant_id: str, record_id: str, data: Mapping[str, Any], *, deleted: bool) -> IndexKeys:
        return store.index_keys(
            tenant_id,
            record_id,
            title=data["title"],
            tags=data.get("tags", []),
            category=data.get("category"),
            status=data["status"],
            slug=data["slug"],
            public=is_public(data),
            deleted=deleted,
        )

    def out(self, record: Record) -> Article:
        rendered = {**record.data, "body_html": rendering.to_html(record.data["body"])}
        return super().out(dataclasses.replace(record, data=rendered))

    def search(
        self,
        caller: Caller,
        *,
        q: str | None,
        status: ArticleStatus | None,
        category: str | None,
        deleted: bool,
        limit: int,
        cursor: str | None,
    ) -> Page[Article]:
        """Articles by title, filtered (FILTERS), each ONE Query."""
        filters = {"q": q, "status": status, "category": category, "deleted": deleted}
        combination = FILTERS.check(filters)
        bound_to = {name: filters[name] for name in combination}
        if q is not None:
            return self.find_by_name(caller, q, limit=limit, cursor=cursor, bound_to=bound_to)
        found = self._pattern(caller.tenant_id, status=status, category=category, deleted=deleted)
        return self.list(caller, found, limit=limit, cursor=cursor, bound_to=bound_to)

    @staticmethod
    def _pattern(tenant_id: str, *, status: str | None, category: str | None, deleted: bool) -> IndexQuery:
        if category is not None:
            return store.in_category(tenant_id, category, status)
        if status is not None:
            return store.in_status(tenant_id, status)
        return store.listed(tenant_id, deleted=deleted)

    def public_search(
        self, tenant_id: str, q: str | None, now: datetime, *, limit: int, cursor: str | None
    ) -> Page[PublicArticle]:
        """The tenant's published public articles showing at `now`, by title, found by words if `q`: ONE Query."""
        found = self.public_found(tenant_id, self.public_terms(q))
        binding = pagination.fingerprint(tenant_id, "public_kb", {"q": q})
        page = repository.query(found, limit=limit, position=pagination.decode_cursor(cursor, binding))
        return Page(
            items=[self.public_out(record) for record in page.records if showing(record.data, now)],
            next_cursor=pagination.encode_cursor(page.next_position, binding),
        )

    @staticmethod
    def public_terms(q: str | None) -> list[str]:
        """The words a public search looks for (none without `q`); a `q` without a letter or a digit is a 400."""
        if q is None:
            return []
        terms = normalize.search_terms(q)
        if not terms:
            raise BadRequest.of("q", "must hold a letter or a digit")
        return terms

    @staticmethod
    def public_found(tenant_id: str, terms: Sequence[str]) -> IndexQuery:
        """The published public articles by title, those found by `terms` if any (ONE Query a page)."""
        return store.public_named(tenant_id, terms) if terms else store.public(tenant_id)

    @staticmethod
    def shown(record: Record, terms: Sequence[str], now: datetime) -> bool:
        """Whether the public search by `terms` shows the article at `now`: live, published, public, in its window
        and found by `terms`, as read from the article itself."""
        data = record.data
        return not record.deleted and is_public(data) and showing(data, now) and matches(data, terms)

    def public_get(self, tenant_id: str, slug: str, now: datetime) -> PublicArticle:
        """The published public article at `slug` showing at `now` (ONE Query), else a 404 that tells nothing."""
        page = repository.query(store.public_by_slug(tenant_id, slug), limit=1)
        shown = [record for record in page.records if showing(record.data, now)]
        if not shown:
            raise NotFound(NOT_PUBLISHED)
        return self.public_out(shown[0])

    def public_out(self, record: Record) -> PublicArticle:
        data = record.data
        return PublicArticle(
            slug=data["slug"],
            title=data["title"],
            body=data["body"],
            body_html=rendering.to_html(data["body"]),
            category=data.get("category"),
            tags=data.get("tags", []),
            updated_at=datetime.fromisoformat(record.updated_at),
        )


articles = ArticleService()
