"""The cases' key layout and access patterns (rapport.dal.keys has the shared layout and says why this is here).

| item                         | pk                 | sk                                          |
|------------------------------|--------------------|---------------------------------------------|
| case                         | T#<t>#CASE#<id>    | A#META                                      |
| its messages, oldest first   | T#<t>#CASE#<id>    | B#MSG#<message ulid> (kind `case_message`)  |
| its timeline (rapport.timeline) | T#<t>#CASE#<id> | E#...                                       |
| the tenant's case numbers    | T#<t>#SETTINGS     | CASE#NUMBER (a counter, ADD 1 per case)     |
| its linked kb articles       | T#<t>#CASE#<id>    | A#ART#<article id> (rapport.kb.store)       |
| a received email's receipt   | T#<t>#CASE#MAIL#<sha-256 of its Message-ID> | # (kind `mail_receipt`)     |

A case's number is `CS-<n>`, `n` from the tenant's counter (one UpdateItem before the case's transaction: a case
that then fails leaves a gap, and numbers stay unique). Its messages sort right after it, so the case and a page
of its conversation are one Query.

| index | serves                                  | pk                                  | sk          |
|-------|-----------------------------------------|-------------------------------------|-------------|
| gsi1  | a contact's cases, newest first         | T#<t>#CON#<contact>#CASE            | <case id>   |
| gsi2  | an owner's cases, newest first          | T#<t>#CASE#OWNER#<owner>            | <case id>   |
| gsi3  | an owner's cases in a status            | T#<t>#CASE#OWNER#<owner>#<status>   | <case id>   |
| gsi4  | a queue's cases in a status             | T#<t>#CASE#QUEUE#<queue>#<status>   | <case id>   |

Search entries (copies of the live case, rapport.dal.keys): `S#ACC` on gsi1 `T#<t>#ACC#<account>#CASE` (an
account's cases, newest first), `S#ALL` on gsi1 `T#<t>#CASE` (the tenant's cases, newest first), `S#NUMBER` on
gsi2 `T#<t>#CASE#NUMBER#CS-<n>` (a case by its number) and, while an SLA target of the case runs (rapport.cases.sla:
a policy applies, the case is not stopped, a target is unmet), `S#SLA` on gsi3 `T#<t>#CASE#SLA` sorted by
`<soonest due instant>#<case id>` (the SLA work list, soonest first); for the service report
(rapport.cases.reports), `S#OPEN` on gsi2 `T#<t>#CASE#OPEN` by case id (the backlog, oldest first) while the case is
not resolved or closed, and `S#DONE` on gsi3 `T#<t>#CASE#DONE` sorted by `<resolved_at>#<case id>` once it is (the
cases resolved in a period: one range).

A received email's receipt (rapport.cases.mailbox) names the case it opened or was added to and, once added, the
message it became: put in the transaction that writes the case or the message, only if absent, so a redelivered
email is one message, and read by ONE Query when a reply's `In-Reply-To`/`References` name an email we received.

In a contact's partition, for its 360 view: `C#CASE#<case id>` (kind `CASE`) an open case of the contact (not
resolved, closed or trashed), moved when the case's contact changes, in the case's own transaction.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from datetime import datetime
from typing import Any

from rapport.accounts.manifest import ACCOUNT
from rapport.cases.manifest import CASE
from rapport.contacts.manifest import CONTACT
from rapport.dal import keys, repository
from rapport.dal.access import IndexQuery, PartitionQuery
from rapport.dal.keys import IndexKeys, SearchEntry
from rapport.dal.models import CounterItem, SummaryItem
from rapport.dal.repository import UnitOfWork

NUMBER_PREFIX = "CS-"
NUMBER_COUNTER_SK = "CASE#NUMBER"
MESSAGE_PREFIX = "B#MSG#"
MESSAGE_KIND = "case_message"
RECEIPT_KIND = "mail_receipt"
RECEIPT_SK = "#"
SUMMARY_PREFIX = "C#CASE#"
ACCOUNT_ENTRY = "ACC"
NUMBER_ENTRY = "NUMBER"
SLA_ENTRY = "SLA"
OPEN_ENTRY = "OPEN"
DONE_ENTRY = "DONE"
TENANT_ENTRY = "ALL"


def next_number(tenant_id: str) -> str:
    """The tenant's next case number, `CS-<n>` (one UpdateItem: ADD 1 to its counter)."""
    counter = CounterItem(keys.settings_pk(tenant_id), NUMBER_COUNTER_SK)
    counter.update(actions=repository.counter_adding(tenant_id, 1))
    return f"{NUMBER_PREFIX}{int(counter.value or 0)}"


def _contact_cases_pk(tenant_id: str, contact_id: str) -> str:
    return keys.children_pk(tenant_id, CONTACT, contact_id, CASE)


def _account_cases_pk(tenant_id: str, account_id: str) -> str:
    return keys.children_pk(tenant_id, ACCOUNT, account_id, CASE)


def _owner_status_pk(tenant_id: str, owner_id: str, status: str) -> str:
    return f"{keys.owner_pk(tenant_id, CASE, owner_id)}#{status}"


def _queue_pk(tenant_id: str, queue: str, status: str) -> str:
    return f"{keys.tenant_prefix(tenant_id)}{CASE.code}#QUEUE#{queue}#{status}"


def _number_pk(tenant_id: str, number: str) -> str:
    return f"{keys.tenant_prefix(tenant_id)}{CASE.code}#NUMBER#{number}"


def _sla_pk(tenant_id: str) -> str:
    return f"{keys.tenant_prefix(tenant_id)}{CASE.code}#SLA"


def _open_pk(tenant_id: str) -> str:
    return f"{keys.tenant_prefix(tenant_id)}{CASE.code}#{OPEN_ENTRY}"


def _done_pk(tenant_id: str) -> str:
    return f"{keys.tenant_prefix(tenant_id)}{CASE.code}#{DONE_ENTRY}"


def index_keys(
    tenant_id: str,
    case_id: str,
    *,
    number: str,
    status: str,
    contact_id: str,
    account_id: str | None,
    owner_id: str | None,
    queue: str | None,
    sla_due: str | None,
    resolved_at: str | None,
    deleted: bool,
) -> IndexKeys:
    """`sla_due`: the soonest due instant (canonical UTC) of the case's running SLA targets, if any; `resolved_at`
    (canonical UTC): when a resolved or closed case was resolved, None while it is open."""
    if deleted:
        return IndexKeys()
    entries = [
        SearchEntry(keys.search_entry_sk(NUMBER_ENTRY), "gsi2", _number_pk(tenant_id, number), case_id),
        SearchEntry(keys.search_entry_sk(TENANT_ENTRY), "gsi1", keys.list_pk(tenant_id, CASE), case_id),
    ]
    if sla_due:
        due_entry = SearchEntry(keys.search_entry_sk(SLA_ENTRY), "gsi3", _sla_pk(tenant_id), f"{sla_due}#{case_id}")
        entries.append(due_entry)
    if resolved_at:
        done = keys.timed_sk(resolved_at, case_id)
        entries.append(SearchEntry(keys.search_entry_sk(DONE_ENTRY), "gsi3", _done_pk(tenant_id), done))
    else:
        entries.append(SearchEntry(keys.search_entry_sk(OPEN_ENTRY), "gsi2", _open_pk(tenant_id), case_id))
    if account_id:
        entry = SearchEntry(
            keys.search_entry_sk(ACCOUNT_ENTRY), "gsi1", _account_cases_pk(tenant_id, account_id), case_id
        )
        entries.append(entry)
    return IndexKeys(
        entries=tuple(entries),
        gsi1pk=_contact_cases_pk(tenant_id, contact_id),
        gsi1sk=case_id,
        gsi2pk=keys.owner_pk(tenant_id, CASE, owner_id) if owner_id else None,
        gsi2sk=case_id if owner_id else None,
        gsi3pk=_owner_status_pk(tenant_id, owner_id, status) if owner_id else None,
        gsi3sk=case_id if owner_id else None,
        gsi4pk=_queue_pk(tenant_id, queue, status) if queue else None,
        gsi4sk=case_id if queue else None,
    )


def of_tenant(tenant_id: str) -> IndexQuery:
    """The tenant's live cases, newest first."""
    return IndexQuery("gsi1", keys.list_pk(tenant_id, CASE), newest_first=True)


def by_number(tenant_id: str, number: str) -> IndexQuery:
    """The live case numbered `number` (CS-<n>), if any."""
    return IndexQuery("gsi2", _number_pk(tenant_id, number))


def in_queue(tenant_id: str, queue: str, status: str) -> IndexQuery:
    """A queue's live cases in one status, newest first."""
    return IndexQuery("gsi4", _queue_pk(tenant_id, queue, status), newest_first=True)


def of_owner(tenant_id: str, owner_id: str, status: str | None) -> IndexQuery:
    """An owner's live cases (in one status, if given), newest first."""
    if status is None:
        return IndexQuery("gsi2", keys.owner_pk(tenant_id, CASE, owner_id), newest_first=True)
    return IndexQuery("gsi3", _owner_status_pk(tenant_id, owner_id, status), newest_first=True)


def due_before(tenant_id: str, instant: str) -> IndexQuery:
    """Live cases whose soonest running SLA target is due before `instant` (canonical UTC), soonest first."""
    return IndexQuery("gsi3", _sla_pk(tenant_id), before=instant)


def opened_between(tenant_id: str, start: datetime, end: datetime) -> IndexQuery:
    """The tenant's live cases opened from `start` until before `end`, oldest first (their ULIDs are their times)."""
    return of_tenant(tenant_id).between(*keys.ids_made_between(start, end))


def still_open(tenant_id: str) -> IndexQuery:
    """The live cases not resolved or closed, oldest first (the backlog)."""
    return IndexQuery("gsi2", _open_pk(tenant_id))


def resolved_between(tenant_id: str, first: str, last: str) -> IndexQuery:
    """The live resolved or closed cases resolved from the second `first` through the second `last` (canonical
    UTC), oldest first."""
    return IndexQuery("gsi3", _done_pk(tenant_id), start=first, end=keys.timed_sk(last, keys.RANGE_END))


def of_contact(tenant_id: str, contact_id: str) -> IndexQuery:
    """A contact's live cases, newest first."""
    return IndexQuery("gsi1", _contact_cases_pk(tenant_id, contact_id), newest_first=True)


def of_account(tenant_id: str, account_id: str) -> IndexQuery:
    """An account's live cases, newest first."""
    return IndexQuery("gsi1", _account_cases_pk(tenant_id, account_id), newest_first=True)


def message_item(tenant_id: str, case_id: str, message_id: str, data: Mapping[str, Any]) -> SummaryItem:
    """A message of the case's conversation, in the case's partition (oldest first by its ULID)."""
    partition = keys.record_pk(tenant_id, CASE, case_id)
    return repository.summary_item(
        tenant_id, partition, f"{MESSAGE_PREFIX}{message_id}", MESSAGE_KIND, message_id, data
    )


def conversation(tenant_id: str, case_id: str) -> PartitionQuery:
    """The case, then its messages, oldest first."""
    partition = keys.record_pk(tenant_id, CASE, case_id)
    return PartitionQuery(partition, start=keys.META_SK, end=f"{MESSAGE_PREFIX}{keys.RANGE_END}")


def message(tenant_id: str, case_id: str, message_id: str) -> PartitionQuery:
    """One message of the case's conversation."""
    partition = keys.record_pk(tenant_id, CASE, case_id)
    sk = f"{MESSAGE_PREFIX}{message_id}"
    return PartitionQuery(partition, start=sk, end=sk)


def messages(tenant_id: str, case_id: str) -> PartitionQuery:
    """The case's messages alone (to erase them)."""
    partition = keys.record_pk(tenant_id, CASE, case_id)
    return PartitionQuery(partition, start=MESSAGE_PREFIX, end=f"{MESSAGE_PREFIX}{keys.RANGE_END}")


def message_key(tenant_id: str, case_id: str, sk: str) -> SummaryItem:
    """A stored message by its sort key, to delete it."""
    return SummaryItem(keys.record_pk(tenant_id, CASE, case_id), sk)


def summary(tenant_id: str, contact_id: str, case_id: str, data: Mapping[str, Any]) -> SummaryItem:
    """An open case as its contact's 360 view shows it, in the contact's partition."""
    partition = keys.record_pk(tenant_id, CONTACT, contact_id)
    return repository.summary_item(tenant_id, partition, f"{SUMMARY_PREFIX}{case_id}", CASE, case_id, data)


def receipt_digest(mail_id: str) -> str:
    """An email's Message-ID as a key part: any length, any characters."""
    return hashlib.sha256(mail_id.encode()).hexdigest()


def _receipt_pk(tenant_id: str, mail_id: str) -> str:
    return f"{keys.tenant_prefix(tenant_id)}{CASE.code}#MAIL#{receipt_digest(mail_id)}"


def receipt(tenant_id: str, mail_id: str) -> PartitionQuery:
    """The receipt of the email whose Message-ID is `mail_id`."""
    return PartitionQuery(_receipt_pk(tenant_id, mail_id), start=RECEIPT_SK, end=RECEIPT_SK)


def stage_receipt(
    work: UnitOfWork, tenant_id: str, mail_id: str, data: Mapping[str, Any], *, replacing: bool = False
) -> None:
    """Add the email's receipt (`case_id`, `message_id` once it is a message) to `work`: only if it has none, or
    (`replacing`) only over one that names no message yet; else the commit fails (StaleVersion)."""
    item = repository.summary_item(
        tenant_id, _receipt_pk(tenant_id, mail_id), RECEIPT_SK, RECEIPT_KIND, str(data["case_id"]), data
    )
    unplaced = SummaryItem.pk.exists() & SummaryItem.data["message_id"].does_not_exist()
    condition = unplaced if replacing else SummaryItem.pk.does_not_exist()
    work.put_item(item, condition)
