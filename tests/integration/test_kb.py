"""The knowledge base: articles (records with slugs, lists, word search, Markdown rendered and sanitized) and what
the public reads of the published public ones, by the tenant's slug."""

from datetime import UTC, datetime
from html.parser import HTMLParser
from typing import Any

import pytest

from rapport.dal.tenancy import tenant_scope
from rapport.errors import NotFound
from rapport.kb.service import articles
from tools.lambda_api import Reply, Staff, call
from tools.metering import dynamodb_requests

SUPPORT = Staff(groups=("support",))
SALES = Staff(groups=("sales",))
ADMIN = Staff(groups=("admin",))
OTHER = Staff(tenant="tenant-b", user="user-9", groups=("admin",))
RETURNS = {
    "title": "How to return a product",
    "body": "## Returns\n\nSend it back within **30 days**.",
    "category": "Returns",
    "tags": ["refunds", "Shipping"],
}
XSS = [
    "<script>alert(1)</script>",
    "<img src=x onerror=alert(1)>",
    "[click](javascript:alert(1))",
    "[click](JaVaScRiPt:alert(1))",
    "[click](&#106;avascript:alert(1))",
    "[click](java\tscript:alert(1))",
    "![x](javascript:alert(1))",
    '<a href="javascript:alert(1)">x</a>',
    "<svg onload=alert(1)>",
    '<iframe src="https://evil.example"></iframe>',
    "[x](data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==)",
    "<div style=\"background:url('javascript:alert(1)')\">x</div>",
    '"><script>alert(1)</script>',
    "<<script>script>alert(1)<</script>/script>",
]


def create(staff: Staff = SUPPORT, **fields: Any) -> Reply:
    return call("createArticle", staff, body={**RETURNS, **fields}, headers={"Idempotency-Key": None})


def patch(record: dict[str, Any], staff: Staff = SUPPORT, **fields: Any) -> Reply:
    return call(
        "updateArticle", staff, record_id=record["id"], body=fields, headers={"If-Match": f'"{record["version"]}"'}
    )


def trash(record: dict[str, Any]) -> None:
    assert call("deleteArticle", SUPPORT, record_id=record["id"], headers={"If-Match": None}).status == 204


def listed(staff: Staff = SUPPORT, **query: str) -> Reply:
    return call("listArticles", staff, query=query or None)


def titles(reply: Reply) -> list[str]:
    assert reply.status == 200, reply.body
    return [item["title"] for item in reply.body["items"]]


def publish_tenant(slug: str, staff: Staff = ADMIN) -> None:
    reply = call("putTenantSettings", staff, body={"slug": slug}, headers={"If-Match": '"0"'})
    assert reply.status == 200, reply.body


def public_get(tenant_slug: str, slug: str, headers: dict[str, str | None] | None = None) -> Reply:
    return call("getPublicArticle", None, path={"tenant_slug": tenant_slug, "slug": slug}, headers=headers)


def public_list(tenant_slug: str, **query: str) -> Reply:
    return call("listPublicArticles", None, path={"tenant_slug": tenant_slug}, query=query or None)


def test_an_article_is_internal_draft_by_default_with_a_slug_from_its_title_and_html_from_its_markdown():
    reply = create()
    assert reply.status == 201, reply.body
    article = reply.body
    assert article["visibility"] == "internal" and article["status"] == "draft"
    assert article["slug"] == "how-to-return-a-product"
    assert article["body_html"] == "<h2>Returns</h2>\n<p>Send it back within <strong>30 days</strong>.</p>"
    assert reply.headers["location"] == f"/kb/articles/{article['id']}" and reply.etag == '"1"'
    assert call("getArticle", SALES, record_id=article["id"]).body == article
    assert create(SALES).status == 403
    assert call("getArticle", OTHER, record_id=article["id"]).status == 404


class _Markup(HTMLParser):
    """The elements and attributes of an HTML fragment, as a browser's parser would see them."""

    def __init__(self, html: str) -> None:
        super().__init__()
        self.elements: list[tuple[str, dict[str, str]]] = []
        self.feed(html)

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.elements.append((tag, {name: value or "" for name, value in attrs}))


@pytest.mark.parametrize("payload", XSS)
def test_no_script_event_handler_or_javascript_url_survives_rendering(payload: str):
    html = create(body=f"Before\n\n{payload}\n\nAfter {payload}").body["body_html"]
    for tag, attributes in _Markup(html).elements:
        assert tag not in {"script", "iframe", "svg", "object", "embed", "style"}, html
        assert not [name for name in attributes if name.startswith("on") or name == "style"], html
        for name in ("href", "src"):
            url = "".join(attributes.get(name, "").split()).lower()
            assert not url.startswith(("javascript:", "data:", "vbscript:")), html


def test_a_slug_is_unique_in_the_tenant_kept_when_the_title_changes_and_remade_from_null():
    first = create().body
    taken = create()
    assert taken.status == 409 and taken.body["errors"][0]["field"] == "slug"
    assert taken.body["existing"]["id"] == first["id"]
    own = create(slug="returns-faq")
    assert own.status == 201 and own.body["slug"] == "returns-faq"
    assert create(OTHER).status == 201  # another tenant's slugs are its own
    renamed = patch(first, title="Returning a product: the steps")
    assert renamed.status == 200 and renamed.body["slug"] == "how-to-return-a-product"
    remade = patch(renamed.body, slug=None)
    assert remade.status == 200 and remade.body["slug"] == "returning-a-product-the-steps"
    assert create().status == 201  # the old slug was freed
    assert patch(remade.body, slug="returns-faq").status == 409
    assert create(title="¿¡!?", slug=None).body["slug"] == "article"


@pytest.mark.parametrize(
    ("fields", "field"),
    [
        ({"title": ""}, "title"),
        ({"body": ""}, "body"),
        ({"visibility": "everyone"}, "visibility"),
        ({"status": "archived"}, "status"),
        ({"slug": "Not A Slug"}, "slug"),
        ({"slug": "double--hyphen"}, "slug"),
        ({"category": "a#b"}, "category"),
        ({"publish_at": "2026-12-01T00:00:00Z", "unpublish_at": "2026-11-01T00:00:00Z"}, "unpublish_at"),
        ({"publish_at": "tomorrow"}, "publish_at"),
        ({"tags": ["a", "a"]}, "tags"),
        ({"author": "me"}, "author"),
    ],
)
def test_bad_articles_are_422_naming_the_field(fields: dict[str, Any], field: str):
    reply = create(**fields)
    assert reply.status == 422, reply.body
    assert field in {error["field"] for error in reply.body["errors"]}


def test_a_patch_is_checked_whole_and_needs_the_version_read():
    article = create(publish_at="2026-12-01T00:00:00Z").body
    bad = patch(article, unpublish_at="2026-11-01T00:00:00Z")
    assert bad.status == 422 and bad.body["errors"][0]["field"] == "unpublish_at"
    unconditional = call(
        "updateArticle", SUPPORT, record_id=article["id"], body={"status": "published"}, headers={"If-Match": None}
    )
    assert unconditional.status == 428
    assert patch({**article, "version": 7}, status="published").status == 412
    assert patch(article, title=None).status == 422


def test_lists_by_title_status_category_and_both_are_one_query_each():
    create(title="Zebra care", category="Animals", tags=[])
    published = create(title="Alpha returns", category="returns", status="published", slug="alpha").body
    create(title="Beta returns", category="RETURNS", slug="beta")
    create(title="Gamma shipping", category=None, status="published", slug="gamma")
    for query, expected in [
        ({}, ["Alpha returns", "Beta returns", "Gamma shipping", "Zebra care"]),
        ({"status": "published"}, ["Alpha returns", "Gamma shipping"]),
        ({"status": "draft"}, ["Beta returns", "Zebra care"]),
        ({"category": "Returns"}, ["Alpha returns", "Beta returns"]),
        ({"category": "returns", "status": "published"}, ["Alpha returns"]),
        ({"category": "animals", "status": "published"}, []),
    ]:
        with dynamodb_requests() as requests:
            assert titles(listed(SUPPORT, **query)) == expected, query
        assert requests == ["Query"], query
    trash(published)
    assert titles(listed(status="published")) == ["Gamma shipping"]
    assert titles(listed(deleted="true")) == ["Alpha returns"]
    refused = listed(q="returns", status="draft")
    assert refused.status == 400 and {error["field"] for error in refused.body["errors"]} == {"q", "status"}
    assert listed(author="me").status == 400


def test_search_finds_words_of_the_title_and_tags_each_word_narrowing_in_one_query():
    create(title="Returning a product", tags=["refunds"], slug="a")
    create(title="Shipping times", tags=["delivery", "Returns policy"], slug="b")
    create(title="Password reset", tags=[], slug="c")
    for q, expected in [
        ("ret", ["Returning a product", "Shipping times"]),
        ("refund", ["Returning a product"]),
        ("deliv", ["Shipping times"]),
        ("return ship", ["Shipping times"]),
        ("RETURNING product", ["Returning a product"]),
        ("return password", []),
        ("nothing", []),
    ]:
        with dynamodb_requests() as requests:
            assert sorted(titles(listed(q=q))) == expected, q
        assert requests == ["Query"], q
    assert listed(q="!!").status == 400


def test_renaming_or_retagging_moves_the_words_and_trash_removes_them():
    article = create(title="Old words", tags=["legacy"]).body
    changed = patch(article, title="New words", tags=["fresh"]).body
    assert titles(listed(q="old")) == [] and titles(listed(q="legacy")) == []
    assert titles(listed(q="new")) == ["New words"] and titles(listed(q="fresh")) == ["New words"]
    trash(changed)
    assert titles(listed(q="new")) == []
    assert call("restoreArticle", ADMIN, record_id=changed["id"], headers={"If-Match": None}).status == 200
    assert titles(listed(q="fresh")) == ["New words"]


def test_the_public_reads_only_published_public_articles_of_the_tenant_its_slug_names():
    publish_tenant("acme")
    public = create(visibility="public", status="published").body
    create(title="Internal returns", slug="internal", status="published")
    create(title="Draft returns", slug="draft", visibility="public")
    with dynamodb_requests() as requests:
        reply = public_get("acme", public["slug"])
    assert requests == ["GetItem", "Query"]
    assert reply.status == 200, reply.body
    assert reply.body == {
        "slug": public["slug"],
        "title": public["title"],
        "body": public["body"],
        "body_html": public["body_html"],
        "category": "Returns",
        "tags": ["refunds", "Shipping"],
        "updated_at": public["updated_at"],
    }
    assert reply.headers["cache-control"] == "public, max-age=300"
    for tenant_slug, slug in [("acme", "internal"), ("acme", "draft"), ("acme", "nope"), ("nobody", public["slug"])]:
        missing = public_get(tenant_slug, slug)
        assert missing.status == 404, (tenant_slug, slug)
        assert missing.body["detail"] == "No published article has this address."
    with dynamodb_requests() as requests:
        assert titles(public_list("acme")) == ["How to return a product"]
    assert requests == ["GetItem", "Query"]
    assert titles(public_list("acme", q="return")) == ["How to return a product"]
    assert titles(public_list("acme", q="shipping refunds")) == ["How to return a product"]
    assert titles(public_list("acme", q="draft")) == []


def test_another_tenants_slug_never_shows_this_tenants_articles():
    publish_tenant("acme")
    publish_tenant("globex", OTHER)
    create(visibility="public", status="published")
    assert public_get("globex", "how-to-return-a-product").status == 404
    assert titles(public_list("globex")) == []
    assert titles(public_list("acme")) == ["How to return a product"]


def test_unpublishing_making_internal_or_trashing_takes_an_article_off_the_public_at_once():
    publish_tenant("acme")
    article = create(visibility="public", status="published").body
    internal = patch(article, visibility="internal").body
    assert public_get("acme", article["slug"]).status == 404 and titles(public_list("acme")) == []
    public_again = patch(internal, visibility="public").body
    assert public_get("acme", article["slug"]).status == 200
    draft = patch(public_again, status="draft").body
    assert public_get("acme", article["slug"]).status == 404
    republished = patch(draft, status="published").body
    assert titles(public_list("acme", q="return")) == ["How to return a product"]
    trash(republished)
    assert public_get("acme", article["slug"]).status == 404 and titles(public_list("acme", q="return")) == []


def test_a_changed_slug_moves_the_public_address():
    publish_tenant("acme")
    article = create(visibility="public", status="published").body
    patch(article, slug="returns")
    assert public_get("acme", "how-to-return-a-product").status == 404
    assert public_get("acme", "returns").status == 200


def test_the_publish_window_is_judged_by_the_clock_passed_in():
    article = create(
        visibility="public", status="published", publish_at="2026-12-01T09:00:00Z", unpublish_at="2027-01-01T00:00:00Z"
    ).body
    with tenant_scope(SUPPORT.tenant):
        for now, shows in [
            (datetime(2026, 12, 1, 8, 59, 59, tzinfo=UTC), False),
            (datetime(2026, 12, 1, 9, 0, 0, tzinfo=UTC), True),
            (datetime(2026, 12, 31, 23, 59, 59, tzinfo=UTC), True),
            (datetime(2027, 1, 1, 0, 0, 0, tzinfo=UTC), False),
        ]:
            listed_now = articles.public_search(SUPPORT.tenant, "return", now, limit=10, cursor=None).items
            assert [item.slug for item in listed_now] == ([article["slug"]] if shows else []), now
            if shows:
                assert articles.public_get(SUPPORT.tenant, article["slug"], now).slug == article["slug"]
            else:
                with pytest.raises(NotFound):
                    articles.public_get(SUPPORT.tenant, article["slug"], now)


def test_over_http_an_article_outside_its_window_is_404():
    publish_tenant("acme")
    create(visibility="public", status="published", slug="later", publish_at="2199-01-01T00:00:00Z")
    create(visibility="public", status="published", slug="gone", unpublish_at="2001-01-01T00:00:00Z")
    create(visibility="public", status="published", slug="now", publish_at="2001-01-01T00:00:00Z")
    assert public_get("acme", "later").status == 404 and public_get("acme", "gone").status == 404
    assert public_get("acme", "now").status == 200
    assert [item["slug"] for item in public_list("acme").body["items"]] == ["now"]


def test_public_answers_are_cacheable_and_revalidate_with_their_etag():
    publish_tenant("acme")
    article = create(visibility="public", status="published").body
    first = public_get("acme", article["slug"])
    assert first.etag.startswith('"') and public_get("acme", article["slug"]).etag == first.etag
    same = public_get("acme", article["slug"], headers={"If-None-Match": first.etag})
    assert same.status == 304 and same.body is None and same.etag == first.etag
    assert public_get("acme", article["slug"], headers={"If-None-Match": f'W/{first.etag}, "x"'}).status == 304
    assert public_get("acme", article["slug"], headers={"If-None-Match": '"other"'}).status == 200
    patch(article, body="Changed.")
    changed = public_get("acme", article["slug"], headers={"If-None-Match": first.etag})
    assert changed.status == 200 and changed.etag != first.etag
    page = public_list("acme")
    assert public_list("acme").etag == page.etag
    assert (
        call("listPublicArticles", None, path={"tenant_slug": "acme"}, headers={"If-None-Match": page.etag}).status
        == 304
    )


@pytest.mark.parametrize(
    ("tenant_slug", "slug", "field"),
    [("AC", "x", "tenant_slug"), ("Acme", "x", "tenant_slug"), ("acme", "Bad Slug", "slug"), ("acme", "a--b", "slug")],
)
def test_bad_public_addresses_are_400_naming_the_parameter(tenant_slug: str, slug: str, field: str):
    reply = public_get(tenant_slug, slug)
    assert reply.status == 400, reply.body
    assert [error["field"] for error in reply.body["errors"]] == [field]


def test_the_public_list_refuses_unknown_parameters_and_an_empty_search():
    publish_tenant("acme")
    assert public_list("acme", status="draft").status == 400
    assert public_list("acme", q="??").status == 400
