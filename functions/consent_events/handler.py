"""Consent events: a contact whose email subscription waits for confirmation (double opt-in) — created so, or
`contact.consent_requested` — is sent the confirmation email through the notifier (a `notification.requested`
event; its dedupe key is the event's, so a redelivered event mails nothing twice)."""

from datetime import UTC, datetime
from typing import Any

from aws_lambda_powertools import Logger
from aws_lambda_powertools.utilities.typing import LambdaContext

from rapport import double_opt_in
from rapport.dal import tenancy
from rapport.events.models import DomainEvent
from rapport.notifications.requests import request_notification

logger = Logger()
HANDLED = (double_opt_in.CREATED, double_opt_in.REQUESTED)


@logger.inject_lambda_context
@tenancy.fenced()
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    detail = DomainEvent.model_validate(event["detail"])
    if detail.detail_type not in HANDLED:
        raise ValueError(f"unexpected event {detail.detail_type!r}; one of {', '.join(HANDLED)}")
    with tenancy.tenant_scope(detail.tenant_id):
        request = double_opt_in.request_of(detail, datetime.now(UTC))
        if request is not None:
            request_notification(request)
    logger.info("handled", extra={"event_id": detail.event_id, "type": detail.detail_type, "asked": bool(request)})
    return {"requested": request.template if request else None}
