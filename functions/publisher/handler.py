"""Outbox publisher: the table's stream in, one domain event per committed change out, on the Rapport bus."""

from typing import Any

from aws_lambda_powertools import Logger
from aws_lambda_powertools.utilities.typing import LambdaContext

from rapport import aws, config
from rapport.contexts import Kind
from rapport.events.models import Erasure
from rapport.events.outbox import publish

logger = Logger()


def _put_events(entries: list[dict[str, Any]]) -> Any:
    return aws.client("events").put_events(Entries=entries)


def _erasure(tenant_id: str, kind: Kind, record_id: str) -> Erasure | None:
    from rapport.dal.repository import erasure  # PynamoDB, imported once a batch holds an erase

    return erasure(tenant_id, kind, record_id)


@logger.inject_lambda_context
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    retry = publish(event["Records"], config.current().require("event_bus_name"), _put_events, _erasure)
    if retry:
        logger.warning("events not accepted by the bus; the stream will redeliver", extra={"from": retry[0]})
    return {"batchItemFailures": [{"itemIdentifier": sequence} for sequence in retry]}
