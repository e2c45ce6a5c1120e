"""Case escalation: the task states of the case escalation state machine, one action each
(rapport.cases.escalation)."""

from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

from aws_lambda_powertools import Logger
from aws_lambda_powertools.utilities.typing import LambdaContext

from rapport import normalize
from rapport.cases import escalation
from rapport.cases.service import CaseService
from rapport.dal import tenancy
from rapport.notifications.requests import request_notification

logger = Logger()


def _opening(tenant_id: str, case_id: str) -> dict[str, Any]:
    return {"opens_at": normalize.instant(escalation.opening(tenant_id, case_id, datetime.now(UTC)))}


def _notify_owner(tenant_id: str, case_id: str) -> dict[str, Any]:
    return {"notified": escalation.notify_owner(tenant_id, case_id, request_notification)}


def _notify_queue_manager(tenant_id: str, case_id: str) -> dict[str, Any]:
    return {"notified": escalation.notify_queue_manager(tenant_id, case_id, request_notification)}


def _escalate(tenant_id: str, case_id: str) -> dict[str, Any]:
    return {"changed": escalation.escalate(CaseService(), tenant_id, case_id)}


ACTIONS: dict[str, Callable[[str, str], dict[str, Any]]] = {
    "opening": _opening,
    "notify_owner": _notify_owner,
    "notify_queue_manager": _notify_queue_manager,
    "escalate": _escalate,
}


@logger.inject_lambda_context
@tenancy.fenced()
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    action, tenant_id, case_id = event["action"], event["tenant_id"], event["case_id"]
    with tenancy.tenant_scope(tenant_id):
        result = ACTIONS[action](tenant_id, case_id)
    logger.info("step", extra={"action": action, "case_id": case_id, **result})
    return result
