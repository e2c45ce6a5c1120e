"""What the stack makes at run time in moto besides table items, kept in the data folder's database.

- API Gateway API keys (web forms issue them) and their membership of the stack's usage plans, which are made
  anew at each start (with new ids): a key keeps its id and value, and joins the plan of the same logical id.
- The emails SES sent and the SMS SNS sent (the local outbox), in order.
- Step Functions executions are not resumed after a restart: each execution in flight when `rapport local`
  stopped (or was killed) is named in the log at the next start as lost.

Each is written when moto changes it, before moto answers the call that changed it. Schedules need no state:
the template's scheduled rules are made again at each start.
"""

from __future__ import annotations

import functools
import logging
from collections.abc import Callable
from typing import Any

from moto.apigateway.models import APIGatewayBackend, ApiKey, UsagePlanKey, apigateway_backends
from moto.ses.models import SESBackend, ses_backends
from moto.sns.models import SNSBackend, sns_backends
from moto.stepfunctions.responses import get_backend as stepfunctions_backend

from local.runtime.store import Database

log = logging.getLogger("rapport.local")
API_KEYS, OUTBOX, EXECUTIONS = "api-keys", "outbox", "executions"
_KEY_CHANGES = ("create_api_key", "update_api_key", "delete_api_key", "create_usage_plan_key", "delete_usage_plan_key")
_SENDS = ("send_email", "send_raw_email", "send_templated_email", "send_bulk_templated_email")
_listeners: dict[str, list[Callable[[Any], None]]] = {}


def _after(cls: type[Any], name: str, topic: str) -> None:
    """Idempotent: after each call of `cls.name`, the listeners of `topic` get the backend."""
    method = getattr(cls, name)
    if getattr(method, "__rapport_state__", False):
        return

    @functools.wraps(method)
    def call(backend: Any, *args: Any, **kwargs: Any) -> Any:
        result = method(backend, *args, **kwargs)
        for listener in list(_listeners.get(topic, [])):
            listener(backend)
        return result

    call.__rapport_state__ = True  # type: ignore[attr-defined]
    setattr(cls, name, call)


def _listen(topic: str, listener: Callable[[Any], None]) -> Callable[[], None]:
    _listeners.setdefault(topic, []).append(listener)
    return lambda: _listeners[topic].remove(listener)


def keep_api_keys(database: Database, account: str, region: str, plans: dict[str, str]) -> Callable[[], None]:
    """Restores the API keys and plan memberships kept, then keeps them; `plans`: logical id -> plan id."""
    backend: APIGatewayBackend = apigateway_backends[account][region]
    kept = database.documents(API_KEYS).get("keys", {"keys": [], "plans": {}})
    for key in kept["keys"]:
        backend.keys[key["id"]] = _api_key(key)
    for logical_id, key_ids in kept["plans"].items():
        if logical_id in plans:
            members = backend.usage_plan_keys.setdefault(plans[logical_id], {})
            for key_id in key_ids:
                key = backend.keys.get(key_id)
                if key is not None:
                    members[key_id] = UsagePlanKey(key_id, "API_KEY", key.name, key.value)
    if kept["keys"]:
        log.info("API keys kept: %d", len(kept["keys"]))
    logical_ids = {plan_id: logical_id for logical_id, plan_id in plans.items()}

    def save(changed: APIGatewayBackend) -> None:
        if changed is backend:
            members = {
                logical_ids[plan_id]: sorted(keys)
                for plan_id, keys in backend.usage_plan_keys.items()
                if plan_id in logical_ids
            }
            keys = [key.to_json() for key in backend.keys.values()]
            database.put_document(API_KEYS, "keys", {"keys": keys, "plans": members})

    for name in _KEY_CHANGES:
        _after(APIGatewayBackend, name, API_KEYS)
    return _listen(API_KEYS, save)


def _api_key(kept: dict[str, Any]) -> ApiKey:
    key = ApiKey(
        kept["id"],
        name=kept.get("name"),
        description=kept.get("description"),
        enabled=bool(kept.get("enabled")),
        value=kept["value"],
        stageKeys=kept.get("stageKeys"),
        tags=kept.get("tags"),
        customerId=kept.get("customerId"),
    )
    key.created_date = int(kept.get("createdDate") or key.created_date)
    key.last_updated_date = int(kept.get("lastUpdatedDate") or key.last_updated_date)
    return key


def keep_outbox(database: Database, account: str, region: str) -> Callable[[], None]:
    """Restores the emails and SMS sent before, then keeps each one sent."""
    ses: SESBackend = ses_backends[account][region]
    sns: SNSBackend = sns_backends[account][region]
    kept = database.documents(OUTBOX)
    ses.sent_messages.extend(_message(body) for _, body in sorted(kept.items()) if body["kind"] == "email")
    sns.sms_messages.update({body["id"]: tuple(body["sms"]) for _, body in sorted(kept.items()) if "sms" in body})
    if kept:
        log.info("outbox kept: %d messages", len(kept))

    def save_email(changed: SESBackend) -> None:
        if changed is ses and ses.sent_messages:
            message = ses.sent_messages[-1]
            body = {"kind": "email", "type": type(message).__name__, "fields": vars(message)}
            database.put_document(OUTBOX, f"{database.count_documents(OUTBOX):09d}", body)

    def save_sms(changed: SNSBackend) -> None:
        if changed is sns and sns.sms_messages:
            message_id, sms = next(reversed(sns.sms_messages.items()))
            body = {"kind": "sms", "id": message_id, "sms": list(sms)}
            database.put_document(OUTBOX, f"{database.count_documents(OUTBOX):09d}", body)

    for name in _SENDS:
        _after(SESBackend, name, "ses")
    _after(SNSBackend, "publish", "sns")
    stop_email, stop_sms = _listen("ses", save_email), _listen("sns", save_sms)

    def stop() -> None:
        stop_email()
        stop_sms()

    return stop


def _message(body: dict[str, Any]) -> Any:
    import moto.ses.models

    kind = getattr(moto.ses.models, body["type"])
    message = kind.__new__(kind)
    message.__dict__.update(body["fields"])  # moto's own __new__: the message shows in /moto-api/data.json too
    return message


def report_lost_executions(database: Database, account: str, region: str) -> Callable[[], None]:
    """Logs each execution kept as in flight at the last stop as lost, then keeps those in flight."""
    for arn, execution in sorted(database.documents(EXECUTIONS).items()):
        log.warning(
            "Step Functions execution %s of %s (started %s) was in flight when rapport local stopped: it is lost",
            arn,
            execution["state_machine"],
            execution["started"],
        )
        database.delete_document(EXECUTIONS, arn)
    backend = stepfunctions_backend(account, region)  # the executing one: `start` configures moto first

    def save(changed: Any) -> None:
        if changed is not backend:
            return
        kept = database.documents(EXECUTIONS)
        for machine in backend.state_machines:
            for execution in machine.executions:
                running = execution.status == "RUNNING"
                if running and execution.execution_arn not in kept:
                    started = str(execution.start_date)
                    body = {"state_machine": machine.arn, "started": started}
                    database.put_document(EXECUTIONS, execution.execution_arn, body)
                elif not running and execution.execution_arn in kept:
                    database.delete_document(EXECUTIONS, execution.execution_arn)

    _after(type(backend), "start_execution", EXECUTIONS)
    unlisten = _listen(EXECUTIONS, save)

    def stop() -> None:
        unlisten()
        save(backend)  # only those still running are lost

    return stop
