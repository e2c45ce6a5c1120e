"""Every route refuses query parameters it does not declare, by name, listing those it does (rapport.api.filters)."""

import json
from typing import Any

import pytest

from contacts import handler as contacts_handler
from tools import openapi
from tools.lambda_api import EVENTS, LambdaContext, Staff, call

DOCUMENT = json.loads(openapi.DOCUMENT.read_text())
DECLARED = {
    operation["operationId"]: [
        parameter["name"] for parameter in operation.get("parameters", []) if parameter["in"] == "query"
    ]
    for item in DOCUMENT["paths"].values()
    for operation in item.values()
}
ADMIN = Staff().as_("admin")


@pytest.mark.parametrize("operation_id", sorted(DECLARED))
def test_every_operation_refuses_a_query_parameter_it_does_not_declare(operation_id):
    reply = call(operation_id, ADMIN, query={"unknown_filter": "x"}, identity={"apiKeyId": "any"})
    assert reply.status == 400, reply.body
    assert reply.headers["content-type"] == "application/problem+json"
    unsupported = [error for error in reply.body["errors"] if error["code"] == "unsupported_parameter"]
    assert [(error["field"], error["in"]) for error in unsupported] == [("unknown_filter", "query")]
    offered = DECLARED[operation_id]
    assert ", ".join(offered) in unsupported[0]["message"] if offered else "takes none" in unsupported[0]["message"]


def test_the_ones_offered_are_listed_and_each_unsupported_one_named():
    reply = call("listContacts", query={"owner": "ann", "tags": "vip", "q": "ros"})
    assert reply.status == 400
    assert [error["field"] for error in reply.body["errors"]] == ["owner", "tags"]
    assert reply.body["detail"].startswith("GET /contacts takes only q, email, ")
    assert reply.body["detail"].endswith("; not owner, tags.")


def test_a_route_without_query_parameters_says_so():
    reply = call("getContact", record_id="01JD5Y7M7ZV1W4T5C9H2K3N4P5", query={"fields": "name"})
    assert reply.status == 400
    assert reply.body["detail"] == "GET /contacts/{record_id} takes no query parameters; not fields."


def test_an_invalid_parameter_and_an_unknown_one_are_named_together():
    reply = call("listContacts", query={"limit": "0", "tag_id": "vip"})
    assert reply.status == 400
    assert sorted(error["field"] for error in reply.body["errors"]) == ["limit", "tag_id"]


def test_an_unknown_path_with_a_query_is_still_404():
    reply = call("getContact", record_id="x/y", query={"anything": "x"})
    assert reply.status == 404


def test_a_cors_preflight_with_a_query_is_answered():
    event = json.loads((EVENTS / "contacts" / "listContacts.json").read_text())
    event.update(httpMethod="OPTIONS", body=None, queryStringParameters={"q": "ros", "anything": "x"})
    event["multiValueQueryStringParameters"] = {name: [value] for name, value in event["queryStringParameters"].items()}
    context: Any = LambdaContext()
    response = contacts_handler.lambda_handler(event, context)
    assert response["statusCode"] == 204
