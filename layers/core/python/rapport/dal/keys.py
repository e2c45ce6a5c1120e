"""The key layout every kind shares. Each context's own layout is in its `store.py`, next to its access patterns.

Why the stores are in the contexts' folders and not in `rapport.dal`: a context is one folder (its models, its
service, its keys and queries), so adding one edits no shared module; the data access layer is this package (the
table's models, the repository, the unit of work, the layout below) and the `store.py` of each context, and only
those know keys, indexes and conditions (tests/unit/test_shape.py checks it). A context's store may use another's
published layout (a contact's partition, a deal's stats), never its service.

Every partition key, base table and GSI alike, and every key of the idempotency table, starts with `T#<tenant>#`
so that IAM `dynamodb:LeadingKeys` fences a tenant: a request signed for a tenant (rapport.dal.tenancy) is allowed
only when all of its partition keys start with that tenant's prefix (infra/table_access.py). A new key must too.
The web form keys, the tenant registry and the tenant slugs, tables of their own, are no tenant's.
Kinds (`ACC`, `CON`, ...) are the codes the contexts' manifests declare (rapport.contexts).

| item                 | pk                              | sk        |
|----------------------|---------------------------------|-----------|
| record (account ...) | T#<t>#<KIND>#<id>               | A#META    |
| unique guard         | T#<t>#UNIQ#<FIELD>#<normalized> | #         |
| a record's summaries | T#<t>#<KIND>#<id>               | see below |

Timestamps in sort keys are canonical UTC to the second (`2026-11-23T09:00:00Z`, `rapport.normalize.instant`),
so they sort as strings.

A record's partition holds, beside its `A#META`, what its reads need in the same Query (the contact's 360 view
is one Query on the contact's partition, a timeline one Query on its record's), kept current in the same
transaction as the write they summarize (`RecordService.linked_writes`). The summaries other contexts keep in a
contact's partition sort between `A#` and `E#`, each context under a prefix of its own (rapport.views.customer360
lists them: `A#ACC` the account, `B#DEAL#`, `B#LTV` deals, `C#APPT#` appointments, `C#CASE#` cases, `D#TASK#`
tasks); a case's partition holds its messages there (`B#MSG#`, rapport.cases.store); then:

| sk                                  | what                                                          |
|-------------------------------------|---------------------------------------------------------------|
| E#<inverted time + id>              | a timeline entry, newest first (contact, account, deal, lead, |
|                                     | case)                                                         |
| F#ART#<article id>                  | an article linked to the contact's cases (rapport.kb.store)   |
| G#SEG#<segment id>                  | a segment the contact is in (rapport.segments.store)          |
| H#...                               | a record's history (a deal's stage transitions; a contact's   |
|                                     | consent ledger `H#CONSENT#<ULID>`, rapport.consent.store)     |
| S#<FIELD>#<value>                   | a search entry (below)                                        |

A timeline entry (rapport.timeline) is a summary of kind `entry` whose data says which (`kind`: activity,
notification, lead_submission, stage_change, case); its key is `entry_sk(occurred_at, id)`: a ULID time (the id's own
while it was made in the second of `occurred_at`, else `occurred_at`'s) and the rest of the entry's ULID,
inverted, so `E#` runs newest first by when things happened. An activity's id is a ULID of when it happened, so
an activity as logged sorts at `E#<its inverted id>` (the key entries had before they had kinds: those of kind
`ACT` and `interaction` are still read); one whose `occurred_at` was corrected keeps its id and moves to the key
of its new time. An entry sits in the partition of each record it concerns and, for a contact or a deal of an
account, in the account's (an account's timeline rolls up).

| index | serves                                  | pk                           | sk                 |
|-------|-----------------------------------------|------------------------------|--------------------|
| gsi1  | list of a kind by name                  | T#<t>#<KIND> (or #DELETED)   | <name key>␟<id>    |
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
next write (`python -m tools.reindex` rewrites a table's records in place). The entries of each kind are in its
store's docstring; the words of a name are shared:

| entry (sk in the record's partition) | index | pk                            | sk                             |
|--------------------------------------|-------|-------------------------------|--------------------------------|
| S#WORD#<word>: a word of the name    | gsi1  | T#<t>#<ACC, CON, LEAD>#WORD   | <word>␟<name key>␟<id>         |
|                                      |       |                               | (a lead: <word>␟<score sk>)    |

Words are `rapport.normalize.search_words`: case- and accent-insensitive runs of letters and digits of the names
(each store says which), and each word written with punctuation also without it (`O'Neil` is `o`, `neil`,
`oneil`), at most 16. A search Queries the word partition with the prefix of its longest word; its other words
narrow the page as a filter on the entry's `words` (` w1 w2 ...`), which is why a page may hold fewer than
`limit` and still have a cursor; a record two of whose words match shows once per page. The name key in entry
sort keys is `normalize.name_key` (the name cut to 100 characters). A write whose entries and guards exceed one
transaction (100 items: e.g. all 50 tags replaced at once) is refused with a 422, and writes nothing.

Erasures. A record erased for good leaves `T#<t>#ERASED#<KIND>#<id>` in the idempotency table (who, when; a
week's TTL), put in the erase's own transaction: the publisher reads it to say who erased the record and when.

Settings documents (rapport.settings): one setting item each per tenant (`SettingItem`: data, version, stamps,
and its kind, which names its events), read and replaced whole, in no index: `T#<t>#SETTINGS` / `<KIND>`
(`CURRENCY_RATES`, `ASSIGNMENT_RULES`, `REMINDERS`, `NOTIFICATIONS`, `TENANT`,
`SERVICE_SETTINGS`). A document that was a record before
it was a settings document stays where the record was: the lead scoring rules at `T#<t>#SCORING#rules` / `A#META`
(a tenant's saved rules may still be that record until their next save replaces it with a setting item, the
version going on). A kind with a document per key (a notification template per name and channel) keeps each where
a record of that id would be, listed on gsi1 `T#<t>#<KIND>` by key (the templates were records before). Each save also
puts a version item (`SettingVersionItem`: who, when, what changed) in the document's history partition
`T#<t>#SETTINGS#<KIND>#HISTORY[#<key>]` at `V#<version, 12 digits>`, in the save's transaction: the history is one
Query, newest first. The settings partition also holds what a context keeps per tenant beside its documents (a
team's or a service queue's round-robin turn, rapport.assignment.store; the custom fields' usage counts,
rapport.custom_fields.store, whose unique values' guards are `UNIQ#CUSTOM#<family>#<key>#<value>`).

Field history (rapport.field_history): every change of a record, kept by a worker from its domain events in a
partition of its own, `T#<t>#HISTORY#<KIND>#<id>` / `V#<version, 12 digits>` (`FieldChangesItem`: who, when, what
it was and became, each field by JSON pointer), so a record's history is one Query, newest first, and erasing it
is deleting that partition. A tenant's retention sets `expires_at` (the table's TTL attribute) on each.

Tables of their own (not this one, so that every key here starts with the tenant and `dynamodb:LeadingKeys` keeps
fencing tenants): the web form keys (rapport.web_forms.store: a public request carries only its API key id) and
the tenant registry (rapport.followups.store: "every tenant" cannot be a partition here) and the tenant slugs
(rapport.tenants.store: a slug is unique across tenants, and a public request names only the slug).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any, NamedTuple

from ulid import ULID

from rapport.contexts import Kind

META_SK = "A#META"
GUARD_SK = "#"
# Name keys hold no control characters, so the unit separator ends a name before anything that could
# extend it ("acme" < "acme labs"), and the record separator marks the parent before every name.
NAME_END = "\x1f"
PARENT_SK = "\x1e"
_CROCKFORD = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"
_ULID_TIME = 10  # a ULID's first ten digits are its milliseconds
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_INVERTED = str.maketrans(_CROCKFORD, _CROCKFORD[::-1])
PARTITION_START = "A#"  # a record's own items (its summaries' start): what its reads need runs from here ...
INTERACTION_PREFIX = "E#"  # ... its timeline's entries, newest first ...
INTERACTIONS_END = "E#~"  # ... to after its last interaction
RANGE_END = "\x7f"  # sorts after every character of an id, a user id or a date
SEARCH_PREFIX = "S#"  # a record's search entries, after everything its reads take (A# ... E#, H#)
NAME_ORDER_LENGTH = 100
WORD = "WORD"  # the search entries of a name's words


def tenant_prefix(tenant_id: str) -> str:
    return f"T#{tenant_id}#"


def record_pk(tenant_id: str, kind: Kind, record_id: str) -> str:
    return f"{tenant_prefix(tenant_id)}{kind.code}#{record_id}"


def guard_pk(tenant_id: str, unique_field: str, normalized_value: str) -> str:
    return f"{tenant_prefix(tenant_id)}UNIQ#{unique_field}#{normalized_value}"


def list_pk(tenant_id: str, kind: Kind, *, deleted: bool = False) -> str:
    return f"{tenant_prefix(tenant_id)}{kind.code}" + ("#DELETED" if deleted else "")


def name_sk(name_key: str, record_id: str) -> str:
    return f"{name_key}{NAME_END}{record_id}"


def ranked_pk(tenant_id: str, kind: Kind, order: str, *within: str) -> str:
    """The customers of `kind` (contacts or accounts) in `order` (rapport.orders.store), `within` a group (a tier)."""
    return f"{list_pk(tenant_id, kind)}#{order}" + "".join(f"#{part}" for part in within)


def children_pk(tenant_id: str, parent_kind: Kind, parent_id: str, child_kind: Kind) -> str:
    return f"{record_pk(tenant_id, parent_kind, parent_id)}#{child_kind.code}"


def owner_pk(tenant_id: str, kind: Kind, owner_id: str) -> str:
    """The records of `kind` one staff user owns."""
    return f"{tenant_prefix(tenant_id)}{kind.code}#OWNER#{owner_id}"


def entries_from(moment: datetime) -> str:
    """The first key of the timeline entries at or before `moment` (to the millisecond): they sort newest first."""
    return f"{INTERACTION_PREFIX}{str(ULID.from_datetime(moment))[:_ULID_TIME].translate(_INVERTED)}"


def entries_until(moment: datetime) -> str:
    """The last key of the timeline entries at or after `moment` (to the millisecond)."""
    return f"{entries_from(moment)}{RANGE_END}"


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


def ids_made_between(start: datetime, end: datetime) -> tuple[str, str]:
    """The first and the last ULID an id made from `start` until before `end` can be (a range of sort keys)."""
    first = str(ULID.from_timestamp(_milliseconds(start)))[:_ULID_TIME]
    last = str(ULID.from_timestamp(_milliseconds(end) - 1))[:_ULID_TIME]  # an int: milliseconds
    return first + "0" * 16, last + "Z" * 16


def _milliseconds(at: datetime) -> int:
    return (at - _EPOCH) // timedelta(milliseconds=1)


def timed_sk(at: str, record_id: str) -> str:
    """A record at a time (canonical UTC to the second): sorts by time, then id."""
    return f"{at}#{record_id}"


def key_prefix(*parts: str) -> str:
    """The sort key prefix that selects `parts` (leading components of a sort key), whole."""
    return "".join(f"{part}{NAME_END}" for part in parts)


def through(last: str) -> str:
    """The upper bound of a range whose last sort key component starts with `last` (e.g. a date)."""
    return f"{last}{NAME_END}{RANGE_END}"


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


def settings_history_pk(tenant_id: str, kind: Kind, key: str | None = None) -> str:
    """A settings document's history: one partition per document, its saves sorted by version."""
    return f"{settings_pk(tenant_id)}#{kind.code}#HISTORY" + (f"#{key}" if key is not None else "")


def settings_version_sk(version: int) -> str:
    return f"V#{version:012d}"


def history_pk(tenant_id: str, kind: Kind, record_id: str) -> str:
    """A record's field history: one partition per record, its changes sorted by the version each made."""
    return f"{tenant_prefix(tenant_id)}HISTORY#{kind.code}#{record_id}"


def history_sk(version: int) -> str:
    return f"V#{version:012d}"


def idempotency_pk(tenant_id: str, user_id: str, key: str) -> str:
    return f"{tenant_prefix(tenant_id)}IDEM#{user_id}#{key}"


def erasure_pk(tenant_id: str, kind: Kind, record_id: str) -> str:
    """Who erased the record and when: in the idempotency table, for the publisher (see `ErasureItem`)."""
    return f"{tenant_prefix(tenant_id)}ERASED#{kind.code}#{record_id}"


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


class IndexKeys(NamedTuple):
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


def search_entry_sk(field: str, value: str = "") -> str:
    return f"{SEARCH_PREFIX}{field}#{value}" if value else f"{SEARCH_PREFIX}{field}"


def word_pk(tenant_id: str, kind: Kind) -> str:
    """A kind's name words: one partition per tenant and kind, sorted by word (a prefix Query finds a word)."""
    return f"{tenant_prefix(tenant_id)}{kind.code}#{WORD}"


def word_sk(word: str, then: str) -> str:
    """A word, then what orders the records that have it (`<name key>␟<id>`, or a lead's score)."""
    return f"{word}{NAME_END}{then}"


def word_entries(tenant_id: str, kind: Kind, words: Sequence[str], then: str) -> tuple[SearchEntry, ...]:
    """A live record's name words on gsi1, each entry with all the words (to narrow multi-word searches)."""
    joined = "".join(f" {word}" for word in words)
    pk = word_pk(tenant_id, kind)
    return tuple(SearchEntry(search_entry_sk(WORD, word), "gsi1", pk, word_sk(word, then), joined) for word in words)


def value_pk(tenant_id: str, kind: Kind, field: str, value: str) -> str:
    """The partition of the records of `kind` that hold `value` in `field` (an email, a phone, a tag, a domain)."""
    return f"{tenant_prefix(tenant_id)}{kind.code}#{field}#{value}"


def value_entry(tenant_id: str, kind: Kind, field: str, value: str, index: str, index_sk: str) -> SearchEntry:
    return SearchEntry(search_entry_sk(field, value), index, value_pk(tenant_id, kind, field, value), index_sk)


def name_order(name_key: str, record_id: str) -> str:
    """`<name key>␟<id>` with the name cut to NAME_ORDER_LENGTH: an entry's sort key stays far below DynamoDB's
    1024 bytes whatever the name (the order of names that long is by their start)."""
    return name_sk(name_key[:NAME_ORDER_LENGTH], record_id)
