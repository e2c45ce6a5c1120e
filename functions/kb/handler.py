"""Knowledge base API: /kb/articles, the articles staff write (Markdown, rendered and sanitized on read)."""

from typing import Annotated

from aws_lambda_powertools.event_handler import Response
from aws_lambda_powertools.event_handler.openapi.params import Path, Query

from rapport.api.http import JSON, PageOf, caller, create_app, entrypoint, no_content, page_response
from rapport.api.records import Cursor, Limit, RecordIdParam, Trash, register_record_routes, responses
from rapport.kb import linking
from rapport.kb.models import Article, ArticleCreate, ArticlePatch, ArticleStatus, CaseArticleLink, LinkedArticle
from rapport.kb.service import FILTERS, articles
from rapport.pagination import DEFAULT_LIMIT
from rapport.types import RECORD_ID_PATTERN

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


ArticleIdParam = Annotated[str, Path(min_length=1, max_length=64, pattern=RECORD_ID_PATTERN)]


@app.post(
    "/cases/<record_id>/articles",
    tags=["kb"],
    operation_id="linkCaseArticle",
    summary="Link a knowledge base article to a case (again: refresh its title as shown)",
    description="Needs the right to change cases. The case must be live (else 404) and the article too (else a "
    "422 on article_id).",
    responses=responses(201, LinkedArticle),
    status_code=201,
)
def link_case_article(record_id: RecordIdParam, body: CaseArticleLink) -> Response[LinkedArticle]:
    linked = linking.link(caller(app), record_id, body.article_id)
    return Response(
        status_code=201,
        content_type=JSON,
        body=linked,
        headers={"Location": f"/cases/{record_id}/articles/{body.article_id}"},
    )


@app.get(
    "/cases/<record_id>/articles",
    tags=["kb"],
    operation_id="listCaseArticles",
    summary="The articles linked to a case, by article id (one Query)",
    responses=responses(200, PageOf[LinkedArticle]),
)
def list_case_articles(
    record_id: RecordIdParam, limit: Limit = DEFAULT_LIMIT, cursor: Cursor = None
) -> Response[PageOf[LinkedArticle]]:
    return page_response(linking.linked(caller(app), record_id, limit=limit, cursor=cursor))


@app.delete(
    "/cases/<record_id>/articles/<article_id>",
    tags=["kb"],
    operation_id="unlinkCaseArticle",
    summary="Unlink an article from a case (not linked: nothing to do)",
    responses=responses(204, None),
    status_code=204,
)
def unlink_case_article(record_id: RecordIdParam, article_id: ArticleIdParam) -> Response[None]:
    linking.unlink(caller(app), record_id, article_id)
    return no_content()


lambda_handler = entrypoint(app)
