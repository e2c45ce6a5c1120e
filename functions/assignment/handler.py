"""Lead assignment worker: the state machine's task states call it with an `action` (rapport.assignment)."""

from typing import Any

from aws_lambda_powertools import Logger
from aws_lambda_powertools.utilities.typing import LambdaContext

from rapport.assignment import service
from rapport.assignment.models import Assignment

logger = Logger()


def _assign(event: dict[str, Any]) -> dict[str, Any]:
    return service.assign(event["tenant_id"], event["lead_id"]).model_dump(mode="json")


def _reassign(event: dict[str, Any]) -> dict[str, Any]:
    return service.reassign(Assignment.model_validate(event["assignment"])).model_dump(mode="json")


def _notify(event: dict[str, Any]) -> dict[str, Any]:
    requests = service.notify(Assignment.model_validate(event["assignment"]))
    return {"requested": [request.template for request in requests]}


def _check_contact(event: dict[str, Any]) -> dict[str, Any]:
    contacted, reason = service.contacted(Assignment.model_validate(event["assignment"]))
    return {"contacted": contacted, "reason": reason}


ACTIONS = {
    "assign": _assign,
    "reassign": _reassign,
    "notify": _notify,
    "check_contact": _check_contact,
}


@logger.inject_lambda_context
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    action = event.get("action")
    if action not in ACTIONS:
        raise ValueError(f"unknown action {action!r}; one of {', '.join(ACTIONS)}")
    logger.append_keys(action=action, lead_id=event.get("lead_id") or event.get("assignment", {}).get("lead_id"))
    result = ACTIONS[action](event)
    logger.info("done", extra={"result": result})
    return result
