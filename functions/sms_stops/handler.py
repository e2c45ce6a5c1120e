"""SMS STOP sweep: an EventBridge schedule; the numbers of SNS's opted-out list opt their contacts out of SMS in
every registered tenant (rapport.sms_stops)."""

from typing import Any

from aws_lambda_powertools import Logger
from aws_lambda_powertools.utilities.typing import LambdaContext

from rapport import aws, sms_stops
from rapport.followups import store

logger = Logger()


@logger.inject_lambda_context
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, int]:
    changed = sms_stops.sweep(sms_stops.opted_out(aws.client("sns")), store.tenants())
    logger.info("SMS STOP sweep", extra={"at": event.get("time"), "opted_out": changed})
    return {"opted_out": changed}
