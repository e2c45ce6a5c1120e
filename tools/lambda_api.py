"""Invokes the Lambda handlers in-process with the sample API Gateway events under events/apigw.

Used by the integration tests and `make bench`: each call starts from the sample event of an operation and
changes only what the caller asks (claims, path, body, query, headers), as API Gateway would send it.
"""

from __future__ import annotations

import base64
import copy
import importlib
import json
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Any

EVENTS = Path(__file__).resolve().parents[1] / "events" / "apigw"
SAMPLE = object()


@dataclass(frozen=True)
class Staff:
    tenant: str = "tenant-a"
    user: str = "user-1"
    groups: tuple[str, ...] = ("sales",)

    def as_(self, *groups: str) -> Staff:
        return Staff(self.tenant, self.user, groups)

    def claims(self) -> dict[str, str]:
        return {"custom:tenant_id": self.tenant, "sub": self.user, "cognito:groups": ",".join(self.groups)}


@dataclass(frozen=True)
class Customer:
    """A customer signed in through the customer pool (rapport.auth.Customer)."""

    tenant: str = "tenant-a"
    contact: str = "contact-1"

    def claims(self) -> dict[str, str]:
        return {"custom:tenant_id": self.tenant, "custom:contact_id": self.contact, "sub": f"customer-{self.contact}"}


@dataclass
class Reply:
    status: int
    body: Any
    headers: dict[str, str] = field(default_factory=dict)

    @property
    def etag(self) -> str:
        return self.headers["etag"]


class LambdaContext:
    function_name = "rapport-test"
    function_version = "$LATEST"
    memory_limit_in_mb = 512
    invoked_function_arn = "arn:aws:lambda:eu-west-1:123456789012:function:rapport-test"
    aws_request_id = "test-request"

    def get_remaining_time_in_millis(self) -> int:
        return 10_000


@cache
def _sample(operation: str) -> tuple[str, dict[str, Any]]:
    for path in EVENTS.glob(f"*/{operation}.json"):
        return path.parent.name, json.loads(path.read_text())
    raise KeyError(operation)


def sample_event(operation: str) -> dict[str, Any]:
    """A copy of the sample API Gateway event of `operation`."""
    return copy.deepcopy(_sample(operation)[1])


def call(
    operation: str,
    staff: Staff | Customer | None = Staff(),
    *,
    record_id: str | None = None,
    body: Any = SAMPLE,
    query: dict[str, str] | None = None,
    headers: dict[str, str | None] | None = None,
    identity: dict[str, str | None] | None = None,
    path: dict[str, str] | None = None,
) -> Reply:
    """Invoke the handler serving `operation` with its sample event, changed as asked.

    `path` sets path parameters other than `record_id` (`{"name": ..., "channel": ...}`). `staff` may be a
    `Customer`; `staff=None` sends no authorizer claims; a header set to None is removed from the sample.
    `identity` changes `requestContext.identity` (e.g. `apiKeyId`, which API Gateway sets on routes that require
    an API key).
    """
    area, sample = _sample(operation)
    event = copy.deepcopy(sample)
    if record_id is not None:
        event["pathParameters"] = {"record_id": record_id}
        event["path"] = event["resource"].replace("{record_id}", record_id)
    if path is not None:
        event["pathParameters"] = {**(event["pathParameters"] or {}), **path}
        event["path"] = event["resource"]
        for name, value in event["pathParameters"].items():
            event["path"] = event["path"].replace("{" + name + "}", value)
    if body is not SAMPLE:
        event["body"] = body if isinstance(body, str) or body is None else json.dumps(body)
    event["queryStringParameters"] = query
    event["multiValueQueryStringParameters"] = {k: [v] for k, v in query.items()} if query else None
    for name, value in (headers or {}).items():
        event["headers"].pop(name, None)
        if value is not None:
            event["headers"][name] = value
    event["multiValueHeaders"] = {name: [value] for name, value in event["headers"].items()}
    event["requestContext"]["identity"].update(identity or {})
    if staff is None:
        event["requestContext"].pop("authorizer", None)
    else:
        claims = event["requestContext"].setdefault("authorizer", {}).setdefault("claims", {})
        claims.update(staff.claims())
    handler = importlib.import_module(f"{area}.handler").lambda_handler
    response = handler(event, LambdaContext())
    return _reply(response)


def _reply(response: dict[str, Any]) -> Reply:
    headers = {name.lower(): value for name, value in (response.get("headers") or {}).items()}
    for name, values in (response.get("multiValueHeaders") or {}).items():
        headers[name.lower()] = values[-1]
    text = response.get("body") or ""
    if response.get("isBase64Encoded"):  # an image: its bytes
        return Reply(response["statusCode"], base64.b64decode(text), headers)
    if headers.get("content-type", "").startswith("text/"):  # a page: its HTML as it is
        return Reply(response["statusCode"], text, headers)
    return Reply(response["statusCode"], json.loads(text) if text else None, headers)


def create(operation: str, staff: Staff = Staff(), **fields: Any) -> dict[str, Any]:
    reply = call(operation, staff, body=fields, headers={"Idempotency-Key": None})
    assert reply.status == 201, reply.body
    return dict(reply.body)
