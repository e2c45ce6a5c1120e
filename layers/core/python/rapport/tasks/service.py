"""Tasks: records `T#<t>#TASK#<id>`, listed per assignee and status by due time (its store), and an
open task's summary `D#TASK#<due>#<id>` in its contact's partition (the 360 view), removed when the task is
done, cancelled or trashed and moved when its due time changes — in the task's own transaction. An open task
also sits in its tenant's pending reminders (by `reminder_at`) and open tasks by due time (its store), which the
reminder sweep and the daily digest read (rapport.followups).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from rapport import links, normalize
from rapport.auth import Caller
from rapport.dal.repository import Guard, IndexKeys, Parent, Record, TableItem, UnitOfWork
from rapport.errors import BadRequest
from rapport.pagination import Page
from rapport.records import RecordService, normalized_filter
from rapport.tasks import store
from rapport.tasks.manifest import TASK
from rapport.tasks.models import OPEN_STATUSES, Task, TaskCreate, TaskStatus
from rapport.users import teams

ME = "me"
SUMMARY_FIELDS = ("title", "status", "priority", "due_at", "reminder_at", "assignee_id")


class TaskService(RecordService[TaskCreate, Task]):
    kind = TASK
    resource = "tasks"
    label = "task"
    create_model = TaskCreate
    out_model = Task
    owner_fields = ("assignee_id",)
    ownership = teams.STAFF

    def create(self, caller: Caller, payload: TaskCreate) -> Task:
        if payload.assignee_id is None:
            payload = payload.model_copy(update={"assignee_id": caller.user_id})
        return super().create(caller, payload)

    def guards(self, data: Mapping[str, Any]) -> dict[Guard, str]:
        return {}

    def parents(self, data: Mapping[str, Any]) -> dict[Parent, str]:
        return links.linked(data)

    def index_keys(self, tenant_id: str, record_id: str, data: Mapping[str, Any], *, deleted: bool) -> IndexKeys:
        return store.index_keys(
            tenant_id,
            record_id,
            data.get("assignee_id"),
            data["status"],
            data.get("due_at"),
            deleted=deleted,
            reminder_at=data.get("reminder_at"),
            open_=data["status"] in OPEN_STATUSES,
        )

    def linked_writes(self, work: UnitOfWork, before: Record | None, after: Record | None) -> None:
        work.replace_items(self._summaries(before), self._summaries(after))

    @staticmethod
    def _summaries(task: Record | None) -> list[TableItem]:
        """The open task's summary in its contact's partition."""
        if task is None or task.deleted or task.data["status"] not in OPEN_STATUSES or not task.data.get("contact_id"):
            return []
        data = task.data
        summary = {field: data.get(field) for field in SUMMARY_FIELDS}
        return [store.summary(task.tenant_id, data["contact_id"], data.get("due_at"), task.id, summary)]

    def search(
        self,
        caller: Caller,
        *,
        assignee_id: str,
        status: TaskStatus,
        due_before: str | None,
        due_after: str | None,
        limit: int,
        cursor: str | None,
    ) -> Page[Task]:
        """One assignee's tasks in one status, by due time (undated last): ONE Query on gsi2."""
        assignee = caller.user_id if assignee_id == ME else assignee_id
        due_before = normalized_filter("due_before", normalize.instant, due_before)
        due_after = normalized_filter("due_after", normalize.instant, due_after)
        if due_before is not None and due_after is not None and due_after > due_before:
            raise BadRequest.of("due_after", "must not be after due_before")
        filters = {"assignee_id": assignee, "status": status, "due_before": due_before, "due_after": due_after}
        found = store.of_assignee(caller.tenant_id, assignee, status, due_after, due_before)
        return self.list(caller, found, limit=limit, cursor=cursor, bound_to=filters)


tasks = TaskService()
