"""Customer value: order events in; the value of each customer the order is (or was) of computed again from its
orders, against the time the event is handled."""

from datetime import UTC, datetime
from typing import Any

from aws_lambda_powertools import Logger
from aws_lambda_powertools.utilities.typing import LambdaContext

from rapport.dal import tenancy
from rapport.events.models import DomainEvent
from rapport.orders.service import orders
from rapport.orders.value import customers_of

logger = Logger()


@logger.inject_lambda_context
@tenancy.fenced()
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    detail = DomainEvent.model_validate(event["detail"])
    customers = customers_of(detail)
    with tenancy.tenant_scope(detail.tenant_id):
        refreshed = orders.refresh_value(detail.tenant_id, customers, now=datetime.now(UTC), as_of=detail.occurred_at)
    logger.info("customer value", extra={"event_id": detail.event_id, "customers": refreshed})
    return {"refreshed": refreshed}
