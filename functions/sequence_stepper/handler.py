"""Sequence stepper: the sequence state machine's task, an enrollment's next steps until it waits or ends
(rapport.campaigns.sequences.stepping)."""

from typing import Any

from aws_lambda_powertools import Logger
from aws_lambda_powertools.utilities.typing import LambdaContext

from rapport import config
from rapport.campaigns.sending import SEND_SHARE, Pacer, Sender
from rapport.campaigns.sequences.stepping import advance
from rapport.dal import tenancy
from rapport.notifications.transport import AwsTransport, SmsType, max_send_rate

logger = Logger()


@logger.inject_lambda_context
@tenancy.fenced()
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    tenant_id, sequence_id, contact_id = event["tenant_id"], event["sequence_id"], event["contact_id"]
    logger.append_keys(tenant_id=tenant_id, sequence_id=sequence_id, contact_id=contact_id)
    with tenancy.tenant_scope(tenant_id):
        sender = Sender(
            transport=AwsTransport(SmsType.PROMOTIONAL),
            pace=lambda channel: Pacer(max_send_rate(channel) * SEND_SHARE),
            time_left=lambda: context.get_remaining_time_in_millis() / 1000,
            app_url=config.current().require("app_url"),
        )
        step = advance(tenant_id, sequence_id, contact_id, sender)
    logger.info("stepped", extra=step.as_dict())
    return step.as_dict()
