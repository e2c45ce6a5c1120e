"""Webhook deliveries: the delivery state machine's task, one signed attempt of a delivery
(rapport.webhooks.delivery.Deliverer), answering what comes next: `retry` after `wait_seconds`, `delivered` or
`dead`."""

from typing import Any

from aws_lambda_powertools import Logger
from aws_lambda_powertools.utilities.typing import LambdaContext

from rapport.dal import tenancy
from rapport.notifications.requests import request_notification
from rapport.webhooks.addresses import resolve_by_dns
from rapport.webhooks.delivery import Deliverer
from rapport.webhooks.runs import DeliveryRun
from rapport.webhooks.service import WebhookService
from rapport.webhooks.transport import Urllib3Sender

logger = Logger()
deliverer = Deliverer(
    webhooks=WebhookService(resolve=resolve_by_dns),
    send=Urllib3Sender(),
    resolve=resolve_by_dns,
    request_notification=request_notification,
)


@logger.inject_lambda_context
@tenancy.fenced()
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    run = DeliveryRun(event["tenant_id"], event["webhook_id"], event["delivery_id"], int(event["run"]))
    logger.append_keys(tenant_id=run.tenant_id, webhook_id=run.webhook_id, delivery_id=run.delivery_id)
    with tenancy.tenant_scope(run.tenant_id):
        outcome = deliverer.attempt(run)
    logger.info("attempted", extra={"outcome": outcome.outcome, "wait_seconds": outcome.wait_seconds})
    return {"outcome": outcome.outcome.value, "wait_seconds": outcome.wait_seconds}
