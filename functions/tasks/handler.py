"""Tasks API: /tasks."""

from typing import Annotated

from aws_lambda_powertools.event_handler import Response
from aws_lambda_powertools.event_handler.openapi.params import Query

from rapport.api.http import PageOf, caller, create_app, entrypoint, page_response
from rapport.api.records import Cursor, Limit, register_record_routes, responses
from rapport.pagination import DEFAULT_LIMIT
from rapport.tasks.models import Task, TaskCreate, TaskPatch, TaskStatus
from rapport.tasks.service import ME, tasks

app = create_app()
register_record_routes(app, tasks, TaskCreate, TaskPatch, Task)


@app.get(
    "/tasks",
    tags=["tasks"],
    operation_id="listTasks",
    summary="One assignee's tasks in one status, by due time (undated last)",
    description="Filters offered: assignee_id (a staff user id, or `me`: the default), status (default open), "
    "due_before and due_after (ISO 8601 with a zone). Other filters are refused with a 400.",
    responses=responses(200, PageOf[Task]),
)
def list_tasks(
    assignee_id: Annotated[
        str, Query(min_length=1, max_length=128, pattern=r"^[A-Za-z0-9@._:+-]+$", description="A user id, or me")
    ] = ME,
    status: Annotated[TaskStatus, Query()] = TaskStatus.OPEN,
    due_before: Annotated[
        str | None, Query(min_length=1, max_length=40, description="Due strictly before (undated tasks excluded)")
    ] = None,
    due_after: Annotated[str | None, Query(min_length=1, max_length=40, description="Due at or after")] = None,
    limit: Limit = DEFAULT_LIMIT,
    cursor: Cursor = None,
) -> Response[PageOf[Task]]:
    page = tasks.search(
        caller(app),
        assignee_id=assignee_id,
        status=status,
        due_before=due_before,
        due_after=due_after,
        limit=limit,
        cursor=cursor,
    )
    return page_response(page)


lambda_handler = entrypoint(app)
