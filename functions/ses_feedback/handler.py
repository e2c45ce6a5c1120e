"""SES feedback: delivery, bounce and complaint events from the configuration set's SNS topic, applied to contacts
(rapport.notifications.feedback) and to the sends of the campaign an email was part of (rapport.campaigns.feedback)."""

import json
from typing import Any

from aws_lambda_powertools import Logger
from aws_lambda_powertools.utilities.typing import LambdaContext

from rapport.campaigns import feedback as campaign_feedback
from rapport.dal import tenancy
from rapport.notifications.feedback import handle

logger = Logger()


@logger.inject_lambda_context
@tenancy.fenced()
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    outcomes, campaigns = [], []
    for record in event.get("Records", []):
        try:
            message = json.loads(record["Sns"]["Message"])
        except (KeyError, TypeError, ValueError):
            logger.error("not an SES event notification", extra={"record": record})
            continue
        for outcome in handle(message):
            logger.info(f"feedback {outcome.action}", extra=outcome._asdict())
            outcomes.append(outcome._asdict())
        recorded = campaign_feedback.record(message)
        if recorded is not None:
            logger.info(f"campaign email {recorded.outcome}", extra=recorded._asdict())
            campaigns.append(recorded._asdict())
    return {"outcomes": outcomes, "campaigns": campaigns}
