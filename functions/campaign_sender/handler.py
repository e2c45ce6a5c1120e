"""Campaign sender: the campaign send state machine's task, one batch of a run (rapport.campaigns.sending)."""

from typing import Any

from aws_lambda_powertools import Logger
from aws_lambda_powertools.utilities.typing import LambdaContext

from rapport import config
from rapport.campaigns.sending import SEND_SHARE, Pacer, Position, Sender, send_batch
from rapport.dal import tenancy
from rapport.notifications.transport import AwsTransport, SmsType, max_send_rate

logger = Logger()


@logger.inject_lambda_context
@tenancy.fenced()
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    tenant_id, campaign_id, run = event["tenant_id"], event["campaign_id"], int(event["run"])
    logger.append_keys(tenant_id=tenant_id, campaign_id=campaign_id, run=run)
    with tenancy.tenant_scope(tenant_id):
        sender = Sender(
            transport=AwsTransport(SmsType.PROMOTIONAL),
            pace=lambda channel: Pacer(max_send_rate(channel) * SEND_SHARE),
            time_left=lambda: context.get_remaining_time_in_millis() / 1000,
            app_url=config.current().require("app_url"),
        )
        batch = send_batch(tenant_id, campaign_id, run, Position.of(event.get("position")), sender)
    logger.info("batch", extra={"done": batch.done, "counts": batch.counts, "stopped": batch.stopped})
    return batch.as_dict()
