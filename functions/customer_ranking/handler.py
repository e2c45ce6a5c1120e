"""Customer ranking: an EventBridge schedule, daily; each registered tenant's customers ranked by value, in tiers,
and their churn assessed against the schedule's time."""

from datetime import datetime
from typing import Any

from aws_lambda_powertools import Logger
from aws_lambda_powertools.utilities.typing import LambdaContext

from rapport.followups.store import tenants
from rapport.orders.reports import rank_tenant

logger = Logger()


@logger.inject_lambda_context
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, int]:
    now = datetime.fromisoformat(event["time"])  # the schedule's time: a replay or a late run sees its own
    customers = written = 0
    for tenant_id in tenants():
        ranked = rank_tenant(tenant_id, now)
        customers, written = customers + ranked.customers, written + ranked.written
    logger.info("customer ranking", extra={"at": event["time"], "customers": customers, "written": written})
    return {"customers": customers, "written": written}
