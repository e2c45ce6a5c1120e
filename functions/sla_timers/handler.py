"""SLA timers: on each `case.*` event, the case's warning and breach schedules are put as it needs them now; when a
schedule fires it invokes this worker with its timer, which acts once if the case is still at the version it was
armed for (rapport.cases.schedules, rapport.cases.timers)."""

from datetime import UTC, datetime
from typing import Any

from aws_lambda_powertools import Logger
from aws_lambda_powertools.utilities.typing import LambdaContext

from rapport import config
from rapport.cases.schedules import EventBridgeScheduler, Scheduler, keep_armed, on_fired
from rapport.cases.service import CaseService
from rapport.cases.timers import Timer
from rapport.dal import tenancy
from rapport.events.models import DomainEvent

logger = Logger()


def _arm(scheduler: Scheduler, event: dict[str, Any], now: datetime) -> dict[str, Any]:
    detail = DomainEvent.model_validate(event["detail"])
    with tenancy.tenant_scope(detail.tenant_id):
        timers = keep_armed(scheduler, detail.tenant_id, detail.entity_id, now)
    return {"case_id": detail.entity_id, "armed": {timer.kind.value: timer.at.isoformat() for timer in timers}}


def _fire(scheduler: Scheduler, event: dict[str, Any], now: datetime) -> dict[str, Any]:
    timer = Timer.of(event)
    with tenancy.tenant_scope(timer.tenant_id):
        outcome = on_fired(CaseService(), scheduler, timer, now)
    return {"case_id": timer.case_id, "kind": timer.kind.value, "fired": outcome.fired.value}


@logger.inject_lambda_context
@tenancy.fenced()
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    """A bus event (`case.*`) arms the case; anything else is a timer a schedule fired (`Timer.payload()`)."""
    settings = config.current()
    scheduler = EventBridgeScheduler(
        settings.require("schedule_group"), context.invoked_function_arn, settings.require("scheduler_role_arn")
    )
    handle = _arm if "detail-type" in event else _fire
    result = handle(scheduler, event, datetime.now(UTC))
    logger.info("handled", extra=result)
    return result
