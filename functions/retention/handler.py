"""Customer retention: the task states of the retention state machine, one action each (rapport.orders.retention)."""

from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

from aws_lambda_powertools import Logger
from aws_lambda_powertools.utilities.typing import LambdaContext

from rapport.dal import tenancy
from rapport.notifications.requests import request_notification
from rapport.orders import retention

logger = Logger()


def _start(event: dict[str, Any]) -> dict[str, Any]:
    return retention.start(
        event["tenant_id"], event["customer_id"], event["since"], event["execution"], datetime.now(UTC)
    )


def _offer(event: dict[str, Any]) -> dict[str, Any]:
    return retention.offer(event["tenant_id"], event["customer_id"], event["since"], request_notification)


def _conclude(event: dict[str, Any]) -> dict[str, Any]:
    return retention.conclude(
        event["tenant_id"], event["customer_id"], event["since"], datetime.now(UTC), request_notification
    )


ACTIONS: dict[str, Callable[[dict[str, Any]], dict[str, Any]]] = {
    "start": _start,
    "offer": _offer,
    "conclude": _conclude,
}


@logger.inject_lambda_context
@tenancy.fenced()
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    action, tenant_id, customer_id = event["action"], event["tenant_id"], event["customer_id"]
    with tenancy.tenant_scope(tenant_id):
        result = ACTIONS[action](event)
    logger.info("step", extra={"action": action, "customer_id": customer_id, **result})
    return result
