"""SES feedback: bounce and complaint events from the configuration set's SNS topic, applied to contacts."""

import json
from typing import Any

from aws_lambda_powertools import Logger
from aws_lambda_powertools.utilities.typing import LambdaContext

from rapport.dal import tenancy
from rapport.notifications.feedback import handle

logger = Logger()


@logger.inject_lambda_context
@tenancy.fenced()
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    outcomes = []
    for record in event.get("Records", []):
        try:
            message = json.loads(record["Sns"]["Message"])
        except (KeyError, TypeError, ValueError):
            logger.error("not an SES event notification", extra={"record": record})
            continue
        for outcome in handle(message):
            logger.info(f"feedback {outcome.action}", extra=outcome._asdict())
            outcomes.append(outcome._asdict())
    return {"outcomes": outcomes}
