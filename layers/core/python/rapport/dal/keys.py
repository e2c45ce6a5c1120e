"""The one module that knows the key layout of the single table and its indexes.

Every partition key, base table and GSI alike, starts with `T#<tenant>#` so that IAM `dynamodb:LeadingKeys`
can fence a tenant.

| item                 | pk                              | sk       |
|----------------------|---------------------------------|----------|
| record (account ...) | T#<t>#<KIND>#<id>               | A#META   |
| unique guard         | T#<t>#UNIQ#<FIELD>#<normalized> | #        |

| index | serves                                  | pk                           | sk                 |
|-------|-----------------------------------------|------------------------------|--------------------|
| gsi1  | list and name-prefix search of a kind   | T#<t>#<KIND> (or #DELETED)   | <name key>␟<id>    |
| gsi2  | exact lookup: account domain, email     | T#<t>#<KIND>#<FIELD>#<value> | <id>               |
| gsi3  | exact lookup: contact phone             | T#<t>#<KIND>#<FIELD>#<value> | <id>               |
| gsi4  | a parent and its children               | T#<t>#<PARENT>#<id>#<KIND>   | ␞ (the parent),    |
|       | (an account, then its contacts)         |                              | <name key>␟<id>    |

The parent sits first in its children's gsi4 partition, so "this account's contacts, or 404" is one Query.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

META_SK = "A#META"
GUARD_SK = "#"
# Name keys hold no control characters, so the unit separator ends a name before anything that could
# extend it ("acme" < "acme labs"), and the record separator marks the parent before every name.
NAME_END = "\x1f"
PARENT_SK = "\x1e"


class Kind(StrEnum):
    ACCOUNT = "ACC"
    CONTACT = "CON"

    @property
    def label(self) -> str:
        return {Kind.ACCOUNT: "account", Kind.CONTACT: "contact"}[self]


class UniqueField(StrEnum):
    EMAIL = "EMAIL"
    PHONE = "PHONE"
    DOMAIN = "DOMAIN"


def tenant_prefix(tenant_id: str) -> str:
    return f"T#{tenant_id}#"


def record_pk(tenant_id: str, kind: Kind, record_id: str) -> str:
    return f"{tenant_prefix(tenant_id)}{kind}#{record_id}"


def guard_pk(tenant_id: str, unique_field: UniqueField, normalized_value: str) -> str:
    return f"{tenant_prefix(tenant_id)}UNIQ#{unique_field}#{normalized_value}"


def list_pk(tenant_id: str, kind: Kind, *, deleted: bool = False) -> str:
    return f"{tenant_prefix(tenant_id)}{kind}" + ("#DELETED" if deleted else "")


def name_sk(name_key: str, record_id: str) -> str:
    return f"{name_key}{NAME_END}{record_id}"


def lookup_pk(tenant_id: str, kind: Kind, unique_field: UniqueField, normalized_value: str) -> str:
    return f"{tenant_prefix(tenant_id)}{kind}#{unique_field}#{normalized_value}"


def children_pk(tenant_id: str, parent_kind: Kind, parent_id: str, child_kind: Kind) -> str:
    return f"{record_pk(tenant_id, parent_kind, parent_id)}#{child_kind}"


def idempotency_pk(tenant_id: str, user_id: str, key: str) -> str:
    return f"{tenant_prefix(tenant_id)}IDEM#{user_id}#{key}"


@dataclass(frozen=True)
class IndexKeys:
    """The GSI attributes of one record; None leaves the record out of that (sparse) index."""

    gsi1pk: str | None = None
    gsi1sk: str | None = None
    gsi2pk: str | None = None
    gsi2sk: str | None = None
    gsi3pk: str | None = None
    gsi3sk: str | None = None
    gsi4pk: str | None = None
    gsi4sk: str | None = None


def account_index_keys(
    tenant_id: str, account_id: str, name_key: str, domain: str | None, *, deleted: bool
) -> IndexKeys:
    listed = domain is not None and not deleted
    return IndexKeys(
        gsi1pk=list_pk(tenant_id, Kind.ACCOUNT, deleted=deleted),
        gsi1sk=name_sk(name_key, account_id),
        gsi2pk=lookup_pk(tenant_id, Kind.ACCOUNT, UniqueField.DOMAIN, domain) if listed and domain else None,
        gsi2sk=account_id if listed else None,
        gsi4pk=children_pk(tenant_id, Kind.ACCOUNT, account_id, Kind.CONTACT),
        gsi4sk=PARENT_SK,
    )


def contact_index_keys(
    tenant_id: str,
    contact_id: str,
    name_key: str,
    email: str | None,
    phone: str | None,
    account_id: str | None,
    *,
    deleted: bool,
) -> IndexKeys:
    gsi1pk = list_pk(tenant_id, Kind.CONTACT, deleted=deleted)
    gsi1sk = name_sk(name_key, contact_id)
    if deleted:
        return IndexKeys(gsi1pk=gsi1pk, gsi1sk=gsi1sk)
    return IndexKeys(
        gsi1pk=gsi1pk,
        gsi1sk=gsi1sk,
        gsi2pk=lookup_pk(tenant_id, Kind.CONTACT, UniqueField.EMAIL, email) if email else None,
        gsi2sk=contact_id if email else None,
        gsi3pk=lookup_pk(tenant_id, Kind.CONTACT, UniqueField.PHONE, phone) if phone else None,
        gsi3sk=contact_id if phone else None,
        gsi4pk=children_pk(tenant_id, Kind.ACCOUNT, account_id, Kind.CONTACT) if account_id else None,
        gsi4sk=gsi1sk if account_id else None,
    )
