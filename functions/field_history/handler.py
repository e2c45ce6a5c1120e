"""Field history: each life-cycle event of a record kept in the record's history, or the history erased with the
record (rapport.field_history), however often and in whatever order the bus delivers them."""

from typing import Any

from aws_lambda_powertools import Logger
from aws_lambda_powertools.utilities.typing import LambdaContext

from rapport import field_history
from rapport.dal import tenancy
from rapport.events.models import DomainEvent
from rapport.tenants.service import TENANT_SETTINGS_DOCUMENT

logger = Logger()


@logger.inject_lambda_context
@tenancy.fenced()
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    detail = DomainEvent.model_validate(event["detail"])
    with tenancy.tenant_scope(detail.tenant_id):
        outcome = field_history.keep(
            detail, lambda: TENANT_SETTINGS_DOCUMENT.read(detail.tenant_id).content.history_retention_days
        )
    logger.info("history", extra={"event_id": detail.event_id, "type": detail.detail_type, "outcome": outcome})
    return {"outcome": outcome}
