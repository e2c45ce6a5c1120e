"""Analytics export: an EventBridge schedule, hourly; each registered tenant's datasets written as Parquet to the
analytics bucket, replacing the tenant's partitions (rapport.analytics)."""

from datetime import datetime
from typing import Any

from aws_lambda_powertools import Logger
from aws_lambda_powertools.utilities.typing import LambdaContext

from rapport import config
from rapport.analytics.bucket import S3Bucket
from rapport.analytics.export import export_tenant
from rapport.followups.store import tenants
from rapport.orders.settings import ANALYTICS_SETTINGS

logger = Logger()


@logger.inject_lambda_context
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, int]:
    now = datetime.fromisoformat(event["time"])  # the schedule's time: its day names the partitions
    bucket = S3Bucket(config.current().require("analytics_bucket"))
    exported = rows = 0
    for tenant_id in tenants():
        personal = ANALYTICS_SETTINGS.read(tenant_id).content.personal_fields
        done = export_tenant(tenant_id, now, personal, bucket)
        exported, rows = exported + 1, rows + sum(found.rows for found in done)
    logger.info("analytics export", extra={"at": event["time"], "tenants": exported, "rows": rows})
    return {"tenants": exported, "rows": rows}
