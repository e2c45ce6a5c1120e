"""The accounts' key layout and access patterns (rapport.dal.keys has the shared layout and says why this is here).

| index | serves                          | pk                           | sk                       |
|-------|---------------------------------|------------------------------|--------------------------|
| gsi1  | accounts by name (or the trash) | T#<t>#ACC (or #DELETED)      | <name key>␟<id>          |
| gsi1  | a word of the name              | T#<t>#ACC#WORD               | <word>␟<name key>␟<id>   |
| gsi2  | exact lookup: the domain        | T#<t>#ACC#DOMAIN#<domain>    | <id>                     |
| gsi4  | the account, then its contacts  | T#<t>#ACC#<id>#CON           | ␞                        |

A live account with a domain holds the guard `T#<t>#UNIQ#DOMAIN#<domain>` (a domain is one account's) and is
found by it on gsi2; a trashed one keeps the guard but leaves the lookup.
"""

from __future__ import annotations

from collections.abc import Sequence

from rapport.accounts.manifest import ACCOUNT
from rapport.contacts.manifest import CONTACT
from rapport.dal import keys
from rapport.dal.access import IndexQuery
from rapport.dal.keys import IndexKeys
from rapport.dal.repository import Guard

DOMAIN = "DOMAIN"


def domain_guard(domain: str) -> Guard:
    return Guard(DOMAIN, domain)


def index_keys(
    tenant_id: str, account_id: str, name_key: str, words: Sequence[str], domain: str | None, *, deleted: bool
) -> IndexKeys:
    listed = domain is not None and not deleted
    return IndexKeys(
        gsi1pk=keys.list_pk(tenant_id, ACCOUNT, deleted=deleted),
        gsi1sk=keys.name_sk(name_key, account_id),
        gsi2pk=keys.value_pk(tenant_id, ACCOUNT, DOMAIN, domain) if listed and domain else None,
        gsi2sk=account_id if listed else None,
        gsi4pk=keys.children_pk(tenant_id, ACCOUNT, account_id, CONTACT),
        gsi4sk=keys.PARENT_SK,
        entries=() if deleted else keys.word_entries(tenant_id, ACCOUNT, words, keys.name_order(name_key, account_id)),
    )


def by_domain(tenant_id: str, domain: str) -> IndexQuery:
    """The live account whose domain is `domain` (normalized)."""
    return IndexQuery("gsi2", keys.value_pk(tenant_id, ACCOUNT, DOMAIN, domain))
