"""Case events: a new case without an owner is routed to a queue and an owner in it (`case.created`), a public
reply is emailed to the customer (`case.message_added`), and the owner is warned of an SLA target due shortly
(`case.sla_warned`), each once however often the bus delivers the event."""

from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

from aws_lambda_powertools import Logger
from aws_lambda_powertools.utilities.typing import LambdaContext

from rapport.cases import router
from rapport.cases.escalation import warning_of
from rapport.cases.service import reply_of
from rapport.dal import tenancy
from rapport.events.models import DomainEvent
from rapport.notifications.requests import request_notification

logger = Logger()


def _route(event: DomainEvent) -> dict[str, Any]:
    routed = router.route(event.tenant_id, event.entity_id, datetime.now(UTC))
    return {"outcome": routed.outcome.value, "queue": routed.queue, "owner_id": routed.owner_id}


def _email_reply(event: DomainEvent) -> dict[str, Any]:
    request = reply_of(event)
    if request is not None:
        request_notification(request)
    return {"requested": request.template if request else None}


def _warn_owner(event: DomainEvent) -> dict[str, Any]:
    request = warning_of(event)
    if request is not None:
        request_notification(request)
    return {"requested": request.template if request else None}


HANDLERS: dict[str, Callable[[DomainEvent], dict[str, Any]]] = {
    "case.created": _route,
    "case.message_added": _email_reply,
    "case.sla_warned": _warn_owner,
}


@logger.inject_lambda_context
@tenancy.fenced()
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    detail = DomainEvent.model_validate(event["detail"])
    if detail.detail_type not in HANDLERS:
        raise ValueError(f"unexpected event {detail.detail_type!r}; one of {', '.join(HANDLERS)}")
    with tenancy.tenant_scope(detail.tenant_id):
        result = HANDLERS[detail.detail_type](detail)
    logger.info("handled", extra={"event_id": detail.event_id, "type": detail.detail_type, **result})
    return result
