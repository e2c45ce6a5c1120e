"""The one module that knows the key layout of the single table and its indexes.

Every partition key, base table and GSI alike, starts with `T#<tenant>#` so that IAM `dynamodb:LeadingKeys`
can fence a tenant.

| item                 | pk                              | sk       |
|----------------------|---------------------------------|----------|
| record (account ...) | T#<t>#<KIND>#<id>               | A#META   |
| unique guard         | T#<t>#UNIQ#<FIELD>#<normalized> | #        |
| a record's summaries | T#<t>#<KIND>#<id>               | see below |
| busy slot (guard)    | T#<t>#UNIQ#BUSY#<user>#<slot>   | #        |
| calendar entry       | T#<t>#CAL#<user>                | <starts at>#<appointment id> |

A busy slot is a unique guard owned by an appointment: a staff user's 15-minute slot (`2026-11-23T09:15Z`) that
the appointment holds while it is not cancelled, taken in the booking's transaction, so two overlapping
bookings of one user cannot both commit. A calendar entry is a copy of an appointment in each attendee's
calendar partition (the appointment list is one Query by time on it).

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
| E#<inverted activity ulid>          | an interaction, newest first (contact, account, deal, lead) |

An activity's ULID is made from when it happened, so `E#` runs newest first by `occurred_at`.

| index | serves                                  | pk                           | sk                 |
|-------|-----------------------------------------|------------------------------|--------------------|
| gsi1  | list and name-prefix search of a kind   | T#<t>#<KIND> (or #DELETED)   | <name key>␟<id>    |
| gsi2  | exact lookup: account domain, email     | T#<t>#<KIND>#<FIELD>#<value> | <id>               |
| gsi2  | tasks of one assignee in one status,    | T#<t>#TASK#ASSIGNEE#<user>#<status> | <due at or ~>#<id> |
|       | by due time (trashed tasks leave it)    |                              |                    |
| gsi3  | exact lookup: contact phone             | T#<t>#<KIND>#<FIELD>#<value> | <id>               |
| gsi4  | a parent and its children               | T#<t>#<PARENT>#<id>#<KIND>   | ␞ (the parent),    |
|       | (an account, then its contacts)         |                              | <name key>␟<id>    |

The parent sits first in its children's gsi4 partition, so "this account's contacts, or 404" is one Query.

Sales (pipelines, deals, forecast, performance). `␟` is NAME_END; `<close>` a deal's close date (YYYY-MM-DD).

| item                          | pk                          | sk                      |
|-------------------------------|-----------------------------|-------------------------|
| pipeline, deal                | T#<t>#PIPE#<id>, T#<t>#DEAL#<id> | A#META             |
| a deal's stage history        | T#<t>#DEAL#<id>             | H#<at> (oldest first)   |
| per-user per-month stats      | T#<t>#STATS#<yyyy-mm>       | U#<user>                |
| the tenant's currency rates   | T#<t>#SETTINGS              | CURRENCY_RATES          |

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

Notifications. A tenant's saved template is a record `T#<t>#NTPL#<name>.<channel>` / `A#META`, listed on gsi1
`T#<t>#NTPL` by id (the defaults apply to a name and channel until one is saved). A sent-marker lives in the
idempotency table, not here: `T#<t>#NOTIFY#<channel>#<dedupe key>` (TTL), put in one transaction with the
interaction it records (rapport.notifications.notifier says why).

Per-tenant settings are records too: the scoring rules are `T#<t>#SCORING#rules` / `A#META`. Web forms are
records `T#<t>#WEBFORM#<id>`, listed on gsi1 `T#<t>#WEBFORM` by name.

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
| the tenant's assignment rules          | T#<t>#SETTINGS         | ASSIGNMENT_RULES        |
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
own write. The tenant's appointment reminder offsets are `T#<t>#SETTINGS` / `REMINDERS`, and the time zone and
locale its customers' messages are written in `T#<t>#SETTINGS` / `NOTIFICATIONS`. "Already sent" markers
of reminders and digests live in the idempotency table (`T#<t>#SENT#<what>`, with its TTL), not here: they are
not business changes and must not flow through the stream.

The jobs run for every tenant, and "every tenant" cannot be a partition of this table (each key starts with
one tenant): the tenant registry is a small table of its own (`TENANTS_PK` / tenant id), one partition that a
Query reads whole, written by the follow-ups worker when it sees a tenant's task, appointment or pipeline
created (an idempotent put). No API function reads or writes it.
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
    LEAD = "LEAD"
    PIPELINE = "PIPE"
    DEAL = "DEAL"
    ACTIVITY = "ACT"
    TASK = "TASK"
    APPOINTMENT = "APPT"
    WEB_FORM = "WEBFORM"
    SCORING_RULES = "SCORING"
    USER = "USER"
    NOTIFICATION_TEMPLATE = "NTPL"

    @property
    def label(self) -> str:
        return _LABELS[self]


_LABELS = {
    Kind.ACCOUNT: "account",
    Kind.CONTACT: "contact",
    Kind.LEAD: "lead",
    Kind.PIPELINE: "pipeline",
    Kind.DEAL: "deal",
    Kind.ACTIVITY: "activity",
    Kind.TASK: "task",
    Kind.APPOINTMENT: "appointment",
    Kind.USER: "user",
    Kind.NOTIFICATION_TEMPLATE: "notification template",
    Kind.WEB_FORM: "web form",
    Kind.SCORING_RULES: "scoring rules",
}
_CROCKFORD = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"
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
CURRENCY_RATES_SK = "CURRENCY_RATES"
REMINDER_SETTINGS_SK = "REMINDERS"  # the tenant's appointment reminder offsets, in the settings partition
NOTIFICATION_SETTINGS_SK = "NOTIFICATIONS"  # the tenant's time zone and locale for customers' messages
TENANTS_PK = "TENANTS"  # the tenant registry's one partition (a table of its own, see below)
RANGE_END = "\x7f"  # sorts after every character of an id, a user id or a date
MAX_SCORE = 100
SCORING_RULES_ID = "rules"  # the tenant's one scoring rules record
ASSIGNMENT_RULES_SK = "ASSIGNMENT_RULES"
LOAD_SK = "B#LOAD"
ASSIGNED_DAY_PREFIX = "B#DAY#"
ROUND_ROBIN_PREFIX = "RR#"


class UniqueField(StrEnum):
    EMAIL = "EMAIL"
    PHONE = "PHONE"
    DOMAIN = "DOMAIN"
    BUSY = "BUSY"  # a staff user's time slot, held by an appointment
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


def interaction_sk(activity_id: str) -> str:
    """Newest first: the activity's ULID with every digit inverted sorts in reverse time order."""
    return f"{INTERACTION_PREFIX}{activity_id.upper().translate(_INVERTED)}"


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


def deal_owner_pk(tenant_id: str, owner_id: str) -> str:
    return f"{tenant_prefix(tenant_id)}{Kind.DEAL}#OWNER#{owner_id}"


def deal_pipeline_pk(tenant_id: str, pipeline_id: str) -> str:
    return f"{tenant_prefix(tenant_id)}{Kind.DEAL}#{Kind.PIPELINE}#{pipeline_id}"


def deal_status_pk(tenant_id: str, status: str) -> str:
    return f"{tenant_prefix(tenant_id)}{Kind.DEAL}#STATUS#{status}"


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
    deleted: bool,
) -> IndexKeys:
    gsi1pk = list_pk(tenant_id, Kind.DEAL, deleted=deleted)
    gsi1sk = key_prefix(close_date) + deal_id
    if deleted:
        return IndexKeys(gsi1pk=gsi1pk, gsi1sk=gsi1sk)
    return IndexKeys(
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
    return IndexKeys(gsi1pk=list_pk(tenant_id, Kind.PIPELINE), gsi1sk=name_sk(name_key, pipeline_id))


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
    return IndexKeys(gsi1pk=list_pk(tenant_id, Kind.NOTIFICATION_TEMPLATE), gsi1sk=template_id)


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
        gsi2pk=assignee_pk(tenant_id, Kind.TASK, assignee_id, status),
        gsi2sk=due_sk(due_at, task_id),
        gsi3pk=open_tasks_due_pk(tenant_id) if dated else None,
        gsi3sk=timed_sk(due_at, task_id) if dated and due_at else None,
    )


def task_reminders_pk(tenant_id: str) -> str:
    return f"{tenant_prefix(tenant_id)}{Kind.TASK}#REMIND"


def open_tasks_due_pk(tenant_id: str) -> str:
    return f"{tenant_prefix(tenant_id)}{Kind.TASK}#DUE"


def scheduled_appointments_pk(tenant_id: str) -> str:
    return f"{tenant_prefix(tenant_id)}{Kind.APPOINTMENT}#SCHEDULED"


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
    return f"{list_pk(tenant_id, Kind.LEAD)}#STATUS#{status}"


def lead_owner_pk(tenant_id: str, owner_id: str) -> str:
    return f"{list_pk(tenant_id, Kind.LEAD)}#OWNER#{owner_id}"


def lead_owner_status_pk(tenant_id: str, owner_id: str, status: str) -> str:
    return f"{lead_owner_pk(tenant_id, owner_id)}#STATUS#{status}"


def lead_index_keys(
    tenant_id: str, lead_id: str, score: int, status: str, owner_id: str | None, *, deleted: bool
) -> IndexKeys:
    sk = score_sk(score, lead_id)
    if deleted:
        return IndexKeys(gsi1pk=list_pk(tenant_id, Kind.LEAD, deleted=True), gsi1sk=sk)
    return IndexKeys(
        gsi1pk=list_pk(tenant_id, Kind.LEAD),
        gsi1sk=sk,
        gsi2pk=lead_status_pk(tenant_id, status),
        gsi2sk=sk,
        gsi3pk=lead_owner_pk(tenant_id, owner_id) if owner_id else None,
        gsi3sk=sk if owner_id else None,
        gsi4pk=lead_owner_status_pk(tenant_id, owner_id, status) if owner_id else None,
        gsi4sk=sk if owner_id else None,
    )


def web_form_index_keys(tenant_id: str, form_id: str, name_key: str) -> IndexKeys:
    return IndexKeys(gsi1pk=list_pk(tenant_id, Kind.WEB_FORM), gsi1sk=name_sk(name_key, form_id))


def web_form_key_pk(api_key_id: str) -> str:
    """The web form keys table's key: API Gateway's API key id, all a public request carries (see above)."""
    return api_key_id


def assigned_day_sk(day: str) -> str:
    """The count of leads a rep was assigned on `day` (YYYY-MM-DD in the rep's time zone)."""
    return f"{ASSIGNED_DAY_PREFIX}{day}"


def round_robin_sk(team: str) -> str:
    return f"{ROUND_ROBIN_PREFIX}{team}"


def user_team_pk(tenant_id: str, team: str) -> str:
    return f"{list_pk(tenant_id, Kind.USER)}#TEAM#{team}"


def user_index_keys(tenant_id: str, user_id: str, name_key: str, team: str | None, *, deleted: bool) -> IndexKeys:
    sk = name_sk(name_key, user_id)
    if deleted:
        return IndexKeys(gsi1pk=list_pk(tenant_id, Kind.USER, deleted=True), gsi1sk=sk)
    return IndexKeys(
        gsi1pk=list_pk(tenant_id, Kind.USER),
        gsi1sk=sk,
        gsi2pk=user_team_pk(tenant_id, team) if team else None,
        gsi2sk=sk if team else None,
    )
