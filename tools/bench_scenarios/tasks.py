"""The tasks' scenario for `make bench` (tools.bench_scenarios): tasks on a contact of the bench's account."""

from __future__ import annotations

from tools.bench_scenarios import Operation
from tools.lambda_api import call, create


def operations(account_id: str) -> list[Operation]:
    contact = create("createContact", last_name="Tasks", account_id=account_id)["id"]
    task = create("createTask", title="Follow up", due_at="2026-11-27T17:00:00Z", contact_id=contact)
    moved = {"due_at": "2026-11-28T09:00:00Z"}
    return [
        ("POST /tasks (contact)", lambda: create("createTask", title="Call back", contact_id=contact)),
        (
            "PATCH /tasks/{id} (due moves)",
            lambda: call("updateTask", record_id=task["id"], headers={"If-Match": '"1"'}, body=moved),
        ),
        (
            "GET /tasks?assignee_id=me&status=open",
            lambda: call("listTasks", query={"due_before": "2026-12-01T00:00:00Z"}),
        ),
    ]
