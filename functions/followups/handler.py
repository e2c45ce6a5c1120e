"""Follow-ups: domain events in; registers the tenant for the scheduled jobs, and on `deal.stage_changed`
creates the stage's follow-up task (once per event, however often it is delivered)."""

from typing import Any

from aws_lambda_powertools import Logger
from aws_lambda_powertools.utilities.typing import LambdaContext

from rapport.dal import tenancy
from rapport.events.models import DomainEvent
from rapport.followups import stage, store

logger = Logger()
STAGE_CHANGED = "deal.stage_changed"


@logger.inject_lambda_context
@tenancy.fenced()
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    detail = DomainEvent.model_validate(event["detail"])
    store.register_tenant(detail.tenant_id, detail.occurred_at)
    with tenancy.tenant_scope(detail.tenant_id):
        task_id = stage.follow_up(detail) if detail.detail_type == STAGE_CHANGED else None
    logger.info("follow-up", extra={"event_id": detail.event_id, "type": detail.detail_type, "task_id": task_id})
    return {"task_id": task_id}
