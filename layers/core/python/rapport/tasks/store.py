"""The tasks' key layout and access patterns (rapport.dal.keys has the shared layout and says why this is here).

| index | serves                                      | pk                                  | sk                   |
|-------|---------------------------------------------|-------------------------------------|----------------------|
| gsi2  | one assignee's tasks in one status, by due  | T#<t>#TASK#ASSIGNEE#<user>#<status> | <due at or ~>#<id>   |
|       | time (trashed tasks leave it)               |                                     |                      |
| gsi1  | open tasks' pending reminders, by time      | T#<t>#TASK#REMIND                   | <reminder at>#<id>   |
| gsi3  | open tasks with a due time, by due time     | T#<t>#TASK#DUE                      | <due at>#<id>        |
| gsi4  | the tenant's live tasks, by id              | T#<t>#TASK                          | <id>                 |

gsi1 and gsi3 are what the unattended jobs read (rapport.followups: the reminder sweep, the daily digest's overdue
tasks): a task that is done, cancelled or trashed leaves them, and changing `reminder_at` moves it, in the task's
own write. gsi4 is what the analytics export walks (rapport.analytics.datasets): a trashed task leaves it, and a
task written before it existed joins it at its next write. An open task with a contact has a summary
`D#TASK#<due at or ~>#<id>` (kind `TASK`) in the contact's partition, for its 360 view.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from rapport.contacts.manifest import CONTACT
from rapport.dal import keys, repository
from rapport.dal.access import IndexQuery
from rapport.dal.keys import IndexKeys
from rapport.dal.models import SummaryItem
from rapport.tasks.manifest import TASK

NO_DUE_DATE = "~"  # sorts after every timestamp: tasks without a due date come last
SUMMARY_PREFIX = "D#TASK#"


def _assignee_pk(tenant_id: str, user_id: str, status: str) -> str:
    return f"{keys.tenant_prefix(tenant_id)}{TASK.code}#ASSIGNEE#{user_id}#{status}"


def _reminders_pk(tenant_id: str) -> str:
    return f"{keys.tenant_prefix(tenant_id)}{TASK.code}#REMIND"


def _due_pk(tenant_id: str) -> str:
    return f"{keys.tenant_prefix(tenant_id)}{TASK.code}#DUE"


def index_keys(
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
    gsi4: every live task of the tenant.
    """
    if deleted or not assignee_id:
        return IndexKeys()
    reminding = open_ and reminder_at is not None
    dated = open_ and due_at is not None
    return IndexKeys(
        gsi1pk=_reminders_pk(tenant_id) if reminding else None,
        gsi1sk=keys.timed_sk(reminder_at, task_id) if reminding and reminder_at else None,
        gsi2pk=_assignee_pk(tenant_id, assignee_id, status),
        gsi2sk=f"{due_at or NO_DUE_DATE}#{task_id}",
        gsi3pk=_due_pk(tenant_id) if dated else None,
        gsi3sk=keys.timed_sk(due_at, task_id) if dated and due_at else None,
        gsi4pk=keys.list_pk(tenant_id, TASK),
        gsi4sk=task_id,
    )


def of_assignee(tenant_id: str, user_id: str, status: str, due_after: str | None, due_before: str | None) -> IndexQuery:
    """One assignee's tasks in one status by due time (undated last), due from `due_after` to `due_before`."""
    return IndexQuery("gsi2", _assignee_pk(tenant_id, user_id, status), start=due_after, end=due_before)


def reminders_between(tenant_id: str, start: str, end: str) -> IndexQuery:
    """Open tasks whose reminder is due from `start` to `end` (canonical UTC, inclusive)."""
    return IndexQuery("gsi1", _reminders_pk(tenant_id), start=keys.timed_sk(start, ""), end=_through(end))


def due_before(tenant_id: str, end: str) -> IndexQuery:
    """Open tasks due at or before `end`."""
    return IndexQuery("gsi3", _due_pk(tenant_id), end=_through(end))


def of_tenant(tenant_id: str) -> IndexQuery:
    """The tenant's live tasks, by id."""
    return IndexQuery("gsi4", keys.list_pk(tenant_id, TASK))


def _through(at: str) -> str:
    return keys.timed_sk(at, keys.RANGE_END)


def summary(tenant_id: str, contact_id: str, due_at: str | None, task_id: str, data: Mapping[str, Any]) -> SummaryItem:
    """An open task as its contact's 360 view shows it, in the contact's partition."""
    partition = keys.record_pk(tenant_id, CONTACT, contact_id)
    return repository.summary_item(tenant_id, partition, summary_sk(due_at, task_id), TASK, task_id, data)


def summary_sk(due_at: str | None, task_id: str) -> str:
    return f"{SUMMARY_PREFIX}{due_at or NO_DUE_DATE}#{task_id}"
