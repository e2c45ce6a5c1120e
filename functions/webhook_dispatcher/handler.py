"""Webhook dispatcher: each domain event from the Rapport bus in, a delivery run per subscribed webhook out
(rapport.webhooks.delivery.dispatch)."""

from datetime import UTC, datetime
from typing import Any

from aws_lambda_powertools import Logger
from aws_lambda_powertools.utilities.typing import LambdaContext

from rapport.dal import tenancy
from rapport.webhooks.delivery import dispatch
from rapport.webhooks.runs import start_execution

logger = Logger()


@logger.inject_lambda_context
@tenancy.fenced()
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    detail = event["detail"]
    logger.append_keys(tenant_id=detail["tenant_id"], event_id=detail["event_id"], detail_type=detail["detail_type"])
    with tenancy.tenant_scope(detail["tenant_id"]):
        runs = dispatch(detail, start_execution, lambda: datetime.now(UTC))
    logger.info("queued", extra={"deliveries": [run.delivery_id for run in runs]})
    return {"deliveries": [run.delivery_id for run in runs]}
