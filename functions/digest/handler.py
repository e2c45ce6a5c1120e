"""Daily digest: an EventBridge schedule; one notification request per rep with rotting deals and overdue tasks."""

from datetime import datetime
from typing import Any

from aws_lambda_powertools import Logger
from aws_lambda_powertools.utilities.typing import LambdaContext

from rapport.followups import digest

logger = Logger()


@logger.inject_lambda_context
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, int]:
    sent = digest.run(datetime.fromisoformat(event["time"]))
    logger.info("daily digest", extra={"at": event["time"], "sent": sent})
    return {"sent": sent}
