"""API Gateway API keys for web forms: issued into the stack's web form usage plan (throttled, with a quota).

The stack names the usage plan in `USAGE_PLAN_NAME` (its id would make the stack's dependencies circular: see
infra/constructs/web_to_lead.py); its id is looked up once per container. The client is built on first use,
so handlers that never issue a key pay nothing for it at cold start.
"""

from __future__ import annotations

from functools import cache
from typing import Any, NamedTuple

from aws_lambda_powertools import Logger

from rapport import aws, config

logger = Logger()


class IssuedKey(NamedTuple):
    id: str
    value: str


def _client() -> Any:
    return aws.client("apigateway")


@cache
def _usage_plan_id(name: str) -> str:
    for page in _client().get_paginator("get_usage_plans").paginate():
        for plan in page.get("items", []):
            if plan.get("name") == name:
                return str(plan["id"])
    raise RuntimeError(f"no usage plan is named {name!r}")


def issue_key(tenant_id: str, form_id: str) -> IssuedKey:
    """A new enabled API key in the web form usage plan, named after the tenant and form it belongs to."""
    plan = _usage_plan_id(config.current().require("usage_plan_name"))
    key = _client().create_api_key(
        name=f"rapport-{tenant_id}-{form_id}",
        description=f"Rapport web form {form_id} of tenant {tenant_id}",
        enabled=True,
    )
    try:
        _client().create_usage_plan_key(usagePlanId=plan, keyId=key["id"], keyType="API_KEY")
    except Exception:
        revoke_key(key["id"])
        raise
    return IssuedKey(id=str(key["id"]), value=str(key["value"]))


def revoke_key(key_id: str) -> None:
    """Delete the key (API Gateway then refuses it); one already gone is fine. Failures are logged, not raised:
    the key no longer maps to a form, so Rapport refuses it anyway."""
    client = _client()
    try:
        client.delete_api_key(apiKey=key_id)
    except client.exceptions.NotFoundException:
        return
    except Exception:
        logger.exception("could not delete API key %s; it maps to no form and is refused", key_id)
