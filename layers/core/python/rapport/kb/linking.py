"""Articles linked to cases: staff point a case at the articles that answer it. A link is an item in the case's
partition (rapport.kb.store) holding the article's id and, as it was when linked, its title, slug, visibility and
status, so that a case's linked articles are ONE Query; linking again refreshes that copy.

The customer's portal lists the articles linked to their cases first (rapport.portal.service.kb_articles): each
link also adds its case to the entry of the article in the partition of the case's contact, in the link's own
transaction, and an unlink takes it away (the entry goes once no case links it). Those entries follow the case:
one that moves to another contact, is trashed, restored or erased moves them in its own transaction
(`stage_reach`, from the case's writes). A link made in the very moment its case moves to another contact may
stay with the former contact's entries until it is linked again.

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
from rapport.dal.repository import Parent, ParentMissing, Record, StaleVersion, UnitOfWork
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
    """Link the live article `article_id` to the live case `case_id` (again: refresh the link's copy); the case and
    the article are read together (ONE BatchGetItem)."""
    caller.require(CASES, Action.UPDATE)
    case_parent, article_parent = Parent(CASE, case_id), Parent(ARTICLE, article_id)
    found = repository.get_records(caller.tenant_id, (case_parent, article_parent))
    case, article = _live(found.get(case_parent)), _live(found.get(article_parent))
    work = UnitOfWork()
    work.require_live(caller.tenant_id, case_parent)
    work.require_live(caller.tenant_id, article_parent)
    data = {name: article.data[name] for name in LINKED_FIELDS} if article else {}
    data |= {"linked_at": utc_now(), "linked_by": caller.user_id}
    work.put_item(store.case_link(caller.tenant_id, case_id, article_id, data))
    if case is not None:  # else the check above refuses the link
        store.stage_customer_link(work, caller.tenant_id, _contact_of(case), article_id, case_id, linked=True)
    with _live_parents(case_id):
        work.commit()
    return LinkedArticle.model_validate({**data, "article_id": article_id})


def unlink(caller: Caller, case_id: str, article_id: str) -> None:
    """Remove the link (none: nothing to do), on a live case."""
    caller.require(CASES, Action.UPDATE)
    case = _live(repository.get(caller.tenant_id, CASE, case_id))
    work = UnitOfWork()
    work.require_live(caller.tenant_id, Parent(CASE, case_id))
    store.stage_unlink(work, caller.tenant_id, case_id, article_id)
    if case is not None:  # else the check above refuses the unlink
        store.stage_customer_link(work, caller.tenant_id, _contact_of(case), article_id, case_id, linked=False)
    with _live_parents(case_id):
        try:
            work.commit()
        except StaleVersion:  # the case does not link the article
            return
    if case is not None:
        store.drop_customer_link_if_unlinked(caller.tenant_id, _contact_of(case), article_id)


def _live(record: Record | None) -> Record | None:
    return None if record is None or record.deleted else record


def _contact_of(case: Record) -> str:
    return str(case.data["contact_id"])


def _reach(case: Record | None) -> str | None:
    """The contact whose portal the case's links reach: the case's, while it is live."""
    live = _live(case)
    return _contact_of(live) if live else None


def stage_reach(work: UnitOfWork, before: Record | None, after: Record | None) -> None:
    """The case's write (`before` -> `after`) moves its links' entries when it changes whose portal they reach: to
    another contact, to none (trashed, erased) or back (restored). ONE Query of its links (none when it changes no
    contact's), then one update per link and contact, in the case's transaction."""
    was, now = _reach(before), _reach(after)
    if was == now or before is None:  # a new case links nothing yet
        return
    tenant_id, case_id = before.tenant_id, before.id
    for link in repository.partition_summaries(store.case_links_only(tenant_id, case_id)):
        if was is not None:
            store.stage_customer_link(work, tenant_id, was, link.ref_id, case_id, linked=False)
        if now is not None:
            store.stage_customer_link(work, tenant_id, now, link.ref_id, case_id, linked=True)


def erase_links(tenant_id: str, case_id: str) -> None:
    """Delete an erased case's links (after its erase, whose transaction took them from its contact's entries)."""
    links = repository.partition_summaries(store.case_links_only(tenant_id, case_id))
    repository.delete_items(store.case_link_key(tenant_id, case_id, link.ref_id) for link in links)


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
