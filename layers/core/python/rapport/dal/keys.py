"""The one module that knows the key layout of the single table and its indexes.

Every partition key, base table and GSI alike, starts with `T#<tenant>#` so that IAM `dynamodb:LeadingKeys`
can fence a tenant.

| item                 | pk                              | sk       |
|----------------------|---------------------------------|----------|
| record (account ...) | T#<t>#<KIND>#<id>               | A#META   |
| unique guard         | T#<t>#UNIQ#<FIELD>#<normalized> | #        |
| a record's summaries | T#<t>#<KIND>#<id>               | see below |
| busy slot            | T#<t>#UNIQ#BUSY#<user>#<slot>   | #        |
| calendar entry       | T#<t>#CAL#<user>                | <starts at>#<appointment id> |

A busy slot is a staff user's 15-minute slot (`2026-11-23T09:15Z`): a `SlotItem` whose `intervals` map holds
`[starts at, ends at]` of each appointment (not cancelled) whose time touches the slot, and a `revision`. A
booking reads the slots it touches, refuses a real overlap, and writes each slot on condition of the revision it
read (or its absence), in the booking's transaction: two overlapping bookings of one user cannot both commit,
and two that only share a slot both land (rapport.dal.slots). Slots booked before intervals were kept are
`GuardItem`s at the same key owned by one appointment; they read as that appointment's time and become slot
items at the slot's next write. A calendar entry is a copy of an appointment in each attendee's calendar
partition (the appointment list is one Query by time on it).

Timestamps in sort keys are canonical UTC to the second (`2026-11-23T09:00:00Z`, `rapport.normalize.instant`),
so they sort as strings.

A record's partition holds, beside its `A#META`, what its reads need in the same Query (the contact's 360 view
is one Query on the contact's partition, a timeline one Query on its record's), kept current in the same
transaction as the write they summarize (`RecordService.linked_writes`):

| sk                                  | what                                                      |
|-------------------------------------|-----------------------------------------------------------|
| A#ACC                               | a contact's account (id, name, domain), for the 360 view  |
| B#DEAL#<deal id>                    | a deal the contact is on (name, amount, stage, status...) |
| B#LTV                               | lifetime value: won deals' amounts, in tenant currency    |
| C#APPT#<starts at>#<appointment id> | a scheduled appointment (gone when done or cancelled)     |
| D#TASK#<due at>#<task id>           | an open or in-progress task                               |
| E#<inverted time + id>              | a timeline entry, newest first (contact, account, deal, lead) |

A timeline entry (rapport.activities.timeline) is a summary of kind `entry` whose data says which (`kind`:
activity, notification, lead_submission, stage_change); its key is `entry_sk(occurred_at, id)`: a ULID time
(the id's own while it was made in the second of `occurred_at`, else `occurred_at`'s) and the rest of the entry's
ULID, inverted, so `E#` runs newest first by when things happened. An activity's id is a ULID of when it
happened, so an activity as logged sorts at `E#<its inverted id>` (the key entries had before they had kinds:
those of kind `ACT` and `interaction` are still read); one whose `occurred_at` was corrected keeps its id and
moves to the key of its new time. An entry sits in the partition of each record it
concerns and, for a contact or a deal of an account, in the account's (an account's timeline rolls up).

Activities are listed (`GET /activities`) from four sparse, tenant-prefixed index partitions, each sorted by when
the activity happened (`<occurred at>#<id>`, read newest first; a period is a range of it):

| index | activities listed                 | pk                                    | sk                  |
|-------|-----------------------------------|---------------------------------------|---------------------|
| gsi1  | all (trashed: #DELETED)           | T#<t>#ACT (or T#<t>#ACT#DELETED)      | <occurred at>#<id>  |
| gsi2  | by owner                          | T#<t>#ACT#OWNER#<owner>               | <occurred at>#<id>  |
| gsi3  | by type                           | T#<t>#ACT#TYPE#<type>                 | <occurred at>#<id>  |
| gsi4  | by owner and type                 | T#<t>#ACT#OWNER#<owner>#TYPE#<type>   | <occurred at>#<id>  |

Activities logged before they were listed enter these partitions on their next write.

| index | serves                                  | pk                           | sk                 |
|-------|-----------------------------------------|------------------------------|--------------------|
| gsi1  | list of a kind by name                  | T#<t>#<KIND> (or #DELETED)   | <name key>␟<id>    |
| gsi2  | exact lookup: account domain            | T#<t>#ACC#DOMAIN#<domain>    | <id>               |
| gsi2  | an owner's contacts, by name            | T#<t>#CON#OWNER#<owner>      | <name key>␟<id>    |
| gsi2  | tasks of one assignee in one status,    | T#<t>#TASK#ASSIGNEE#<user>#<status> | <due at or ~>#<id> |
|       | by due time (trashed tasks leave it)    |                              |                    |
| gsi4  | a parent and its children               | T#<t>#<PARENT>#<id>#<KIND>   | ␞ (the parent),    |
|       | (an account, then its contacts)         |                              | <name key>␟<id>    |

The parent sits first in its children's gsi4 partition, so "this account's contacts, or 404" is one Query.

Search entries. What a record is found by, when it has several values of a kind (the words of its names, its
emails, phones, tags) or when its own index keys are all taken (a deal's account), is a search entry: a copy of
the live record (what a list returns) in the record's own partition, under `S#<FIELD>#<value>` (after every item
its reads take), placed in an index partition of its own. A list is then ONE Query that answers with records.
The record's write puts its entries (new copies: same version as the record) and deletes those it no longer has
(the record item lists their sort keys in `search_entries`), in its own transaction: renames move words, trash
and erase remove them all, restore brings them back. A record written before entries existed has none until its
next write (`python -m local.reindex` rewrites a table's records in place).

| entry (sk in the record's partition) | index | pk                            | sk                             |
|--------------------------------------|-------|-------------------------------|--------------------------------|
| S#WORD#<word>: a word of the name    | gsi1  | T#<t>#<ACC, CON, LEAD>#WORD   | <word>␟<name key>␟<id>         |
|                                      |       |                               | (a lead: <word>␟<score sk>)    |
| S#EMAIL#<email>: a contact's, each   | gsi2  | T#<t>#CON#EMAIL#<email>       | <id>                           |
| S#PHONE#<phone>: a contact's, each   | gsi3  | T#<t>#CON#PHONE#<phone>       | <id>                           |
| S#TAG#<tag key>: a contact's, each   | gsi1  | T#<t>#CON#TAG#<tag key>       | <name key>␟<id>                |
| S#EMAIL#<email>: a lead's            | gsi2  | T#<t>#LEAD#EMAIL#<email>      | <score sk>                     |
| S#ACC: a deal's account              | gsi4  | T#<t>#ACC#<account id>#DEAL   | <close>␟<id>                   |

Words are `rapport.normalize.search_words`: case- and accent-insensitive runs of letters and digits of the first
and last name (contacts; not the account's name: find the account, then its contacts), the name (accounts), first
name, last name and company (leads), and each word written with punctuation also without it (`O'Neil` is `o`,
`neil`, `oneil`), at most 16. A search Queries the word partition with the prefix of its longest word; its other
words narrow the page as a filter on the entry's `words` (` w1 w2 ...`), which is why a page may hold fewer than
`limit` and still have a cursor; a record two of whose words match shows once per page. Tag keys and the name key
in entry sort keys are `normalize.name_key` (the name cut to 100 characters). A contact's email and phone
partitions are the ones its record item used before entries existed, so records not yet rewritten are still found
by their primary email and phone. A write whose entries and guards exceed one transaction (100 items: e.g. all 50
tags replaced at once) is refused with a 422, and writes nothing.

Sales (pipelines, deals, forecast, performance). `␟` is NAME_END; `<close>` a deal's close date (YYYY-MM-DD).

| item                          | pk                          | sk                      |
|-------------------------------|-----------------------------|-------------------------|
| pipeline, deal                | T#<t>#PIPE#<id>, T#<t>#DEAL#<id> | A#META             |
| a deal's stage history        | T#<t>#DEAL#<id>             | H#<at> (oldest first)   |
| per-user per-month stats      | T#<t>#STATS#<yyyy-mm>       | U#<user>                |

A stats item counts, for a user and a month: `activities` (one per activity the user logged, see
`dal.sales.count_activity`) and, for deals the user owned when they closed in that month (by close date):
`deals_won`, `deals_lost`, `revenue_won` (tenant currency, converted when the deal was won) and `won_days`
(days from creation to close, summed over won deals). The contact's `B#LTV` item (`LifetimeValueItem`) holds the
sum of its won deals in a top-level Number `amount` (tenant currency; `data.currency` names it): a Number so that
deals closing at once for one contact each ADD to it without a read.

| index | serves (sales)                     | pk                              | sk                                  |
|-------|------------------------------------|---------------------------------|-------------------------------------|
| gsi1  | pipelines by name                  | T#<t>#PIPE                      | <name key>␟<id>                     |
| gsi1  | deals by close date; forecast      | T#<t>#DEAL (or #DELETED: trash) | <close>␟<id>                        |
| gsi1  | stats by month (performance)       | T#<t>#STATS                     | <yyyy-mm>␟<user>                    |
| gsi2  | an owner's deals (+status, +pipe)  | T#<t>#DEAL#OWNER#<owner>        | <status>␟<pipeline id>␟<close>␟<id> |
| gsi3  | a pipeline's deals (+stage)        | T#<t>#DEAL#PIPE#<pipeline id>   | <stage key>␟<close>␟<id>            |
| gsi4  | deals by status (+pipeline)        | T#<t>#DEAL#STATUS#<status>      | <pipeline id>␟<close>␟<id>          |

A trashed deal stays only in its gsi1 trash partition. Each filter combination of `GET /deals` is one Query on
one of these partitions, narrowed by a sort key prefix (see `rapport.deals.service.DealService.search`).

Leads overload the four indexes: each filter combination `GET /leads` offers is one Query on its own sparse,
tenant-prefixed partition, sorted by score, highest first (the sort key is the score inverted and zero-padded,
then the id), so `min_score` is a key condition (`sk < score_bound(min_score)`), not a filter.

| index | leads listed                   | pk                                      | sk                      |
|-------|--------------------------------|-----------------------------------------|-------------------------|
| gsi1  | all (trashed: #DELETED)        | T#<t>#LEAD (or T#<t>#LEAD#DELETED)      | <100 - score:03>#<id>   |
| gsi2  | by status                      | T#<t>#LEAD#STATUS#<status>              | <100 - score:03>#<id>   |
| gsi3  | by owner                       | T#<t>#LEAD#OWNER#<owner>                | <100 - score:03>#<id>   |
| gsi4  | by owner and status            | T#<t>#LEAD#OWNER#<owner>#STATUS#<status>| <100 - score:03>#<id>   |

An open lead (new, working, qualified) holds the guard `T#<t>#UNIQ#LEAD_EMAIL#<email>`; creating or reopening
it also checks that no contact holds `T#<t>#UNIQ#EMAIL#<email>`. Disqualifying or converting frees it.

Erasures. A record erased for good leaves `T#<t>#ERASED#<KIND>#<id>` in the idempotency table (who, when; a
week's TTL), put in the erase's own transaction: the publisher reads it to say who erased the record and when.

Notifications. A tenant's saved template is a record `T#<t>#NTPL#<name>.<channel>` / `A#META`, listed on gsi1
`T#<t>#NTPL` by id (the defaults apply to a name and channel until one is saved). A sent-marker lives in the
idempotency table, not here: `T#<t>#NOTIFY#<channel>#<dedupe key>` (TTL), put in one transaction with the
interaction it records (rapport.notifications.notifier says why).

Web forms are records `T#<t>#WEBFORM#<id>`, listed on gsi1 `T#<t>#WEBFORM` by name.

Settings documents (rapport.settings): one setting item each per tenant (`SettingItem`: data, version, stamps,
and its kind, which names its events), read and replaced whole, in no index:

| document                            | pk                  | sk               |
|-------------------------------------|---------------------|------------------|
| currency rates                      | T#<t>#SETTINGS      | CURRENCY_RATES   |
| assignment rules                    | T#<t>#SETTINGS      | ASSIGNMENT_RULES |
| appointment reminder settings       | T#<t>#SETTINGS      | REMINDERS        |
| notification settings (customers')  | T#<t>#SETTINGS      | NOTIFICATIONS    |
| lead scoring rules                  | T#<t>#SCORING#rules | A#META           |

The scoring rules were a record before they were a settings document: a tenant's saved rules may still be that
record until their next save replaces it with a setting item (same key, the version going on).

Public web-to-lead requests arrive with only an API Gateway API key id, so the tenant must be found from the
key: that lookup lives in its own small table (`web_form_key_pk`: pk = the API key id -> tenant, form), not in
this one, so that every key of this table still starts with the tenant and `dynamodb:LeadingKeys` keeps
fencing tenants here. Only the web forms function writes that table and only the public leads function reads it.
Staff user profiles and lead assignment (rapport.users, rapport.assignment):

| item                                   | pk                     | sk                      |
|----------------------------------------|------------------------|-------------------------|
| staff user profile (the token's `sub`) | T#<t>#USER#<sub>       | A#META                  |
| the rep's open leads assigned (Number) | T#<t>#USER#<sub>       | B#LOAD                  |
| leads assigned on a day (rep's day)    | T#<t>#USER#<sub>       | B#DAY#<yyyy-mm-dd>      |
| a team's round-robin cursor (turn)     | T#<t>#SETTINGS         | RR#<team>               |

The counters are `CounterItem`s updated with ADD under a cap condition, the cursor with a condition on the turn
read, all in the assignment's one transaction (rapport.assignment.service). Users are listed on gsi1
`T#<t>#USER` by name and per team on gsi2 `T#<t>#USER#TEAM#<team>`.

Follow-ups and reminders (rapport.followups). The unattended jobs find their work with one Query per tenant on
sparse, tenant-prefixed partitions that the records' own writes keep current (no extra items, no Scan):

| index | serves                                   | pk                        | sk                    |
|-------|------------------------------------------|---------------------------|-----------------------|
| gsi1  | open tasks' pending reminders, by time   | T#<t>#TASK#REMIND         | <reminder at>#<id>    |
| gsi3  | open tasks with a due time, by due time  | T#<t>#TASK#DUE            | <due at>#<id>         |
| gsi1  | scheduled appointments, by start         | T#<t>#APPT#SCHEDULED      | <starts at>#<id>      |

A task that is done, cancelled or trashed leaves gsi1 and gsi3; changing `reminder_at` moves it — in the task's
own write. The tenant's appointment reminder offsets, and the time zone and locale its customers' messages are
written in, are settings documents (see above). "Already sent" markers
of reminders and digests live in the idempotency table (`T#<t>#SENT#<what>`, with its TTL), not here: they are
not business changes and must not flow through the stream.

The jobs run for every tenant, and "every tenant" cannot be a partition of this table (each key starts with
one tenant): the tenant registry is a small table of its own (`TENANTS_PK` / tenant id), one partition that a
Query reads whole, written by the follow-ups worker when it sees a tenant's task, appointment or pipeline
created (an idempotent put). No API function reads or writes it.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import Any

from ulid import ULID

from rapport.accounts.manifest import ACCOUNT
from rapport.activities.manifest import ACTIVITY
from rapport.appointments.manifest import APPOINTMENT
from rapport.contacts.manifest import CONTACT
from rapport.contexts import Kind
from rapport.deals.manifest import DEAL, PIPELINE
from rapport.leads.manifest import LEAD
from rapport.notifications.manifest import NOTIFICATION_TEMPLATE
from rapport.tasks.manifest import TASK
from rapport.users.manifest import USER
from rapport.web_forms.manifest import WEB_FORM

META_SK = "A#META"
GUARD_SK = "#"
# Name keys hold no control characters, so the unit separator ends a name before anything that could
# extend it ("acme" < "acme labs"), and the record separator marks the parent before every name.
NAME_END = "\x1f"
PARENT_SK = "\x1e"


_CROCKFORD = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"
_ULID_TIME = 10  # a ULID's first ten digits are its milliseconds
_INVERTED = str.maketrans(_CROCKFORD, _CROCKFORD[::-1])
DEAL_SUMMARY_PREFIX = "B#DEAL#"
LIFETIME_VALUE_SK = "B#LTV"
APPOINTMENT_SUMMARY_PREFIX = "C#APPT#"
TASK_SUMMARY_PREFIX = "D#TASK#"
INTERACTION_PREFIX = "E#"
PARTITION_START = "A#"  # a record's own items (its summaries' start): what its reads need runs from here ...
INTERACTIONS_END = "E#~"  # ... to after its last interaction
ACCOUNT_SUMMARY_SK = "A#ACC"
NO_DUE_DATE = "~"  # sorts after every timestamp: tasks without a due date come last
HISTORY_PREFIX = "H#"
STATS_USER_PREFIX = "U#"
TENANTS_PK = "TENANTS"  # the tenant registry's one partition (a table of its own, see below)
RANGE_END = "\x7f"  # sorts after every character of an id, a user id or a date
MAX_SCORE = 100
LOAD_SK = "B#LOAD"
ASSIGNED_DAY_PREFIX = "B#DAY#"
ROUND_ROBIN_PREFIX = "RR#"


SEARCH_PREFIX = "S#"  # a record's search entries, after everything its reads take (A# ... E#, H#)
NAME_ORDER_LENGTH = 100


class SearchField(StrEnum):
    """What a search entry finds a record by."""

    WORD = "WORD"  # a word of the name
    EMAIL = "EMAIL"
    PHONE = "PHONE"
    TAG = "TAG"
    ACCOUNT = "ACC"  # a deal's account


class UniqueField(StrEnum):
    EMAIL = "EMAIL"
    PHONE = "PHONE"
    DOMAIN = "DOMAIN"
    BUSY = "BUSY"  # a staff user's time slot and the appointments in it
    LEAD_EMAIL = "LEAD_EMAIL"  # held by an open lead; contacts hold EMAIL


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


def deal_summary_sk(deal_id: str) -> str:
    return f"{DEAL_SUMMARY_PREFIX}{deal_id}"


def appointment_summary_sk(starts_at: str, appointment_id: str) -> str:
    return f"{APPOINTMENT_SUMMARY_PREFIX}{starts_at}#{appointment_id}"


def task_summary_sk(due_at: str | None, task_id: str) -> str:
    return f"{TASK_SUMMARY_PREFIX}{due_at or NO_DUE_DATE}#{task_id}"


def entry_sk(occurred_at: str, entry_id: str) -> str:
    """A timeline entry, newest first: a ULID time and the rest of the entry's ULID (its randomness), every digit
    inverted, so keys sort in reverse time order. The time is the id's own (to the millisecond) while the id was
    made in the second of `occurred_at`, so an activity as logged sorts at `E#<its inverted id>` and entries made
    in one second keep their order; an entry moved in time (an activity whose `occurred_at` was corrected) keeps
    its id and sorts by `occurred_at`."""
    entry_id = entry_id.upper()
    happened = datetime.fromisoformat(occurred_at).replace(microsecond=0)
    stamp = entry_id[:_ULID_TIME]
    if ULID.from_str(entry_id).datetime.replace(microsecond=0) != happened:
        stamp = str(ULID.from_datetime(happened))[:_ULID_TIME]
    return f"{INTERACTION_PREFIX}{(stamp + entry_id[_ULID_TIME:]).translate(_INVERTED)}"


def history_sk(at: str) -> str:
    """A deal's stage transition at `at` (ISO 8601 UTC): history sorts oldest first."""
    return f"{HISTORY_PREFIX}{at}"


def stats_pk(tenant_id: str, month: str) -> str:
    return f"{tenant_prefix(tenant_id)}STATS#{month}"


def stats_sk(user_id: str) -> str:
    return f"{STATS_USER_PREFIX}{user_id}"


def stats_list_pk(tenant_id: str) -> str:
    return f"{tenant_prefix(tenant_id)}STATS"


def stats_list_sk(month: str, user_id: str) -> str:
    return f"{month}{NAME_END}{user_id}"


def settings_pk(tenant_id: str) -> str:
    return f"{tenant_prefix(tenant_id)}SETTINGS"


def settings_document_key(tenant_id: str, kind: Kind, key: str | None = None) -> tuple[str, str]:
    """Where the tenant's settings document `kind` is: the settings partition, sorted by the kind; a document with a
    `key` where a record of that id would be (the scoring rules stay where they were stored as a record)."""
    if not kind.document:
        raise ValueError(f"{kind.label} is not a settings document")
    if key is not None:
        return record_pk(tenant_id, kind, key), META_SK
    return settings_pk(tenant_id), kind.code


def deal_owner_pk(tenant_id: str, owner_id: str) -> str:
    return owner_pk(tenant_id, DEAL, owner_id)


def deal_pipeline_pk(tenant_id: str, pipeline_id: str) -> str:
    return f"{tenant_prefix(tenant_id)}{DEAL}#{PIPELINE}#{pipeline_id}"


def deal_status_pk(tenant_id: str, status: str) -> str:
    return f"{tenant_prefix(tenant_id)}{DEAL}#STATUS#{status}"


def key_prefix(*parts: str) -> str:
    """The sort key prefix that selects `parts` (leading components of a sales sort key), whole."""
    return "".join(f"{part}{NAME_END}" for part in parts)


def through(last: str) -> str:
    """The upper bound of a range whose last sort key component starts with `last` (e.g. a date)."""
    return f"{last}{NAME_END}{RANGE_END}"


def deal_index_keys(
    tenant_id: str,
    deal_id: str,
    *,
    close_date: str,
    status: str,
    owner_id: str,
    pipeline_id: str,
    stage_key: str,
    account_id: str | None,
    deleted: bool,
) -> IndexKeys:
    gsi1pk = list_pk(tenant_id, DEAL, deleted=deleted)
    gsi1sk = key_prefix(close_date) + deal_id
    if deleted:
        return IndexKeys(gsi1pk=gsi1pk, gsi1sk=gsi1sk)
    account = children_pk(tenant_id, ACCOUNT, account_id, DEAL) if account_id else None
    return IndexKeys(
        entries=(SearchEntry(search_entry_sk(SearchField.ACCOUNT), "gsi4", account, gsi1sk),) if account else (),
        gsi1pk=gsi1pk,
        gsi1sk=gsi1sk,
        gsi2pk=deal_owner_pk(tenant_id, owner_id),
        gsi2sk=key_prefix(status, pipeline_id, close_date) + deal_id,
        gsi3pk=deal_pipeline_pk(tenant_id, pipeline_id),
        gsi3sk=key_prefix(stage_key, close_date) + deal_id,
        gsi4pk=deal_status_pk(tenant_id, status),
        gsi4sk=key_prefix(pipeline_id, close_date) + deal_id,
    )


def pipeline_index_keys(tenant_id: str, pipeline_id: str, name_key: str) -> IndexKeys:
    return IndexKeys(gsi1pk=list_pk(tenant_id, PIPELINE), gsi1sk=name_sk(name_key, pipeline_id))


def busy_slot(user_id: str, slot: str) -> str:
    """The value of a busy-slot guard: whose time, which slot."""
    return f"{user_id}#{slot}"


def calendar_pk(tenant_id: str, user_id: str) -> str:
    return f"{tenant_prefix(tenant_id)}CAL#{user_id}"


def calendar_sk(starts_at: str, appointment_id: str) -> str:
    return f"{starts_at}#{appointment_id}"


def assignee_pk(tenant_id: str, kind: Kind, user_id: str, status: str) -> str:
    return f"{tenant_prefix(tenant_id)}{kind}#ASSIGNEE#{user_id}#{status}"


def due_sk(due_at: str | None, record_id: str) -> str:
    return f"{due_at or NO_DUE_DATE}#{record_id}"


def notification_marker_pk(tenant_id: str, channel: str, dedupe_key: str) -> str:
    """A sent notification's marker in the idempotency table: one per request's dedupe key and channel."""
    return f"{tenant_prefix(tenant_id)}NOTIFY#{channel}#{dedupe_key}"


def template_index_keys(tenant_id: str, template_id: str) -> IndexKeys:
    return IndexKeys(gsi1pk=list_pk(tenant_id, NOTIFICATION_TEMPLATE), gsi1sk=template_id)


def idempotency_pk(tenant_id: str, user_id: str, key: str) -> str:
    return f"{tenant_prefix(tenant_id)}IDEM#{user_id}#{key}"


def erasure_pk(tenant_id: str, kind: Kind, record_id: str) -> str:
    """Who erased the record and when: in the idempotency table, for the publisher (see `ErasureItem`)."""
    return f"{tenant_prefix(tenant_id)}ERASED#{kind}#{record_id}"


@dataclass(frozen=True)
class SearchEntry:
    """A copy of a live record under one value it is found by: the item `sk` in the record's own partition, shown
    in `index` partition `pk` at `index_sk`. `words` (a name's words, each after a space) narrows multi-word
    searches."""

    sk: str
    index: str
    pk: str
    index_sk: str
    words: str | None = None


@dataclass(frozen=True)
class IndexKeys:
    """The GSI attributes of one record (None leaves it out of that sparse index), and its search entries."""

    gsi1pk: str | None = None
    gsi1sk: str | None = None
    gsi2pk: str | None = None
    gsi2sk: str | None = None
    gsi3pk: str | None = None
    gsi3sk: str | None = None
    gsi4pk: str | None = None
    gsi4sk: str | None = None
    entries: tuple[SearchEntry, ...] = ()

    def attributes(self) -> dict[str, Any]:
        """The record item's own index attributes."""
        return {
            f"gsi{number}{part}": getattr(self, f"gsi{number}{part}") for number in range(1, 5) for part in ("pk", "sk")
        }


def search_entry_sk(field: SearchField, value: str = "") -> str:
    return f"{SEARCH_PREFIX}{field}#{value}" if value else f"{SEARCH_PREFIX}{field}"


def word_pk(tenant_id: str, kind: Kind) -> str:
    """A kind's name words: one partition per tenant and kind, sorted by word (a prefix Query finds a word)."""
    return f"{tenant_prefix(tenant_id)}{kind}#{SearchField.WORD}"


def word_sk(word: str, then: str) -> str:
    """A word, then what orders the records that have it (`<name key>␟<id>`, or a lead's score)."""
    return f"{word}{NAME_END}{then}"


def word_entries(tenant_id: str, kind: Kind, words: Sequence[str], then: str) -> tuple[SearchEntry, ...]:
    """A live record's name words on gsi1, each entry with all the words (to narrow multi-word searches)."""
    joined = "".join(f" {word}" for word in words)
    pk = word_pk(tenant_id, kind)
    return tuple(
        SearchEntry(search_entry_sk(SearchField.WORD, word), "gsi1", pk, word_sk(word, then), joined) for word in words
    )


def value_pk(tenant_id: str, kind: Kind, field: SearchField, value: str) -> str:
    """The partition of the records of `kind` that hold `value` in `field` (an email, a phone, a tag)."""
    return f"{tenant_prefix(tenant_id)}{kind}#{field}#{value}"


def value_entry(tenant_id: str, kind: Kind, field: SearchField, value: str, index: str, index_sk: str) -> SearchEntry:
    return SearchEntry(search_entry_sk(field, value), index, value_pk(tenant_id, kind, field, value), index_sk)


def name_order(name_key: str, record_id: str) -> str:
    """`<name key>␟<id>` with the name cut to NAME_ORDER_LENGTH: an entry's sort key stays far below DynamoDB's
    1024 bytes whatever the name (the order of names that long is by their start)."""
    return name_sk(name_key[:NAME_ORDER_LENGTH], record_id)


def account_index_keys(
    tenant_id: str, account_id: str, name_key: str, words: Sequence[str], domain: str | None, *, deleted: bool
) -> IndexKeys:
    listed = domain is not None and not deleted
    return IndexKeys(
        gsi1pk=list_pk(tenant_id, ACCOUNT, deleted=deleted),
        gsi1sk=name_sk(name_key, account_id),
        gsi2pk=lookup_pk(tenant_id, ACCOUNT, UniqueField.DOMAIN, domain) if listed and domain else None,
        gsi2sk=account_id if listed else None,
        gsi4pk=children_pk(tenant_id, ACCOUNT, account_id, CONTACT),
        gsi4sk=PARENT_SK,
        entries=() if deleted else word_entries(tenant_id, ACCOUNT, words, name_order(name_key, account_id)),
    )


@dataclass(frozen=True)
class ContactKeys:
    """What places a contact in the indexes, normalized: its name key and words, every email, phone and tag key."""

    name_key: str
    words: Sequence[str]
    emails: Sequence[str]
    phones: Sequence[str]
    tags: Sequence[str]
    owner_id: str | None
    account_id: str | None


def contact_index_keys(tenant_id: str, contact_id: str, contact: ContactKeys, *, deleted: bool) -> IndexKeys:
    """gsi1 lists by name (or the trash); gsi2 an owner's contacts by name; gsi4 the account's contacts. Each word
    of the name, email, phone and tag of a live contact is a search entry (see the module's docstring)."""
    gsi1pk = list_pk(tenant_id, CONTACT, deleted=deleted)
    gsi1sk = name_sk(contact.name_key, contact_id)
    if deleted:
        return IndexKeys(gsi1pk=gsi1pk, gsi1sk=gsi1sk)
    order = name_order(contact.name_key, contact_id)
    entries = (
        *word_entries(tenant_id, CONTACT, contact.words, order),
        *(value_entry(tenant_id, CONTACT, SearchField.EMAIL, email, "gsi2", contact_id) for email in contact.emails),
        *(value_entry(tenant_id, CONTACT, SearchField.PHONE, phone, "gsi3", contact_id) for phone in contact.phones),
        *(value_entry(tenant_id, CONTACT, SearchField.TAG, tag, "gsi1", order) for tag in contact.tags),
    )
    owner, account = contact.owner_id, contact.account_id
    return IndexKeys(
        gsi1pk=gsi1pk,
        gsi1sk=gsi1sk,
        gsi2pk=owner_pk(tenant_id, CONTACT, owner) if owner else None,
        gsi2sk=gsi1sk if owner else None,
        gsi4pk=children_pk(tenant_id, ACCOUNT, account, CONTACT) if account else None,
        gsi4sk=gsi1sk if account else None,
        entries=entries,
    )


def owner_pk(tenant_id: str, kind: Kind, owner_id: str) -> str:
    return f"{tenant_prefix(tenant_id)}{kind}#OWNER#{owner_id}"


def task_index_keys(
    tenant_id: str,
    task_id: str,
    assignee_id: str | None,
    status: str,
    due_at: str | None,
    *,
    deleted: bool,
    reminder_at: str | None = None,
    open_: bool = False,
) -> IndexKeys:
    """gsi2: the assignee's tasks in one status by due time; a trashed task leaves it.

    While the task is `open_` (open or in progress): gsi1, its pending reminder in the tenant's reminder
    partition, and gsi3, its due time in the tenant's open tasks by due time (the daily digest's overdue tasks).
    """
    if deleted or not assignee_id:
        return IndexKeys()
    reminding = open_ and reminder_at is not None
    dated = open_ and due_at is not None
    return IndexKeys(
        gsi1pk=task_reminders_pk(tenant_id) if reminding else None,
        gsi1sk=timed_sk(reminder_at, task_id) if reminding and reminder_at else None,
        gsi2pk=assignee_pk(tenant_id, TASK, assignee_id, status),
        gsi2sk=due_sk(due_at, task_id),
        gsi3pk=open_tasks_due_pk(tenant_id) if dated else None,
        gsi3sk=timed_sk(due_at, task_id) if dated and due_at else None,
    )


def task_reminders_pk(tenant_id: str) -> str:
    return f"{tenant_prefix(tenant_id)}{TASK}#REMIND"


def open_tasks_due_pk(tenant_id: str) -> str:
    return f"{tenant_prefix(tenant_id)}{TASK}#DUE"


def scheduled_appointments_pk(tenant_id: str) -> str:
    return f"{tenant_prefix(tenant_id)}{APPOINTMENT}#SCHEDULED"


def timed_sk(at: str, record_id: str) -> str:
    """A record at a time (canonical UTC to the second): sorts by time, then id."""
    return f"{at}#{record_id}"


def appointment_index_keys(
    tenant_id: str, appointment_id: str, status: str, starts_at: str, *, deleted: bool
) -> IndexKeys:
    """gsi1: a scheduled appointment in the tenant's scheduled appointments by start (the reminder sweep's)."""
    if deleted or status != "scheduled":
        return IndexKeys()
    return IndexKeys(gsi1pk=scheduled_appointments_pk(tenant_id), gsi1sk=timed_sk(starts_at, appointment_id))


def activity_owner_pk(tenant_id: str, owner_id: str) -> str:
    return f"{list_pk(tenant_id, ACTIVITY)}#OWNER#{owner_id}"


def activity_type_pk(tenant_id: str, type_: str) -> str:
    return f"{list_pk(tenant_id, ACTIVITY)}#TYPE#{type_}"


def activity_owner_type_pk(tenant_id: str, owner_id: str, type_: str) -> str:
    return f"{activity_owner_pk(tenant_id, owner_id)}#TYPE#{type_}"


def activity_index_keys(
    tenant_id: str, activity_id: str, owner_id: str, type_: str, occurred_at: str, *, deleted: bool
) -> IndexKeys:
    """An activity in the tenant's activities (or its trash), its owner's, its type's and its owner's of that
    type, each by when it happened (`GET /activities`)."""
    sk = timed_sk(occurred_at, activity_id)
    if deleted:
        return IndexKeys(gsi1pk=list_pk(tenant_id, ACTIVITY, deleted=True), gsi1sk=sk)
    return IndexKeys(
        gsi1pk=list_pk(tenant_id, ACTIVITY),
        gsi1sk=sk,
        gsi2pk=activity_owner_pk(tenant_id, owner_id),
        gsi2sk=sk,
        gsi3pk=activity_type_pk(tenant_id, type_),
        gsi3sk=sk,
        gsi4pk=activity_owner_type_pk(tenant_id, owner_id, type_),
        gsi4sk=sk,
    )


def activity_list(tenant_id: str, owner_id: str | None, type_: str | None, *, deleted: bool) -> tuple[str, str]:
    """The index and partition that list the activities with these filters (`activity_index_keys`)."""
    if deleted:
        return "gsi1", list_pk(tenant_id, ACTIVITY, deleted=True)
    if owner_id is not None and type_ is not None:
        return "gsi4", activity_owner_type_pk(tenant_id, owner_id, type_)
    if owner_id is not None:
        return "gsi2", activity_owner_pk(tenant_id, owner_id)
    if type_ is not None:
        return "gsi3", activity_type_pk(tenant_id, type_)
    return "gsi1", list_pk(tenant_id, ACTIVITY)


def sent_marker_pk(tenant_id: str, what: str) -> str:
    """A workflow's "already sent" marker (in the idempotency table, with a TTL): `what` names the message."""
    return f"{tenant_prefix(tenant_id)}SENT#{what}"


def tenant_registry_sk(tenant_id: str) -> str:
    return tenant_id


def score_sk(score: int, record_id: str) -> str:
    """Highest score first: `100 - score`, zero-padded, sorts ascending; ties by id (oldest first)."""
    if not 0 <= score <= MAX_SCORE:
        raise ValueError(f"a score is 0 to {MAX_SCORE}")
    return f"{MAX_SCORE - score:03d}#{record_id}"


def score_bound(min_score: int) -> str:
    """Every `score_sk` below this bound has a score of at least `min_score`."""
    return f"{MAX_SCORE - min_score + 1:03d}"


def lead_status_pk(tenant_id: str, status: str) -> str:
    return f"{list_pk(tenant_id, LEAD)}#STATUS#{status}"


def lead_owner_pk(tenant_id: str, owner_id: str) -> str:
    return f"{list_pk(tenant_id, LEAD)}#OWNER#{owner_id}"


def lead_owner_status_pk(tenant_id: str, owner_id: str, status: str) -> str:
    return f"{lead_owner_pk(tenant_id, owner_id)}#STATUS#{status}"


def lead_index_keys(
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
        return IndexKeys(gsi1pk=list_pk(tenant_id, LEAD, deleted=True), gsi1sk=sk)
    by_email = (value_entry(tenant_id, LEAD, SearchField.EMAIL, email, "gsi2", sk),) if email else ()
    return IndexKeys(
        entries=(*word_entries(tenant_id, LEAD, words, sk), *by_email),
        gsi1pk=list_pk(tenant_id, LEAD),
        gsi1sk=sk,
        gsi2pk=lead_status_pk(tenant_id, status),
        gsi2sk=sk,
        gsi3pk=lead_owner_pk(tenant_id, owner_id) if owner_id else None,
        gsi3sk=sk if owner_id else None,
        gsi4pk=lead_owner_status_pk(tenant_id, owner_id, status) if owner_id else None,
        gsi4sk=sk if owner_id else None,
    )


def web_form_index_keys(tenant_id: str, form_id: str, name_key: str) -> IndexKeys:
    return IndexKeys(gsi1pk=list_pk(tenant_id, WEB_FORM), gsi1sk=name_sk(name_key, form_id))


def web_form_key_pk(api_key_id: str) -> str:
    """The web form keys table's key: API Gateway's API key id, all a public request carries (see above)."""
    return api_key_id


def assigned_day_sk(day: str) -> str:
    """The count of leads a rep was assigned on `day` (YYYY-MM-DD in the rep's time zone)."""
    return f"{ASSIGNED_DAY_PREFIX}{day}"


def round_robin_sk(team: str) -> str:
    return f"{ROUND_ROBIN_PREFIX}{team}"


def user_team_pk(tenant_id: str, team: str) -> str:
    return f"{list_pk(tenant_id, USER)}#TEAM#{team}"


def user_index_keys(tenant_id: str, user_id: str, name_key: str, team: str | None, *, deleted: bool) -> IndexKeys:
    sk = name_sk(name_key, user_id)
    if deleted:
        return IndexKeys(gsi1pk=list_pk(tenant_id, USER, deleted=True), gsi1sk=sk)
    return IndexKeys(
        gsi1pk=list_pk(tenant_id, USER),
        gsi1sk=sk,
        gsi2pk=user_team_pk(tenant_id, team) if team else None,
        gsi2sk=sk if team else None,
    )
