"""The knowledge base over HTTP: a tenant's public slug, articles written and found by staff, and what anyone reads
without a token once they are published and public (cacheable); the errors a client can make."""

from __future__ import annotations

import uuid
from typing import Any

import requests

from tests.e2e.conftest import Client, Staff, Target, problem, sample


def _slug() -> str:
    return f"kb-{uuid.uuid4().hex[:12]}"


def _set_slug(admin: Client, slug: str) -> None:
    saved = admin.put("/tenant-settings", json={"slug": slug, "name": "Acme"}, headers={"If-Match": '"0"'})
    assert saved.status_code == 200, saved.text


def _public(target: Target, path: str, **kwargs: Any) -> requests.Response:
    return requests.get(f"{target.url}/public/{path}", timeout=30, **kwargs)


def test_an_article_from_draft_to_the_public_and_off_it_again(staff: Staff, target: Target) -> None:
    admin, agent = staff("admin"), staff("support")
    tenant_slug = _slug()
    _set_slug(admin, tenant_slug)
    created = agent.post("/kb/articles", json=sample("createArticle", visibility="internal", status="draft"))
    assert created.status_code == 201, created.text
    article = created.json()
    assert created.headers["Location"] == f"/kb/articles/{article['id']}"
    assert "<strong>30 days</strong>" in article["body_html"]
    found = agent.get("/kb/articles", params={"q": "refund"}).json()["items"]
    assert [item["id"] for item in found] == [article["id"]]
    address = f"{tenant_slug}/kb/articles/{article['slug']}"
    assert problem(_public(target, address), 404)["detail"] == "No published article has this address."

    published = agent.patch(
        f"/kb/articles/{article['id']}",
        json={"visibility": "public", "status": "published"},
        headers={"If-Match": created.headers["ETag"]},
    )
    assert published.status_code == 200, published.text
    read = _public(target, address)
    assert read.status_code == 200, read.text
    assert read.json()["body_html"] == article["body_html"] and "created_by" not in read.json()
    assert read.headers["Cache-Control"] == "public, max-age=300"
    again = _public(target, address, headers={"If-None-Match": read.headers["ETag"]})
    assert again.status_code == 304 and again.content == b""
    listed = _public(target, f"{tenant_slug}/kb/articles", params={"q": "return"})
    assert [item["slug"] for item in listed.json()["items"]] == [article["slug"]]

    trashed = agent.delete(f"/kb/articles/{article['id']}")
    assert trashed.status_code == 204, trashed.text
    problem(_public(target, address), 404)
    assert _public(target, f"{tenant_slug}/kb/articles").json()["items"] == []


def test_a_tenant_slug_is_unique_across_tenants(staff: Staff) -> None:
    slug = _slug()
    _set_slug(staff("admin"), slug)
    other = staff("admin", tenant=f"other-{uuid.uuid4().hex[:8]}")
    taken = problem(other.put("/tenant-settings", json={"slug": slug}, headers={"If-Match": '"0"'}), 409)
    assert taken["errors"][0]["field"] == "slug"
    assert problem(staff("manager").put("/tenant-settings", json={"slug": _slug()}), 403)


def test_another_tenants_public_address_never_shows_this_tenants_articles(staff: Staff, target: Target) -> None:
    mine, theirs = _slug(), _slug()
    _set_slug(staff("admin"), mine)
    _set_slug(staff("admin", tenant=f"other-{uuid.uuid4().hex[:8]}"), theirs)
    article = staff("support").create("kb/articles", **sample("createArticle"))
    assert _public(target, f"{mine}/kb/articles/{article['slug']}").status_code == 200
    problem(_public(target, f"{theirs}/kb/articles/{article['slug']}"), 404)
    assert _public(target, f"{theirs}/kb/articles").json()["items"] == []


def test_bad_input_is_a_problem_naming_the_field(staff: Staff, target: Target) -> None:
    agent = staff("support")
    bad = problem(agent.post("/kb/articles", json=sample("createArticle", slug="Not A Slug")), 422)
    assert bad["errors"][0]["field"] == "slug"
    article = agent.create("kb/articles", **sample("createArticle"))
    duplicate = problem(agent.post("/kb/articles", json=sample("createArticle")), 409)
    assert duplicate["existing"]["id"] == article["id"]
    assert problem(agent.get("/kb/articles", params={"q": "x", "status": "draft"}), 400)["errors"]
    assert problem(staff("sales").post("/kb/articles", json=sample("createArticle", slug=_slug())), 403)
    problem(_public(target, "nobody-here/kb/articles/anything"), 404)
    assert problem(_public(target, "AB/kb/articles"), 400)
    settings = problem(
        staff("admin").put("/tenant-settings", json={"time_zone": "Mars/Olympus"}, headers={"If-Match": '"0"'}), 422
    )
    assert settings["errors"][0]["field"] == "time_zone"


def test_staff_link_articles_to_a_case_and_list_them_in_one_read(staff: Staff) -> None:
    admin, agent = staff("admin"), staff("support")
    contact = admin.create("contacts", last_name="Batty")
    case = agent.create("cases", subject="Where is my refund?", contact_id=contact["id"])
    article = agent.create("kb/articles", **sample("createArticle"))
    linked = agent.post(f"/cases/{case['id']}/articles", json={"article_id": article["id"]})
    assert linked.status_code == 201, linked.text
    assert linked.json()["slug"] == article["slug"]
    listed = agent.get(f"/cases/{case['id']}/articles").json()["items"]
    assert [item["article_id"] for item in listed] == [article["id"]]
    missing = problem(agent.post(f"/cases/{case['id']}/articles", json={"article_id": case["id"]}), 422)
    assert missing["errors"][0]["field"] == "article_id"
    assert agent.delete(f"/cases/{case['id']}/articles/{article['id']}").status_code == 204
    assert agent.get(f"/cases/{case['id']}/articles").json()["items"] == []
    problem(agent.get("/cases/01JD5Y7M7ZV1W4T5C9H2K3N4P6/articles"), 404)
