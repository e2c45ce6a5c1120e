"""The contacts' key layout and access patterns (rapport.dal.keys has the shared layout and says why this is here).

| index | serves                          | pk                           | sk                       |
|-------|---------------------------------|------------------------------|--------------------------|
| gsi1  | contacts by name (or the trash) | T#<t>#CON (or #DELETED)      | <name key>␟<id>          |
| gsi2  | an owner's contacts, by name    | T#<t>#CON#OWNER#<owner>      | <name key>␟<id>          |
| gsi4  | an account's contacts, by name  | T#<t>#ACC#<account id>#CON   | <name key>␟<id>          |

A live contact's search entries (in its own partition, each a copy of it placed in an index partition):

| entry (sk in the record's partition) | index | pk                            | sk                     |
|--------------------------------------|-------|-------------------------------|------------------------|
| S#WORD#<word>: of the first and last name | gsi1 | T#<t>#CON#WORD          | <word>␟<name key>␟<id> |
| S#EMAIL#<email>: each of its emails  | gsi2  | T#<t>#CON#EMAIL#<email>       | <id>                   |
| S#PHONE#<phone>: each of its phones  | gsi3  | T#<t>#CON#PHONE#<phone>       | <id>                   |
| S#TAG#<tag key>: each of its tags    | gsi1  | T#<t>#CON#TAG#<tag key>       | <name key>␟<id>        |

Not the words of its account's name: find the account, then its contacts. The email and phone partitions are the
ones the record item used before entries existed, so records not yet rewritten are still found by their primary
email and phone. Each email and phone, primary or not, is a guard `T#<t>#UNIQ#EMAIL#<email>` (`PHONE`): unique
per tenant. Tag keys are `normalize.name_key`.

A contact's partition holds, for the 360 view, `A#ACC`: its account's id, name and domain (kind `ACC`), written in
the contact's transaction when it links (or leaves) the account, and copied again when the account is renamed.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any, NamedTuple

from rapport.accounts.manifest import ACCOUNT
from rapport.contacts.manifest import CONTACT
from rapport.dal import access, keys, repository
from rapport.dal.access import IndexQuery
from rapport.dal.keys import IndexKeys
from rapport.dal.models import SummaryItem
from rapport.dal.repository import Guard, UnitOfWork

EMAIL = "EMAIL"
PHONE = "PHONE"
TAG = "TAG"
ACCOUNT_SUMMARY_SK = "A#ACC"


def email_guard(email: str) -> Guard:
    return Guard(EMAIL, email)


def phone_guard(phone: str) -> Guard:
    return Guard(PHONE, phone)


class ContactKeys(NamedTuple):
    """What places a contact in the indexes, normalized: its name key and words, every email, phone and tag key."""

    name_key: str
    words: Sequence[str]
    emails: Sequence[str]
    phones: Sequence[str]
    tags: Sequence[str]
    owner_id: str | None
    account_id: str | None


def index_keys(tenant_id: str, contact_id: str, contact: ContactKeys, *, deleted: bool) -> IndexKeys:
    """gsi1 lists by name (or the trash); gsi2 an owner's contacts by name; gsi4 the account's contacts. Each word
    of the name, email, phone and tag of a live contact is a search entry."""
    gsi1pk = keys.list_pk(tenant_id, CONTACT, deleted=deleted)
    gsi1sk = keys.name_sk(contact.name_key, contact_id)
    if deleted:
        return IndexKeys(gsi1pk=gsi1pk, gsi1sk=gsi1sk)
    order = keys.name_order(contact.name_key, contact_id)
    entries = (
        *keys.word_entries(tenant_id, CONTACT, contact.words, order),
        *(keys.value_entry(tenant_id, CONTACT, EMAIL, email, "gsi2", contact_id) for email in contact.emails),
        *(keys.value_entry(tenant_id, CONTACT, PHONE, phone, "gsi3", contact_id) for phone in contact.phones),
        *(keys.value_entry(tenant_id, CONTACT, TAG, tag, "gsi1", order) for tag in contact.tags),
    )
    owner, account = contact.owner_id, contact.account_id
    return IndexKeys(
        gsi1pk=gsi1pk,
        gsi1sk=gsi1sk,
        gsi2pk=keys.owner_pk(tenant_id, CONTACT, owner) if owner else None,
        gsi2sk=gsi1sk if owner else None,
        gsi4pk=keys.children_pk(tenant_id, ACCOUNT, account, CONTACT) if account else None,
        gsi4sk=gsi1sk if account else None,
        entries=entries,
    )


def by_email(tenant_id: str, email: str) -> IndexQuery:
    """The contact holding `email` (normalized), primary or not."""
    return IndexQuery("gsi2", keys.value_pk(tenant_id, CONTACT, EMAIL, email))


def by_phone(tenant_id: str, phone: str) -> IndexQuery:
    return IndexQuery("gsi3", keys.value_pk(tenant_id, CONTACT, PHONE, phone))


def by_tag(tenant_id: str, tag_key: str) -> IndexQuery:
    return IndexQuery("gsi1", keys.value_pk(tenant_id, CONTACT, TAG, tag_key))


def of_owner(tenant_id: str, owner_id: str) -> IndexQuery:
    return IndexQuery("gsi2", keys.owner_pk(tenant_id, CONTACT, owner_id))


def of_account(tenant_id: str, account_id: str) -> IndexQuery:
    """The account's live contacts by name, the account itself before them (`repository.query_with_parent`)."""
    return access.children(tenant_id, ACCOUNT, account_id, CONTACT)


def account_summary(tenant_id: str, contact_id: str, account_id: str, data: Mapping[str, Any]) -> SummaryItem:
    """The account (`data`: its name and domain) as its contact's 360 view shows it, in the contact's partition."""
    partition = keys.record_pk(tenant_id, CONTACT, contact_id)
    return repository.summary_item(tenant_id, partition, ACCOUNT_SUMMARY_SK, ACCOUNT, account_id, data)


def no_account_summary(tenant_id: str, contact_id: str) -> SummaryItem:
    """The contact's account summary's key, to delete it when the contact leaves its account."""
    return SummaryItem(keys.record_pk(tenant_id, CONTACT, contact_id), ACCOUNT_SUMMARY_SK)


def stage_account_summary_while_linked(work: UnitOfWork, summary: SummaryItem, account_id: str) -> None:
    """Put `summary` unless the contact meanwhile summarizes another account (it moved): then `work.commit()`
    raises `StaleVersion`."""
    work.put_item(summary, SummaryItem.pk.does_not_exist() | (SummaryItem.ref_id == account_id))
