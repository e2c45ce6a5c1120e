"""Campaign attribution: each won deal and each placed order credited to the campaigns whose messages its contacts
got before it, each reply to the latest campaign message before it, each lead to its campaign
(rapport.campaigns.attribution), once however often the bus delivers its event."""

from typing import Any

from aws_lambda_powertools import Logger
from aws_lambda_powertools.utilities.typing import LambdaContext

from rapport.campaigns import attribution
from rapport.dal import tenancy
from rapport.events.models import DomainEvent

logger = Logger()


@logger.inject_lambda_context
@tenancy.fenced()
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    detail = DomainEvent.model_validate(event["detail"])
    with tenancy.tenant_scope(detail.tenant_id):
        credited = attribution.on_event(detail)
    logger.info("attribution", extra={"event_id": detail.event_id, "type": detail.detail_type, "credited": credited})
    return {"credited": credited}
