"""The knowledge base's key layout and access patterns (rapport.dal.keys has the shared layout and says why this is
here).

Articles are records `T#<t>#ARTICLE#<id>`; a slug is unique per tenant through a guard `T#<t>#UNIQ#ARTICLE_SLUG#<slug>`.
Every list is in title order (`<title name key>␟<id>`), and a trashed article leaves all but the trash.

| index | serves                                   | pk                                          | sk            |
|-------|------------------------------------------|---------------------------------------------|---------------|
| gsi1  | every article (or the trash)             | T#<t>#ARTICLE (T#<t>#ARTICLE#DELETED)       | title order   |
| gsi2  | the articles in a status                 | T#<t>#ARTICLE#STATUS#<status>               | title order   |
| gsi3  | the articles of a category               | T#<t>#ARTICLE#CATEGORY#<category key>       | title order   |
| gsi4  | the articles of a category in a status   | T#<t>#ARTICLE#CATEGORY#<category key>#<st>  | title order   |

The category key is its name key (case and accents aside). Search entries (copies of the live article,
rapport.dal.keys): the words of its title and tags, `S#WORD#<word>` on gsi1 `T#<t>#ARTICLE#WORD` (the shared name
search); and while it is published and public, what the public reads without signing in: `S#PUBLIC` on gsi1
`T#<t>#ARTICLE#PUBLIC` (title order), `S#PWORD#<word>` on gsi1 `T#<t>#ARTICLE#PUBLIC#WORD` (its words) and
`S#PSLUG` on gsi2 `T#<t>#ARTICLE#PUBLIC#SLUG#<slug>`. An article that is unpublished, made internal or trashed
leaves them in its own write; its publish window (`publish_at`, `unpublish_at`) is checked when it is read.

Articles linked to a case (rapport.kb.linking): `A#ART#<article id>` (kind `case_article`) in the case's partition
`T#<t>#CASE#<case id>`, before its `A#META`, holding the article's title, slug, visibility and status as linked, so
that a case's links and the case are ONE Query (its `A#ART#` .. `A#META`).

And the same links from the customer's side, for the portal: `F#ART#<article id>` (kind `customer_article`, a
`CaseLinksItem`) in the partition `T#<t>#CON#<contact id>` of the case's contact, its `case_ids` the contact's live
cases that link the article, so that every article linked to a customer's cases is ONE Query (by article id) and
whether given articles are is ONE BatchGetItem, however many cases they have. `F#` sorts after the contact's
timeline (`E#`) and before its segments (`G#SEG#`): neither the 360 view nor the timeline reads these items. A link
ADDs its case to the set and an unlink DELETEs it, in the link's transaction; a case that moves to another
contact, is trashed, restored or erased moves its cases' entries in its own (rapport.kb.linking.stage_reach).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from rapport import normalize
from rapport.cases.manifest import CASE
from rapport.contacts.manifest import CONTACT
from rapport.dal import keys, repository
from rapport.dal.access import IndexQuery, PartitionQuery
from rapport.dal.keys import IndexKeys, SearchEntry
from rapport.dal.models import CaseLinksItem, SummaryItem
from rapport.dal.repository import UnitOfWork
from rapport.kb.manifest import ARTICLE

SLUG_GUARD = "ARTICLE_SLUG"
PUBLIC = "PUBLIC"
PUBLIC_WORD = "PWORD"
PUBLIC_SLUG = "PSLUG"
CASE_LINK_PREFIX = "A#ART#"  # before the case's A#META: the links, then the case, in one Query
CASE_LINK_KIND = "case_article"
CUSTOMER_LINK_PREFIX = "F#ART#"  # after the contact's timeline (E#), before its segments (G#SEG#)
CUSTOMER_LINK_KIND = "customer_article"


def _status_pk(tenant_id: str, status: str) -> str:
    return f"{keys.list_pk(tenant_id, ARTICLE)}#STATUS#{status}"


def _category_pk(tenant_id: str, category: str) -> str:
    return f"{keys.list_pk(tenant_id, ARTICLE)}#CATEGORY#{normalize.name_key(category)}"


def _public_pk(tenant_id: str) -> str:
    return f"{keys.list_pk(tenant_id, ARTICLE)}#{PUBLIC}"


def _public_word_pk(tenant_id: str) -> str:
    return f"{_public_pk(tenant_id)}#{keys.WORD}"


def _public_slug_pk(tenant_id: str, slug: str) -> str:
    return f"{_public_pk(tenant_id)}#SLUG#{slug}"


def index_keys(
    tenant_id: str,
    article_id: str,
    *,
    title: str,
    tags: Sequence[str],
    category: str | None,
    status: str,
    slug: str,
    public: bool,
    deleted: bool,
) -> IndexKeys:
    """Where an article shows; `public`: it is published and public (the public's entries)."""
    order = keys.name_order(normalize.name_key(title), article_id)
    if deleted:
        return IndexKeys(gsi1pk=keys.list_pk(tenant_id, ARTICLE, deleted=True), gsi1sk=order)
    words = normalize.search_words(title, *tags)
    entries = keys.word_entries(tenant_id, ARTICLE, words, order)
    if public:
        entries += _public_entries(tenant_id, article_id, words, slug, order)
    return IndexKeys(
        gsi1pk=keys.list_pk(tenant_id, ARTICLE),
        gsi1sk=order,
        gsi2pk=_status_pk(tenant_id, status),
        gsi2sk=order,
        gsi3pk=_category_pk(tenant_id, category) if category else None,
        gsi3sk=order if category else None,
        gsi4pk=f"{_category_pk(tenant_id, category)}#{status}" if category else None,
        gsi4sk=order if category else None,
        entries=entries,
    )


def _public_entries(
    tenant_id: str, article_id: str, words: Sequence[str], slug: str, order: str
) -> tuple[SearchEntry, ...]:
    joined = "".join(f" {word}" for word in words)
    public_words = tuple(
        SearchEntry(
            keys.search_entry_sk(PUBLIC_WORD, word),
            "gsi1",
            _public_word_pk(tenant_id),
            keys.word_sk(word, order),
            joined,
        )
        for word in words
    )
    return (
        SearchEntry(keys.search_entry_sk(PUBLIC), "gsi1", _public_pk(tenant_id), order),
        SearchEntry(keys.search_entry_sk(PUBLIC_SLUG), "gsi2", _public_slug_pk(tenant_id, slug), article_id),
        *public_words,
    )


def listed(tenant_id: str, *, deleted: bool) -> IndexQuery:
    """Every live article (or the trash) by title."""
    return IndexQuery("gsi1", keys.list_pk(tenant_id, ARTICLE, deleted=deleted))


def in_status(tenant_id: str, status: str) -> IndexQuery:
    return IndexQuery("gsi2", _status_pk(tenant_id, status))


def in_category(tenant_id: str, category: str, status: str | None) -> IndexQuery:
    if status is None:
        return IndexQuery("gsi3", _category_pk(tenant_id, category))
    return IndexQuery("gsi4", f"{_category_pk(tenant_id, category)}#{status}")


def public(tenant_id: str) -> IndexQuery:
    """The published public articles by title."""
    return IndexQuery("gsi1", _public_pk(tenant_id))


def public_named(tenant_id: str, terms: Sequence[str]) -> IndexQuery:
    """The published public articles with a word of their title or tags starting with each of `terms`: the public
    word partition read from the longest term, the others as a filter (like `access.named`)."""
    key = max(terms, key=len)
    return IndexQuery("gsi1", _public_word_pk(tenant_id), prefix=key, words=[term for term in terms if term != key])


def public_by_slug(tenant_id: str, slug: str) -> IndexQuery:
    """The published public article with `slug`, if any."""
    return IndexQuery("gsi2", _public_slug_pk(tenant_id, slug))


def case_link(tenant_id: str, case_id: str, article_id: str, data: Mapping[str, Any]) -> SummaryItem:
    """An article linked to a case, in the case's partition."""
    partition = keys.record_pk(tenant_id, CASE, case_id)
    return repository.summary_item(
        tenant_id, partition, f"{CASE_LINK_PREFIX}{article_id}", CASE_LINK_KIND, article_id, data
    )


def case_link_key(tenant_id: str, case_id: str, article_id: str) -> SummaryItem:
    """A link by its key, to delete it."""
    return SummaryItem(keys.record_pk(tenant_id, CASE, case_id), f"{CASE_LINK_PREFIX}{article_id}")


def case_links(tenant_id: str, case_id: str) -> PartitionQuery:
    """The articles linked to a case by article id, then the case."""
    return PartitionQuery(keys.record_pk(tenant_id, CASE, case_id), start=CASE_LINK_PREFIX, end=keys.META_SK)


def case_links_only(tenant_id: str, case_id: str) -> PartitionQuery:
    """The articles linked to a case by article id, without the case (for the case's own writes)."""
    partition = keys.record_pk(tenant_id, CASE, case_id)
    return PartitionQuery(partition, start=CASE_LINK_PREFIX, end=f"{CASE_LINK_PREFIX}{keys.RANGE_END}")


def stage_unlink(work: UnitOfWork, tenant_id: str, case_id: str, article_id: str) -> None:
    """Delete the case's link to the article, only if there is one (else the commit fails: StaleVersion)."""
    work.delete_item(case_link_key(tenant_id, case_id, article_id), SummaryItem.pk.exists())


def customer_link_key(tenant_id: str, contact_id: str, article_id: str) -> CaseLinksItem:
    """The contact's entry of an article linked to their cases, by its key."""
    return CaseLinksItem(keys.record_pk(tenant_id, CONTACT, contact_id), f"{CUSTOMER_LINK_PREFIX}{article_id}")


def stage_customer_link(
    work: UnitOfWork, tenant_id: str, contact_id: str, article_id: str, case_id: str, *, linked: bool
) -> None:
    """Add the case to the cases of the contact's that link the article (`linked`), or take it from them: one
    UpdateItem, unread, which writes the entry whole if it is new."""
    item = customer_link_key(tenant_id, contact_id, article_id)
    cases = {case_id}
    work.update_item(
        item,
        [
            CaseLinksItem.item_type.set(CaseLinksItem),
            CaseLinksItem.tenant_id.set(tenant_id),
            CaseLinksItem.kind.set(CUSTOMER_LINK_KIND),
            CaseLinksItem.ref_id.set(article_id),
            CaseLinksItem.case_ids.add(cases) if linked else CaseLinksItem.case_ids.delete(cases),
        ],
    )


def drop_customer_link_if_unlinked(tenant_id: str, contact_id: str, article_id: str) -> None:
    """Delete the contact's entry of the article once no case links it (one DeleteItem; kept if one links it now)."""
    work = UnitOfWork()
    work.delete_item(customer_link_key(tenant_id, contact_id, article_id), CaseLinksItem.case_ids.does_not_exist())
    try:
        work.commit()
    except repository.StaleVersion:
        return


def customer_links(tenant_id: str, contact_id: str) -> PartitionQuery:
    """The articles linked to the contact's live cases, by article id (entries linked from none included)."""
    partition = keys.record_pk(tenant_id, CONTACT, contact_id)
    return PartitionQuery(partition, start=CUSTOMER_LINK_PREFIX, end=f"{CUSTOMER_LINK_PREFIX}{keys.RANGE_END}")
