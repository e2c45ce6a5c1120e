"""Who is calling: a staff member or a customer, resolved once per request from the token's claims. A customer
may use no staff route; every log line of a request names its tenant and its request id."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from rapport.api.http import create_app, entrypoint, logger
from tools.lambda_api import Customer, LambdaContext, Staff, call, sample_event

ROOT = Path(__file__).resolve().parents[2]
OPENAPI = json.loads((ROOT / "functions" / "openapi.json").read_text())
STAFF_OPERATIONS = sorted(
    operation["operationId"]
    for methods in OPENAPI["paths"].values()
    for operation in methods.values()
    if isinstance(operation, dict) and operation.get("security", OPENAPI["security"]) == OPENAPI["security"]
)
ADMIN = Staff().as_("admin")


def test_the_staff_operations_are_every_operation_but_the_public_ones() -> None:
    assert "listContacts" in STAFF_OPERATIONS and "createPublicLead" not in STAFF_OPERATIONS


@pytest.mark.parametrize("operation", STAFF_OPERATIONS)
def test_a_customer_is_refused_on_every_staff_route(operation: str) -> None:
    query = sample_event(operation)["queryStringParameters"]  # a valid request: parameters are checked first
    reply = call(operation, Customer(), query=query)
    assert reply.status == 403, (operation, reply.body)
    assert "staff" in reply.body["detail"]


@pytest.mark.parametrize(
    "claims",
    [Customer(contact=""), Customer(contact="a#b"), Customer(tenant="")],
    ids=["no contact", "a malformed contact", "no tenant"],
)
def test_a_customer_token_naming_no_valid_contact_or_tenant_is_unauthenticated(claims: Customer) -> None:
    assert call("listContacts", claims).status == 401


def test_every_log_line_of_a_request_names_its_tenant_caller_and_request_id() -> None:
    app = create_app()
    app.get("/contacts")(lambda: logger.get_current_keys())
    handler: Callable[..., dict[str, Any]] = entrypoint(app)  # called with tools.lambda_api's context

    def keys(claims: dict[str, str]) -> dict[str, Any]:
        event = sample_event("listContacts")
        event["queryStringParameters"] = event["multiValueQueryStringParameters"] = None
        event["requestContext"]["authorizer"] = {"claims": claims}
        return dict(json.loads(handler(event, LambdaContext())["body"]))

    logged = keys(ADMIN.claims())
    assert (logged["tenant_id"], logged["user_id"]) == (ADMIN.tenant, ADMIN.user)
    assert logged["correlation_id"] == sample_event("listContacts")["requestContext"]["requestId"]
    other = keys(Staff(tenant="tenant-b", user="user-2").claims())
    assert (other["tenant_id"], other["user_id"]) == ("tenant-b", "user-2"), "nothing of the previous request"
