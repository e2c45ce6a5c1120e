"""Staff link knowledge base articles to cases: POST/DELETE /cases/{id}/articles, listed in ONE Query."""

from typing import Any

from tools.lambda_api import Reply, Staff, call, create
from tools.metering import dynamodb_requests

SUPPORT = Staff(user="agent-1", groups=("support",))
ADMIN = Staff(user="boss", groups=("admin",))
OTHER_TENANT = Staff(tenant="tenant-b", user="user-9", groups=("admin",))
NO_KEY: dict[str, str | None] = {"Idempotency-Key": None}
UNKNOWN = "01JD5Y7M7ZV1W4T5C9H2K3N4P9"


def case(staff: Staff = SUPPORT) -> dict[str, Any]:
    contact = create("createContact", ADMIN if staff is SUPPORT else staff, last_name="Rosen")["id"]
    return create("createCase", staff, subject="The part has not arrived", contact_id=contact)


def article(title: str, staff: Staff = SUPPORT, **fields: Any) -> dict[str, Any]:
    return create("createArticle", staff, title=title, body="How to.", **fields)


def link(case_id: str, article_id: str, staff: Staff = SUPPORT) -> Reply:
    return call("linkCaseArticle", staff, path={"record_id": case_id}, body={"article_id": article_id})


def linked(case_id: str, staff: Staff = SUPPORT) -> Reply:
    return call("listCaseArticles", staff, path={"record_id": case_id})


def unlink(case_id: str, article_id: str, staff: Staff = SUPPORT) -> Reply:
    return call("unlinkCaseArticle", staff, path={"record_id": case_id, "article_id": article_id})


def ids(reply: Reply) -> list[str]:
    assert reply.status == 200, reply.body
    return [item["article_id"] for item in reply.body["items"]]


def test_linked_articles_are_listed_with_the_case_in_one_query_and_unlinked():
    opened = case()
    first, second = article("Returns"), article("Refunds", visibility="public", status="published")
    with dynamodb_requests() as requests:
        reply = link(opened["id"], first["id"])
    assert requests == ["BatchGetItem", "TransactWriteItems"]  # the case and the article, then the link
    assert reply.status == 201, reply.body
    assert reply.body["title"] == "Returns" and reply.body["linked_by"] == SUPPORT.user
    assert reply.headers["location"] == f"/cases/{opened['id']}/articles/{first['id']}"
    assert link(opened["id"], second["id"]).status == 201
    with dynamodb_requests() as requests:
        listed = linked(opened["id"])
    assert requests == ["Query"]
    assert ids(listed) == sorted([first["id"], second["id"]])
    assert {item["visibility"] for item in listed.body["items"]} == {"internal", "public"}
    assert link(opened["id"], first["id"]).status == 201  # again: still one link
    assert len(ids(linked(opened["id"]))) == 2
    with dynamodb_requests() as requests:
        assert unlink(opened["id"], first["id"]).status == 204
    assert requests == ["GetItem", "TransactWriteItems", "DeleteItem"]  # the case, the unlink, the emptied entry
    assert ids(linked(opened["id"])) == [second["id"]]
    assert unlink(opened["id"], first["id"]).status == 204  # not linked: nothing to do
    assert call("getCase", SUPPORT, record_id=opened["id"]).body["version"] == opened["version"]  # the case as is


def test_an_unknown_trashed_or_other_tenants_article_is_a_422_on_article_id():
    opened = case()
    trashed = article("Old")
    assert call("deleteArticle", SUPPORT, record_id=trashed["id"], headers={"If-Match": None}).status == 204
    theirs = article("Theirs", OTHER_TENANT)
    for article_id in (UNKNOWN, trashed["id"], theirs["id"]):
        reply = link(opened["id"], article_id)
        assert reply.status == 422, reply.body
        assert reply.body["errors"][0]["field"] == "article_id"
    assert ids(linked(opened["id"])) == []


def test_an_unknown_trashed_or_other_tenants_case_is_a_404():
    kb = article("Returns")
    trashed = case()
    assert call("deleteCase", SUPPORT, record_id=trashed["id"], headers={"If-Match": None}).status == 204
    theirs = case(OTHER_TENANT)
    for case_id in (UNKNOWN, trashed["id"], theirs["id"]):
        assert link(case_id, kb["id"]).status == 404, case_id
        assert unlink(case_id, kb["id"]).status == 404, case_id
    assert linked(UNKNOWN).status == 404 and linked(theirs["id"]).status == 404
    assert linked(trashed["id"]).status == 200  # a trashed case is still read, as its messages are


def test_linking_needs_the_right_to_change_cases_and_a_valid_body():
    opened, kb = case(), article("Returns")
    assert link(opened["id"], kb["id"], Staff(groups=("partner",))).status == 403
    for body in ({}, {"article_id": ""}, {"article_id": "not/an id"}, {"article_id": kb["id"], "note": "x"}):
        reply = call("linkCaseArticle", SUPPORT, path={"record_id": opened["id"]}, body=body)
        assert reply.status == 422, (body, reply.body)
