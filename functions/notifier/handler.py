"""Notifier: `notification.requested` events from the Rapport bus in, emails (SES) and texts (SNS) out.

A send failure raises: the asynchronous invocation fails, Lambda retries it, then it goes to the dead-letter
queue with the event whole. What was skipped, and why, is logged; a request that lacks a value its template
requires is logged as an error (whoever sent it must fix it) and recorded, never retried. Links in messages go
under the stage's app URL (`APP_URL`).
"""

from typing import Any

from aws_lambda_powertools import Logger
from aws_lambda_powertools.utilities.typing import LambdaContext
from pydantic import ValidationError

from rapport import config
from rapport.dal import tenancy
from rapport.notifications.notifier import NOT_SENT, notify
from rapport.notifications.requests import NotificationRequest
from rapport.notifications.transport import AwsTransport

logger = Logger()


@logger.inject_lambda_context
@tenancy.fenced()
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    try:
        request = NotificationRequest.model_validate(event.get("detail"))
    except ValidationError as error:
        # Retrying cannot make it valid: logged whole, for whoever sent it, and dropped.
        logger.error("not a notification request", extra={"event": event, "errors": error.errors()})
        return {"outcomes": [], "error": "invalid request"}
    logger.append_keys(tenant_id=request.tenant_id, dedupe_key=request.dedupe_key, template=request.template)
    with tenancy.tenant_scope(request.tenant_id):
        outcomes = notify(request, AwsTransport(), app_url=config.current().require("app_url"))
    for outcome in outcomes:
        level = {"sent": logger.info, NOT_SENT: logger.error}.get(outcome.status, logger.warning)
        level(
            f"notification {outcome.status}",
            extra={"channel": outcome.channel, "reason": outcome.reason, "message_id": outcome.message_id},
        )
    return {"outcomes": [outcome._asdict() for outcome in outcomes]}
