"""The knowledge base's scenario for `make bench` (tools.bench_scenarios): articles, their lists and search, and the
public reads by the tenant's slug."""

from __future__ import annotations

from tools.bench_scenarios import Operation
from tools.lambda_api import Staff, call, create

PUBLIC = {"tenant_slug": "bench-kb", "slug": "returning-a-product"}


def operations(account_id: str) -> list[Operation]:
    admin = Staff(tenant="kb-bench", groups=("admin",))  # a tenant of its own: the tenants' scenario saves tenant-a's
    call("putTenantSettings", admin, body={"slug": PUBLIC["tenant_slug"]}, headers={"If-Match": '"0"'})
    article = create(
        "createArticle",
        admin,
        title="Returning a product",
        body="Send it **back**.",
        category="Returns",
        tags=["refunds"],
        visibility="public",
        status="published",
    )
    contact = create("createContact", admin, last_name="Linked")["id"]
    case = create("createCase", admin, subject="Where is my refund?", contact_id=contact)
    case_path = {"record_id": case["id"]}
    return [
        (
            "POST /cases/{id}/articles",
            lambda: call("linkCaseArticle", admin, path=case_path, body={"article_id": article["id"]}),
        ),
        ("GET /cases/{id}/articles", lambda: call("listCaseArticles", admin, path=case_path)),
        (
            "POST /kb/articles",
            lambda: create("createArticle", admin, title="Shipping times", body="Two days.", tags=["delivery"]),
        ),
        ("GET /kb/articles/{id}", lambda: call("getArticle", admin, record_id=article["id"])),
        ("GET /kb/articles?q=return", lambda: call("listArticles", admin, query={"q": "return"})),
        (
            "GET /kb/articles?category=&status=",
            lambda: call("listArticles", admin, query={"category": "returns", "status": "published"}),
        ),
        ("GET /public/{tenant}/kb/articles/{slug}", lambda: call("getPublicArticle", None, path=PUBLIC)),
        (
            "GET /public/{tenant}/kb/articles?q=",
            lambda: call("listPublicArticles", None, path={"tenant_slug": PUBLIC["tenant_slug"]}, query={"q": "ret"}),
        ),
    ]
