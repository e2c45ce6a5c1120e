"""The leads' key layout and access patterns (rapport.dal.keys has the shared layout and says why this is here).

Leads overload the four indexes: each filter combination `GET /leads` offers is one Query on its own sparse,
tenant-prefixed partition, sorted by score, highest first (the sort key is the score inverted and zero-padded,
then the id), so `min_score` is a key condition (`sk < score_bound(min_score)`), not a filter.

| index | leads listed                   | pk                                      | sk                      |
|-------|--------------------------------|-----------------------------------------|-------------------------|
| gsi1  | all (trashed: #DELETED)        | T#<t>#LEAD (or T#<t>#LEAD#DELETED)      | <100 - score:03>#<id>   |
| gsi2  | by status                      | T#<t>#LEAD#STATUS#<status>              | <100 - score:03>#<id>   |
| gsi3  | by owner                       | T#<t>#LEAD#OWNER#<owner>                | <100 - score:03>#<id>   |
| gsi4  | by owner and status            | T#<t>#LEAD#OWNER#<owner>#STATUS#<status>| <100 - score:03>#<id>   |

A live lead's search entries: `S#WORD#<word>` (first name, last name and company) on gsi1 `T#<t>#LEAD#WORD`
(`<word>␟<score sk>`), and `S#EMAIL#<email>` on gsi2 `T#<t>#LEAD#EMAIL#<email>` (`<score sk>`).

An open lead (new, working, qualified) holds the guard `T#<t>#UNIQ#LEAD_EMAIL#<email>`; creating or reopening
it also checks that no contact holds `T#<t>#UNIQ#EMAIL#<email>` (rapport.contacts.store). Disqualifying or
converting frees it.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace

from rapport.dal import keys
from rapport.dal.access import IndexQuery
from rapport.dal.keys import IndexKeys
from rapport.dal.repository import Guard
from rapport.leads.manifest import LEAD
from rapport.leads.scoring import MAX_SCORE

LEAD_EMAIL = "LEAD_EMAIL"
EMAIL = "EMAIL"


def email_guard(email: str) -> Guard:
    """Held by an open lead: a second open lead with its email is a duplicate."""
    return Guard(LEAD_EMAIL, email)


def score_sk(score: int, record_id: str) -> str:
    """Highest score first: `100 - score`, zero-padded, sorts ascending; ties by id (oldest first)."""
    if not 0 <= score <= MAX_SCORE:
        raise ValueError(f"a score is 0 to {MAX_SCORE}")
    return f"{MAX_SCORE - score:03d}#{record_id}"


def score_bound(min_score: int) -> str:
    """Every `score_sk` below this bound has a score of at least `min_score`."""
    return f"{MAX_SCORE - min_score + 1:03d}"


def _status_pk(tenant_id: str, status: str) -> str:
    return f"{keys.list_pk(tenant_id, LEAD)}#STATUS#{status}"


def _owner_pk(tenant_id: str, owner_id: str) -> str:
    return f"{keys.list_pk(tenant_id, LEAD)}#OWNER#{owner_id}"


def _owner_status_pk(tenant_id: str, owner_id: str, status: str) -> str:
    return f"{_owner_pk(tenant_id, owner_id)}#STATUS#{status}"


def index_keys(
    tenant_id: str,
    lead_id: str,
    score: int,
    status: str,
    owner_id: str | None,
    *,
    email: str | None,
    words: Sequence[str],
    deleted: bool,
) -> IndexKeys:
    """By score on gsi1 to gsi4 (see the table above); a live lead's email and name words are search entries."""
    sk = score_sk(score, lead_id)
    if deleted:
        return IndexKeys(gsi1pk=keys.list_pk(tenant_id, LEAD, deleted=True), gsi1sk=sk)
    by_email = (keys.value_entry(tenant_id, LEAD, EMAIL, email, "gsi2", sk),) if email else ()
    return IndexKeys(
        entries=(*keys.word_entries(tenant_id, LEAD, words, sk), *by_email),
        gsi1pk=keys.list_pk(tenant_id, LEAD),
        gsi1sk=sk,
        gsi2pk=_status_pk(tenant_id, status),
        gsi2sk=sk,
        gsi3pk=_owner_pk(tenant_id, owner_id) if owner_id else None,
        gsi3sk=sk if owner_id else None,
        gsi4pk=_owner_status_pk(tenant_id, owner_id, status) if owner_id else None,
        gsi4sk=sk if owner_id else None,
    )


def all_leads(tenant_id: str, *, deleted: bool = False) -> IndexQuery:
    return IndexQuery("gsi1", keys.list_pk(tenant_id, LEAD, deleted=deleted))


def by_email(tenant_id: str, email: str) -> IndexQuery:
    return IndexQuery("gsi2", keys.value_pk(tenant_id, LEAD, EMAIL, email))


def in_status(tenant_id: str, status: str) -> IndexQuery:
    return IndexQuery("gsi2", _status_pk(tenant_id, status))


def of_owner(tenant_id: str, owner_id: str) -> IndexQuery:
    return IndexQuery("gsi3", _owner_pk(tenant_id, owner_id))


def of_owner_in_status(tenant_id: str, owner_id: str, status: str) -> IndexQuery:
    return IndexQuery("gsi4", _owner_status_pk(tenant_id, owner_id, status))


def scoring_at_least(leads: IndexQuery, min_score: int | None) -> IndexQuery:
    """`leads` (a pattern sorted by score) narrowed to those scoring `min_score` or more: a key condition."""
    return leads if min_score is None else replace(leads, before=score_bound(min_score))
