"""Sequence signals: contacts entering a segment enrolled in its sequences, and enrollments stamped or ended by
what their contacts did (rapport.campaigns.sequences.signals), once however often the bus delivers an event."""

from typing import Any

from aws_lambda_powertools import Logger
from aws_lambda_powertools.utilities.typing import LambdaContext

from rapport.campaigns.sequences import signals
from rapport.campaigns.sequences.runs import start_execution
from rapport.dal import tenancy
from rapport.events.models import DomainEvent

logger = Logger()


@logger.inject_lambda_context
@tenancy.fenced()
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    detail = DomainEvent.model_validate(event["detail"])
    with tenancy.tenant_scope(detail.tenant_id):
        done = signals.on_event(detail, start_execution)
    logger.info("signals", extra={"event_id": detail.event_id, "type": detail.detail_type, "done": done})
    return {"done": done}
