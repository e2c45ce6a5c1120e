"""Knowledge base API: /kb/articles, the articles staff write (Markdown, rendered and sanitized on read)."""

from typing import Annotated

from aws_lambda_powertools.event_handler import Response
from aws_lambda_powertools.event_handler.openapi.params import Query

from rapport.api.http import PageOf, caller, create_app, entrypoint, page_response
from rapport.api.records import Cursor, Limit, Trash, register_record_routes, responses
from rapport.kb.models import Article, ArticleCreate, ArticlePatch, ArticleStatus
from rapport.kb.service import FILTERS, articles
from rapport.pagination import DEFAULT_LIMIT

app = create_app()
register_record_routes(app, articles, ArticleCreate, ArticlePatch, Article, path="/kb/articles", area="kb")


@app.get(
    "/kb/articles",
    tags=["kb"],
    operation_id="listArticles",
    summary="List articles by title, filtered, or find them by words of the title and tags",
    description=f"Filter combinations (any other is a 400): {FILTERS.described()}.",
    responses=responses(200, PageOf[Article]),
)
def list_articles(
    q: Annotated[
        str | None,
        Query(min_length=1, max_length=200, description="Each word starts a word of the title or a tag"),
    ] = None,
    status: Annotated[ArticleStatus | None, Query()] = None,
    category: Annotated[
        str | None, Query(min_length=1, max_length=64, description="Compared case-insensitively")
    ] = None,
    deleted: Trash = False,
    limit: Limit = DEFAULT_LIMIT,
    cursor: Cursor = None,
) -> Response[PageOf[Article]]:
    page = articles.search(
        caller(app), q=q, status=status, category=category, deleted=deleted, limit=limit, cursor=cursor
    )
    return page_response(page)


lambda_handler = entrypoint(app)
