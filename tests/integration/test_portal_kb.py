"""The portal's knowledge base: the articles linked to the customer's own cases first, then the rest of the search,
each article once, in a fixed number of DynamoDB requests a page whatever the number of cases.

What a customer may see first is every combination staff make: no links, links on their own cases, on a
colleague's (never first for them), on an internal, draft, trashed or not yet published article (never shown), the
same article on two cases (once), with and without `q`, over pages that cross from the linked articles to the
search, and after an unlink, a case moved to another contact, trashed, restored or erased.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from itertools import count
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from rapport.dal import repository
from rapport.kb import store as kb_store
from rapport.kb.service import articles
from tools.lambda_api import Customer, Staff, call, create
from tools.metering import dynamodb_requests

PUBLIC = {"visibility": "public", "status": "published"}
ANY_VERSION: dict[str, str | None] = {"If-Match": None}
NO_LINKED_ENTRY = ["Query", "Query", "BatchGetItem"]  # no linked entry (left): the search, their contact
LINKED_PAGE = ["Query", "BatchGetItem"]  # the linked entries, their contact and those articles
ACROSS = [*LINKED_PAGE, "Query", "BatchGetItem"]  # then the search, their contact and the entries it found
FOUND_PAGE = ["Query", "BatchGetItem"]
TITLES = ("Alpha returns", "Bravo returns", "Charlie shipping", "Delta returns", "Echo shipping")
TENANTS = count()


@dataclass(frozen=True)
class World:
    """A tenant of its own: Ada and Bob of the account Acme, and Cleo, its account manager; their cases, and five
    public articles (made in the order of their titles: their ids sort so)."""

    support: Staff
    admin: Staff
    ada: Customer
    bob: Customer
    cleo: Customer
    cases: dict[str, str]
    slugs: dict[str, str]  # by the title's first word

    @property
    def tenant(self) -> str:
        return self.support.tenant

    def article(self, title: str, **fields: Any) -> str:
        return str(create("createArticle", self.support, title=title, body="How to.", **fields)["slug"])

    def id_of(self, slug: str) -> str:
        found = call("listArticles", self.support, query={"q": slug.replace("-", " ")}).body["items"]
        return str(next(article["id"] for article in found if article["slug"] == slug))

    def link(self, case: str, slug: str) -> None:
        body = {"article_id": self.id_of(slug)}
        reply = call("linkCaseArticle", self.support, path={"record_id": self.cases[case]}, body=body)
        assert reply.status == 201, reply.body

    def unlink(self, case: str, slug: str) -> None:
        path = {"record_id": self.cases[case], "article_id": self.id_of(slug)}
        reply = call("unlinkCaseArticle", self.support, path=path)
        assert reply.status == 204, reply.body

    def change(self, operation: str, record_id: str, body: Any = None, *, admin: bool = False, **query: str) -> None:
        """Trash, restore or erase a record whatever its version; update it over the version it is at."""
        staff = self.admin if admin else self.support
        headers = ANY_VERSION
        if operation.startswith("update"):
            headers = {"If-Match": call(operation.replace("update", "get"), staff, record_id=record_id).etag}
        reply = call(operation, staff, record_id=record_id, body=body, headers=headers, query=query or None)
        assert reply.status in (200, 204), reply.body

    def by_title(self, q: str | None = None) -> list[str]:
        """What the public search answers, by title."""
        page = articles.public_search(self.tenant, q, datetime.now(UTC), limit=100, cursor=None)
        return [article.slug for article in page.items]

    def linked_first(self, first: list[str], q: str | None = None) -> list[str]:
        return first + [slug for slug in self.by_title(q) if slug not in first]


def new_world() -> World:
    tenant = f"tenant-kb-{next(TENANTS)}"
    support, admin = Staff(tenant, "agent-1", ("support",)), Staff(tenant, "boss", ("admin",))
    account = str(create("createAccount", admin, name="Acme")["id"])

    def contact(name: str, **fields: Any) -> str:
        return str(create("createContact", admin, last_name=name, account_id=account, **fields)["id"])

    def case(contact_id: str) -> str:
        return str(create("createCase", support, subject="Where is my parcel?", contact_id=contact_id)["id"])

    ada, bob, cleo = contact("Lovelace"), contact("Babbage"), contact("Clever", portal_role="account_manager")
    cases = {"ada": case(ada), "ada again": case(ada), "bob": case(bob), "cleo": case(cleo)}
    world = World(support, admin, Customer(tenant, ada), Customer(tenant, bob), Customer(tenant, cleo), cases, {})
    world.slugs.update({title.split()[0].lower(): world.article(title, **PUBLIC) for title in TITLES})
    other = Staff(f"{tenant}-other", "boss", ("admin",))
    create("createArticle", other, title="Returns at the other tenant", body="How to.", **PUBLIC)
    return world


@pytest.fixture
def world() -> World:
    return new_world()


def read_pages(customer: Customer, q: str | None = None, limit: int = 25) -> Iterator[tuple[list[str], list[str]]]:
    """Every page of the customer's articles: its slugs and the DynamoDB requests it took."""
    cursor = None
    while True:
        query = {"limit": str(limit), **({"q": q} if q else {}), **({"cursor": cursor} if cursor else {})}
        with dynamodb_requests() as requests:
            reply = call("listPortalArticles", customer, query=query)
        assert reply.status == 200, reply.body
        yield [item["slug"] for item in reply.body["items"]], list(requests)
        cursor = reply.body["next_cursor"]
        if cursor is None:
            return


def shown(customer: Customer, q: str | None = None, limit: int = 25) -> list[str]:
    slugs = [slug for page, _ in read_pages(customer, q, limit) for slug in page]
    assert len(slugs) == len(set(slugs)), f"an article shown twice: {slugs}"
    return slugs


def test_without_links_the_search_answers_by_title_in_three_requests(world: World) -> None:
    [(page, requests)] = read_pages(world.ada)
    assert requests == NO_LINKED_ENTRY
    assert page == world.by_title() == [world.slugs[name] for name in ("alpha", "bravo", "charlie", "delta", "echo")]
    [(page, requests)] = read_pages(world.ada, "ship")
    assert (page, requests) == ([world.slugs["charlie"], world.slugs["echo"]], NO_LINKED_ENTRY)


def test_articles_linked_to_the_customer_s_own_cases_come_first_each_once(world: World) -> None:
    slugs = world.slugs
    for case, name in (("ada", "echo"), ("ada again", "echo"), ("ada", "charlie"), ("bob", "bravo")):
        world.link(case, slugs[name])
    [(page, requests)] = read_pages(world.ada)
    assert requests == ACROSS
    assert page == world.linked_first([slugs["charlie"], slugs["echo"]])  # by article id
    assert shown(world.bob) == world.linked_first([slugs["bravo"]]), "a colleague's links are the colleague's"
    assert shown(world.ada, "return") == world.by_title("return"), "linked, but not found by the words"
    assert shown(world.ada, "ship") == [slugs["charlie"], slugs["echo"]]
    assert shown(world.ada, "returns at") == [], "another tenant's article"


def test_an_account_manager_sees_the_links_of_their_own_cases_first_not_their_account_s(world: World) -> None:
    world.link("bob", world.slugs["bravo"])
    world.link("cleo", world.slugs["delta"])
    assert shown(world.cleo) == world.linked_first([world.slugs["delta"]])


def test_a_linked_article_the_public_may_not_read_is_never_shown(world: World) -> None:
    hidden = {
        "internal": world.article("Internal returns", status="published"),
        "draft": world.article("Draft returns", visibility="public"),
        "not yet": world.article("Future returns", **PUBLIC, publish_at="2199-01-01T00:00:00Z"),
        "no longer": world.article("Past returns", **PUBLIC, unpublish_at="2020-01-01T00:00:00Z"),
        "trashed": world.article("Trashed returns", **PUBLIC),
        "made internal": world.article("Secret returns", **PUBLIC),
        "unpublished": world.article("Withdrawn returns", **PUBLIC),
    }
    for slug in hidden.values():
        world.link("ada", slug)
    world.change("updateArticle", world.id_of(hidden["made internal"]), {"visibility": "internal"})
    world.change("updateArticle", world.id_of(hidden["unpublished"]), {"status": "draft"})
    world.change("deleteArticle", world.id_of(hidden["trashed"]))
    world.link("ada", world.slugs["delta"])
    for q in (None, "return", "returns"):
        [(page, requests)] = read_pages(world.ada, q)
        assert page == world.linked_first([world.slugs["delta"]], q)
        assert not set(hidden.values()) & set(page)
        assert requests == ACROSS


@pytest.mark.parametrize("limit", [1, 2, 3, 4, 6])
@pytest.mark.parametrize("q", [None, "returns"])
def test_pages_cross_from_the_linked_articles_to_the_search_without_repeating_or_losing_one(
    world: World, limit: int, q: str | None
) -> None:
    slugs = world.slugs
    for case, name in (("ada", "delta"), ("ada again", "delta"), ("ada", "bravo"), ("ada again", "echo")):
        world.link(case, slugs[name])
    first = [slugs["bravo"], slugs["delta"], slugs["echo"]] if q is None else [slugs["bravo"], slugs["delta"]]
    pages = list(read_pages(world.ada, q, limit))
    assert [slug for page, _ in pages for slug in page] == world.linked_first(first, q)
    for page, requests in pages:
        assert requests in (LINKED_PAGE, ACROSS, NO_LINKED_ENTRY, FOUND_PAGE), requests
        assert len(page) <= limit
    assert pages[0][1] == (LINKED_PAGE if limit <= 3 else ACROSS)  # three linked entries


def test_an_unlink_takes_the_article_back_to_its_place_once_no_case_of_theirs_links_it(world: World) -> None:
    echo = world.slugs["echo"]
    world.link("ada", echo)
    world.link("ada again", echo)
    world.unlink("ada", echo)
    assert shown(world.ada) == world.linked_first([echo])
    world.unlink("ada again", echo)
    assert shown(world.ada) == world.by_title()
    [(_, requests)] = read_pages(world.ada)
    assert requests == NO_LINKED_ENTRY, "the emptied entry is gone"
    world.link("ada", echo)
    assert shown(world.ada) == world.linked_first([echo])


def test_the_links_follow_their_case_to_another_contact_to_the_trash_and_back(world: World) -> None:
    linked, case = [world.slugs["charlie"], world.slugs["echo"]], world.cases["ada"]
    for slug in linked:
        world.link("ada", slug)
    world.change("updateCase", case, {"contact_id": world.bob.contact})
    assert shown(world.ada) == world.by_title()
    assert shown(world.bob) == world.linked_first(linked)
    world.change("deleteCase", case)
    assert shown(world.bob) == world.by_title()
    world.change("restoreCase", case, admin=True)
    assert shown(world.bob) == world.linked_first(linked)
    world.change("updateCase", case, {"status": "closed", "resolution": "Sent again"})
    assert shown(world.bob) == world.linked_first(linked), "a closed case is still theirs"


def test_an_erased_case_takes_its_links_with_it(world: World) -> None:
    world.link("ada", world.slugs["echo"])
    world.link("ada again", world.slugs["delta"])
    world.change("deleteCase", world.cases["ada"], admin=True, permanent="true")
    assert shown(world.ada) == world.linked_first([world.slugs["delta"]])
    stored = repository.partition_summaries(kb_store.case_links_only(world.tenant, world.cases["ada"]))
    assert list(stored) == [], "no link left behind"


def test_a_trashed_contact_s_customer_gets_a_404(world: World) -> None:
    world.link("ada", world.slugs["echo"])
    world.change("deleteContact", world.ada.contact, admin=True)
    for query in (None, {"q": "ship"}):
        assert call("listPortalArticles", world.ada, query=query).status == 404


def test_the_contact_s_other_reads_never_see_the_linked_articles(world: World) -> None:
    before = call("getContact360", world.admin, record_id=world.ada.contact).body
    timeline = call("listContactTimeline", world.admin, record_id=world.ada.contact).body["items"]
    for slug in world.slugs.values():
        world.link("ada", slug)
    after = call("getContact360", world.admin, record_id=world.ada.contact)
    assert after.status == 200, after.body
    assert after.body == before
    assert call("listContactTimeline", world.admin, record_id=world.ada.contact).body["items"] == timeline


# Any sequence of what staff do, against a model of what each customer sees first.

ARTICLES = ("alpha", "bravo", "charlie", "delta", "echo")
CASES = ("ada", "ada again", "bob")
STEPS = st.one_of(
    st.tuples(st.just("link"), st.sampled_from(CASES), st.sampled_from(ARTICLES)),
    st.tuples(st.just("unlink"), st.sampled_from(CASES), st.sampled_from(ARTICLES)),
    st.tuples(st.just("move"), st.sampled_from(CASES), st.sampled_from(["ada", "bob"])),
    st.tuples(st.just("trash_or_restore"), st.sampled_from(CASES)),
    st.tuples(st.just("hide_or_show"), st.sampled_from(ARTICLES)),
)


class Model:
    """What staff did, and so what each customer should see first."""

    def __init__(self, world: World) -> None:
        self.world = world
        self.links: set[tuple[str, str]] = set()
        self.owner = {"ada": "ada", "ada again": "ada", "bob": "bob"}
        self.trashed: set[str] = set()
        self.hidden: set[str] = set()

    def link(self, case: str, name: str) -> None:
        if case not in self.trashed:
            self.world.link(case, self.world.slugs[name])
            self.links.add((case, name))

    def unlink(self, case: str, name: str) -> None:
        if case not in self.trashed:
            self.world.unlink(case, self.world.slugs[name])
            self.links.discard((case, name))

    def move(self, case: str, contact: str) -> None:
        if case not in self.trashed:
            self.world.change("updateCase", self.world.cases[case], {"contact_id": self.customer(contact).contact})
            self.owner[case] = contact

    def trash_or_restore(self, case: str) -> None:
        if case in self.trashed:
            self.world.change("restoreCase", self.world.cases[case], admin=True)
        else:
            self.world.change("deleteCase", self.world.cases[case])
        self.trashed ^= {case}

    def hide_or_show(self, name: str) -> None:
        visibility = "public" if name in self.hidden else "internal"
        self.world.change("updateArticle", self.world.id_of(self.world.slugs[name]), {"visibility": visibility})
        self.hidden ^= {name}

    def customer(self, name: str) -> Customer:
        return self.world.ada if name == "ada" else self.world.bob

    def first(self, contact: str, q: str | None) -> list[str]:
        found = set(self.world.by_title(q))
        names = {name for case, name in self.links if self.owner[case] == contact and case not in self.trashed}
        return [self.world.slugs[name] for name in ARTICLES if name in names and self.world.slugs[name] in found]


@settings(max_examples=10, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(steps=st.lists(STEPS, min_size=1, max_size=8), limit=st.integers(1, 4), q=st.sampled_from([None, "ret"]))
def test_any_links_staff_make_show_each_article_once_their_customer_s_first(
    steps: list[tuple[str, ...]], limit: int, q: str | None
) -> None:
    model = Model(new_world())
    for operation, *arguments in steps:
        getattr(model, operation)(*arguments)
    for contact in ("ada", "bob"):
        customer = model.customer(contact)
        pages = list(read_pages(customer, q, limit))
        assert [slug for page, _ in pages for slug in page] == model.world.linked_first(model.first(contact, q), q)
        allowed = (LINKED_PAGE, ACROSS, NO_LINKED_ENTRY, FOUND_PAGE)
        assert all(requests in allowed for _, requests in pages)
        view = call("getContact360", model.world.admin, record_id=customer.contact)
        assert view.status == 200 and not view.body["truncated"], view.body
