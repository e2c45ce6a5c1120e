"""Lead assignment worker: the state machine's task states call it with an `action` (rapport.assignment)."""

from typing import Any

from aws_lambda_powertools import Logger
from aws_lambda_powertools.utilities.typing import LambdaContext

from rapport.assignment import service
from rapport.assignment.models import Assignment
from rapport.dal import tenancy

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


def _tenant_of(event: dict[str, Any]) -> str:
    """The tenant the step serves: the execution's input (assign), or the assignment it carries (the others)."""
    return str(event.get("tenant_id") or event["assignment"]["tenant_id"])


ACTIONS = {
    "assign": _assign,
    "reassign": _reassign,
    "notify": _notify,
    "check_contact": _check_contact,
}


@logger.inject_lambda_context
@tenancy.fenced()
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    action = event.get("action")
    if action not in ACTIONS:
        raise ValueError(f"unknown action {action!r}; one of {', '.join(ACTIONS)}")
    logger.append_keys(action=action, lead_id=event.get("lead_id") or event.get("assignment", {}).get("lead_id"))
    with tenancy.tenant_scope(_tenant_of(event)):
        result = ACTIONS[action](event)
    logger.info("done", extra={"result": result})
    return result
