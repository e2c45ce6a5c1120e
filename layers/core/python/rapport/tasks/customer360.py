"""A contact's open tasks in its 360 view, from the summaries the tasks keep in its partition (rapport.tasks.store:
by due time, undated last)."""

from __future__ import annotations

from pydantic import Field

from rapport.contexts import Seen, SummaryPart
from rapport.tasks import store
from rapport.tasks.manifest import TASK
from rapport.types import Instant, LazyModel


class TaskBrief(LazyModel):
    id: str
    title: str
    status: str
    priority: str
    due_at: Instant | None = None
    reminder_at: Instant | None = None
    assignee_id: str | None = None


def _open_tasks(seen: Seen) -> list[TaskBrief]:
    return [TaskBrief.model_validate({**summary.data, "id": summary.ref_id}) for summary in seen.summaries]


OPEN_TASKS = SummaryPart(
    field="open_tasks",
    annotation=list[TaskBrief],
    info=Field(description="By due time, undated last"),
    prefix=store.SUMMARY_PREFIX,
    kinds=(TASK.code,),
    read=_open_tasks,
)
