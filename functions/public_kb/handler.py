"""The public knowledge base: a tenant's published public articles, by its slug, for anyone (no sign-in).

No token and no API key: API Gateway throttles these routes, and the tenant comes from the slug in the path
(rapport.tenants), never from anything else the request says. Answers are cacheable: an `ETag` of the content,
`If-None-Match` with it is a 304, and `Cache-Control: public`. Anything not published and public, or of another
tenant, or unknown, is the same 404.
"""

import hashlib
import json
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Annotated, Any

from aws_lambda_powertools.event_handler import CORSConfig, Response
from aws_lambda_powertools.event_handler.openapi.params import Header, Path, Query
from pydantic import BaseModel

from rapport.api.http import JSON, PUBLIC_EXTENSION, PageOf, create_app, entrypoint
from rapport.api.records import Cursor, Limit, responses
from rapport.dal.tenancy import tenant_scope
from rapport.errors import NotFound
from rapport.kb.models import SLUG_PATTERN, PublicArticle
from rapport.kb.service import NOT_PUBLISHED, articles
from rapport.pagination import DEFAULT_LIMIT, Page
from rapport.tenants.models import SLUG_PATTERN as TENANT_SLUG_PATTERN
from rapport.tenants.service import tenant_of

PUBLIC = "public_kb"
CACHE_CONTROL = "public, max-age=300"
Clock = Callable[[], datetime]
TenantSlug = Annotated[str, Path(min_length=3, max_length=40, pattern=TENANT_SLUG_PATTERN)]
ArticleSlugParam = Annotated[str, Path(min_length=1, max_length=80, pattern=SLUG_PATTERN)]
# A 304 has no body, which a route's response model would refuse: the routes answer a plain Response (its body a
# dumped PublicArticle model, or a page of them) and document the model in `responses`.
NOT_MODIFIED: dict[int, Any] = {304: {"description": "Not modified: the ETag sent in If-None-Match is current"}}
IfNoneMatch = Annotated[str | None, Header(alias="If-None-Match", description="The ETag you have: 304 if current")]

app = create_app(CORSConfig(allow_origin="*", max_age=600))


def _now() -> datetime:
    return datetime.now(UTC)


def _tenant(tenant_slug: str) -> str:
    tenant_id = tenant_of(tenant_slug)
    if tenant_id is None:
        raise NotFound(NOT_PUBLISHED)
    return tenant_id


def cacheable(body: BaseModel, if_none_match: str | None) -> Response[Any]:
    """`body` with an ETag of its content and Cache-Control; a 304 with no body when the client has that ETag."""
    content = body.model_dump(mode="json")
    digest = hashlib.sha256(json.dumps(content, sort_keys=True, separators=(",", ":")).encode()).hexdigest()
    tag = f'"{digest[:32]}"'
    headers = {"ETag": tag, "Cache-Control": CACHE_CONTROL}
    if if_none_match is not None and tag in {value.strip().removeprefix("W/") for value in if_none_match.split(",")}:
        return Response(status_code=304, body="", headers=headers)
    return Response(status_code=200, content_type=JSON, body=content, headers=headers)


def list_public(tenant_slug: str, q: str | None, limit: int, cursor: str | None, clock: Clock) -> Page[PublicArticle]:
    tenant_id = _tenant(tenant_slug)
    with tenant_scope(tenant_id):
        return articles.public_search(tenant_id, q, clock(), limit=limit, cursor=cursor)


def read_public(tenant_slug: str, slug: str, clock: Clock) -> PublicArticle:
    tenant_id = _tenant(tenant_slug)
    with tenant_scope(tenant_id):
        return articles.public_get(tenant_id, slug, clock())


@app.get(
    "/public/<tenant_slug>/kb/articles",
    tags=[PUBLIC],
    operation_id="listPublicArticles",
    summary="A tenant's published public articles by title, or found by words of the title and tags",
    openapi_extensions={PUBLIC_EXTENSION: True},
    responses={**responses(200, PageOf[PublicArticle]), **NOT_MODIFIED},
)
def list_public_articles(
    tenant_slug: TenantSlug,
    q: Annotated[str | None, Query(min_length=1, max_length=200, description="Words of the title or tags")] = None,
    limit: Limit = DEFAULT_LIMIT,
    cursor: Cursor = None,
    if_none_match: IfNoneMatch = None,
) -> Response[Any]:
    page = list_public(tenant_slug, q, limit, cursor, _now)
    return cacheable(PageOf[PublicArticle](items=page.items, next_cursor=page.next_cursor), if_none_match)


@app.get(
    "/public/<tenant_slug>/kb/articles/<slug>",
    tags=[PUBLIC],
    operation_id="getPublicArticle",
    summary="A published public article of a tenant, by its slug",
    openapi_extensions={PUBLIC_EXTENSION: True},
    responses={**responses(200, PublicArticle), **NOT_MODIFIED},
)
def get_public_article(
    tenant_slug: TenantSlug, slug: ArticleSlugParam, if_none_match: IfNoneMatch = None
) -> Response[Any]:
    return cacheable(read_public(tenant_slug, slug, _now), if_none_match)


lambda_handler = entrypoint(app)
