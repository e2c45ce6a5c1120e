"""A deal that enters a stage gets the stage's follow-up task, if its pipeline's stage defines one.

Driven by `deal.stage_changed` events (an EventBridge rule → the followups worker). EventBridge delivers at
least once, so the task's id is derived from the event's id (a ULID: the event's time, then 80 bits of a hash
of the event id): a redelivery creates the same id, whose write fails its "new record" condition, and nothing
is created twice. The task goes to the deal's owner, due `due_in_days` after the deal entered the stage, linked
to the deal and its first contact.
"""

from __future__ import annotations

import hashlib
from datetime import datetime, timedelta
from typing import Any

from ulid import ULID

from rapport import normalize
from rapport.dal import repository
from rapport.deals.manifest import PIPELINE
from rapport.errors import InvalidInput, PreconditionFailed
from rapport.events.models import DomainEvent
from rapport.tasks.models import TaskCreate
from rapport.tasks.service import TaskService

ACTOR = "workflow:followups"


def follow_up_task_id(event_id: str, occurred_at: str) -> str:
    """The same event always names the same task: a ULID of the event's time and a hash of its id."""
    millis = int(datetime.fromisoformat(occurred_at).timestamp() * 1000)
    digest = hashlib.sha256(event_id.encode()).digest()
    return str(ULID.from_bytes(millis.to_bytes(6, "big") + digest[:10]))


class _FollowUpTasks(TaskService):
    """The task service creating a task under an id chosen beforehand."""

    def __init__(self, task_id: str) -> None:
        self._task_id = task_id

    def new_record_id(self, data: Any) -> str:
        return self._task_id


def stage_template(pipeline: dict[str, Any], stage_name: str) -> dict[str, Any] | None:
    """The follow-up task template of the pipeline's stage `stage_name` (stages are known by name key)."""
    wanted = normalize.name_key(stage_name)
    for stage in pipeline.get("stages", []):
        if normalize.name_key(stage["name"]) == wanted:
            template = stage.get("follow_up_task")
            return dict(template) if template else None
    return None


def follow_up(event: DomainEvent) -> str | None:
    """Create the follow-up task of the stage `event` (a `deal.stage_changed`) moved the deal into.

    Returns the task's id (also when an earlier delivery of the event created it), or None when the stage has
    no follow-up or the deal is gone.
    """
    deal = event.record
    pipeline = repository.get(event.tenant_id, PIPELINE, deal["pipeline_id"])
    template = stage_template(pipeline.data, deal["stage"]) if pipeline else None
    if template is None:
        return None
    task_id = follow_up_task_id(event.event_id, event.occurred_at)
    entered = datetime.fromisoformat(deal.get("stage_entered_at") or event.occurred_at)
    contact_ids = deal.get("contact_ids") or []
    payload = TaskCreate(
        title=template["title"],
        description=f"Follow-up: the deal {deal['name']} entered the stage {deal['stage']}.",
        assignee_id=deal["owner_id"],
        due_at=entered + timedelta(days=int(template["due_in_days"])),
        deal_id=event.entity_id,
        contact_id=contact_ids[0] if contact_ids else None,
    )
    service = _FollowUpTasks(task_id)
    try:
        service.create_as(event.tenant_id, ACTOR, payload)
    except PreconditionFailed:
        return task_id  # delivered before: the task exists
    except InvalidInput:
        if payload.contact_id is None:
            return None  # the deal is trashed or erased
        try:  # the contact is gone: link the deal only
            service.create_as(event.tenant_id, ACTOR, payload.model_copy(update={"contact_id": None}))
        except PreconditionFailed:
            return task_id
        except InvalidInput:
            return None
    return task_id
