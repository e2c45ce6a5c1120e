"""Articles linked to cases: staff point a case at the articles that answer it. A link is an item in the case's
partition (rapport.kb.store) holding the article's id and, as it was when linked, its title, slug, visibility and
status, so that a case's linked articles are ONE Query; linking again refreshes that copy.

Linking and unlinking are changing the case (the cases' right to update); the case must be live, and a linked
article live, in the link's own transaction.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from rapport import pagination
from rapport.auth import Action, Caller
from rapport.cases.manifest import CASE
from rapport.dal import repository
from rapport.dal.repository import Parent, ParentMissing, UnitOfWork
from rapport.errors import InvalidInput, NotFound
from rapport.kb import store
from rapport.kb.manifest import ARTICLE
from rapport.kb.models import LinkedArticle
from rapport.pagination import Page
from rapport.types import utc_now

CASES = "cases"  # the resource whose rights linking needs: it changes the case
LINKED_FIELDS = ("title", "slug", "visibility", "status")


@contextmanager
def _live_parents(case_id: str) -> Iterator[None]:
    """A case that is missing or trashed is a 404; an article, a 422 on `article_id`."""
    try:
        yield
    except ParentMissing as missing:
        if missing.parent.kind == CASE:
            raise NotFound(f"No case has the id {case_id}.") from missing
        raise InvalidInput.of(
            "article_id", f"No live article has the id {missing.parent.id}.", "unknown_reference"
        ) from missing


def link(caller: Caller, case_id: str, article_id: str) -> LinkedArticle:
    """Link the live article `article_id` to the live case `case_id` (again: refresh the link's copy)."""
    caller.require(CASES, Action.UPDATE)
    article = repository.get(caller.tenant_id, ARTICLE, article_id)
    work = UnitOfWork()
    work.require_live(caller.tenant_id, Parent(CASE, case_id))
    work.require_live(caller.tenant_id, Parent(ARTICLE, article_id))
    data = {name: article.data[name] for name in LINKED_FIELDS} if article and not article.deleted else {}
    data |= {"linked_at": utc_now(), "linked_by": caller.user_id}
    work.put_item(store.case_link(caller.tenant_id, case_id, article_id, data))
    with _live_parents(case_id):
        work.commit()
    return LinkedArticle.model_validate({**data, "article_id": article_id})


def unlink(caller: Caller, case_id: str, article_id: str) -> None:
    """Remove the link (none: nothing to do), on a live case."""
    caller.require(CASES, Action.UPDATE)
    work = UnitOfWork()
    work.require_live(caller.tenant_id, Parent(CASE, case_id))
    work.delete_item(store.case_link_key(caller.tenant_id, case_id, article_id))
    with _live_parents(case_id):
        work.commit()


def linked(caller: Caller, case_id: str, *, limit: int, cursor: str | None) -> Page[LinkedArticle]:
    """The case's linked articles by article id: ONE Query, which ends with the case itself (a 404 for a case the
    tenant does not have, or erased, once its links are all read)."""
    caller.require(CASES, Action.READ)
    binding = pagination.fingerprint(caller.tenant_id, "cases:articles", {"case_id": case_id})
    page = repository.read_partition(
        store.case_links(caller.tenant_id, case_id), limit=limit, position=pagination.decode_cursor(cursor, binding)
    )
    if page.record is None and page.next_position is None:
        raise NotFound(f"No case has the id {case_id}.")
    items = [
        LinkedArticle.model_validate({**summary.data, "article_id": summary.ref_id})
        for summary in page.summaries
        if summary.kind == store.CASE_LINK_KIND
    ]
    return Page(items=items, next_cursor=pagination.encode_cursor(page.next_position, binding))
