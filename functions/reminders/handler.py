"""Reminder sweep: an EventBridge schedule every 5 minutes; puts a notification request per reminder due."""

from datetime import datetime
from typing import Any

from aws_lambda_powertools import Logger
from aws_lambda_powertools.utilities.typing import LambdaContext

from rapport.followups import reminders

logger = Logger()


@logger.inject_lambda_context
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, int]:
    now = datetime.fromisoformat(event["time"])  # the schedule's time: a replay or a late run sees its own
    report = reminders.sweep(now)
    logger.info("reminder sweep", extra={"at": event["time"], **vars(report)})
    return vars(report)
