"""The local API Gateway: routes from the template, the authorizer, proxy events and responses."""

from __future__ import annotations

import base64
import json
import time
from typing import Any

import pytest

from infra.gateway import (
    GATEWAY_PROBLEMS,
    JSON_MEDIA_TYPES,
    MOCK_REQUEST_TEMPLATE,
    gateway_responses,
    method_not_allowed,
    staff_preflight,
)
from local.runtime.api import RestApi, load_rest_api
from local.runtime.gateway import ApiGateway, HttpRequest, HttpResponse, proxy_response
from local.runtime.template import CloudAssembly
from local.runtime.tokens import TokenIssuer
from local.runtime.workers import FunctionError

ISSUER = TokenIssuer(b"k" * 32, "eu-west-1")
TOKEN = ISSUER.mint(tenant="acme", user="ada", groups=["sales", "manager"])
OK = {"statusCode": 200, "headers": {"Content-Type": "application/json"}, "body": "{}"}


class Function:
    def __init__(self, result: Any = OK) -> None:
        self.result = result
        self.events: list[dict[str, Any]] = []

    def __call__(self, logical_id: str, event: dict[str, Any]) -> Any:
        assert logical_id == "ThingsFunction"
        self.events.append(event)
        if isinstance(self.result, Exception):
            raise self.result
        return self.result


@pytest.fixture
def api(assembly: CloudAssembly) -> RestApi:
    return load_rest_api(assembly)


def _send(
    api: RestApi,
    function: Function,
    method: str,
    target: str,
    *headers: tuple[str, str],
    body: bytes = b"",
    token: str | None = TOKEN,
) -> HttpResponse:
    auth = [("Authorization", f"Bearer {token}")] if token else []
    request = HttpRequest(method, target, [("Host", "localhost:3000"), *auth, *headers], body, "127.0.0.9", 3000)
    return ApiGateway(api, function, ISSUER, {}).handle(request)


def _headers(response: HttpResponse) -> dict[str, str]:
    return {name.lower(): value for name, value in response.headers}


@pytest.mark.parametrize(
    ("method", "path", "resource", "parameters"),
    [
        ("GET", "/things", "/things", {}),
        ("GET", "/things/", "/things", {}),
        ("GET", "/things/42", "/things/{thing_id}", {"thing_id": "42"}),
        ("GET", "/things/special", "/things/special", {}),
        ("GET", "/things/42/parts", "/things/{thing_id}/parts", {"thing_id": "42"}),
        ("GET", "/files/a/b.txt", "/files/{path+}", {"path": "a/b.txt"}),
    ],
)
def test_the_most_specific_resource_serves(api: RestApi, method: str, path: str, resource: str, parameters) -> None:
    matched = api.match(method, path)
    assert matched is not None
    assert (matched[0].resource, matched[1]) == (resource, parameters)


@pytest.mark.parametrize(("method", "path"), [("GET", "/nothing"), ("DELETE", "/things"), ("GET", "/files")])
def test_a_route_that_is_not_in_the_stack_is_not_served(api: RestApi, method: str, path: str) -> None:
    function = Function()
    response = _send(api, function, method, path)
    assert response.status == 403  # API Gateway's MISSING_AUTHENTICATION_TOKEN, shaped by DEFAULT_4XX
    assert json.loads(response.body) == {"problem": "Missing Authentication Token"}
    assert _headers(response)["x-amzn-errortype"] == "MissingAuthenticationTokenException"
    assert function.events == []


def test_the_event_is_a_rest_api_proxy_event(api: RestApi) -> None:
    function = Function()
    _send(
        api,
        function,
        "GET",
        "/things/a%20b?q=x&tag=1&tag=2&flag",
        ("Accept", "application/json"),
        ("X-Multi", "one"),
        ("X-Multi", "two"),
    )
    [event] = function.events
    assert event["resource"] == "/things/{thing_id}"
    assert event["path"] == "/things/a b"
    assert event["httpMethod"] == "GET"
    assert event["pathParameters"] == {"thing_id": "a b"}
    assert event["queryStringParameters"] == {"q": "x", "tag": "2", "flag": ""}
    assert event["multiValueQueryStringParameters"] == {"q": ["x"], "tag": ["1", "2"], "flag": [""]}
    assert event["headers"]["X-Multi"] == "two"
    assert event["multiValueHeaders"]["X-Multi"] == ["one", "two"]
    assert event["headers"]["X-Forwarded-For"] == "127.0.0.9"
    assert event["body"] is None
    assert event["isBase64Encoded"] is False
    context = event["requestContext"]
    assert context["stage"] == "dev"
    assert context["path"] == "/dev/things/a b"
    assert context["resourcePath"] == "/things/{thing_id}"
    assert context["identity"]["sourceIp"] == "127.0.0.9"
    assert context["requestId"]
    claims = context["authorizer"]["claims"]
    assert claims["custom:tenant_id"] == "acme"
    assert claims["sub"] == "ada"
    assert claims["cognito:groups"] == "sales,manager"


def test_a_body_is_text_unless_its_type_is_a_binary_media_type(api: RestApi) -> None:
    function = Function()
    _send(
        api,
        function,
        "POST",
        "/things",
        ("Content-Type", "application/json"),
        ("Idempotency-Key", "k"),
        body='{"name": "Zoë"}'.encode(),
    )
    _send(api, function, "POST", "/things", ("Content-Type", "image/png"), ("Idempotency-Key", "k"), body=b"\x89PNG")
    text, binary = function.events
    assert (text["body"], text["isBase64Encoded"]) == ('{"name": "Zoë"}', False)
    assert (base64.b64decode(binary["body"]), binary["isBase64Encoded"]) == (b"\x89PNG", True)


@pytest.mark.parametrize(
    ("token", "detail"),
    [
        (None, "Unauthorized"),
        ("garbage", "Unauthorized"),
        (ISSUER.mint(tenant="acme", user="ada", groups=["sales"], lifetime=-1), "The incoming token has expired"),
        (TokenIssuer(b"x" * 32, "eu-west-1").mint(tenant="acme", user="ada", groups=["admin"]), "Unauthorized"),
    ],
)
def test_the_authorizer_answers_401_before_any_function_runs(api: RestApi, token: str | None, detail: str) -> None:
    function = Function()
    response = _send(api, function, "GET", "/things", token=token)
    assert response.status == 401
    assert _headers(response)["content-type"] == "application/problem+json"
    assert json.loads(response.body) == {"title": "Unauthorized", "status": 401, "detail": detail}
    assert function.events == []


def _signed(header: Any, claims: Any) -> str:
    """A token signed with the runtime's key whose header and claims are whatever JSON is given."""
    parts = [base64.urlsafe_b64encode(json.dumps(part).encode()).rstrip(b"=").decode() for part in (header, claims)]
    signed = ".".join(parts)
    return f"{signed}.{ISSUER._signature(signed)}"


_HEADER = {"alg": "HS256", "typ": "JWT"}
_CLAIMS = {"iss": ISSUER.issuer, "token_use": "id", "sub": "ada", "custom:tenant_id": "acme"}
_LATER = int(time.time()) + 3600


@pytest.mark.parametrize(
    ("header", "claims"),
    [
        (_HEADER, {**_CLAIMS, "exp": 10**30}),
        (_HEADER, {**_CLAIMS, "exp": -(10**30)}),
        (_HEADER, {**_CLAIMS, "exp": True}),
        (_HEADER, {**_CLAIMS, "exp": _LATER, "iat": 10**30}),
        (_HEADER, {**_CLAIMS, "exp": 1e30}),
        (_HEADER, {**_CLAIMS, "exp": str(_LATER)}),
        (_HEADER, [_CLAIMS]),
        (_HEADER, "claims"),
        (_HEADER, None),
        ([_HEADER], {**_CLAIMS, "exp": _LATER}),
        ("header", {**_CLAIMS, "exp": _LATER}),
    ],
)
def test_a_validly_signed_token_with_malformed_claims_is_a_401(api: RestApi, header: Any, claims: Any) -> None:
    function = Function()
    response = _send(api, function, "GET", "/things", token=_signed(header, claims))
    assert response.status == 401
    assert function.events == []


CUSTOMER_TOKEN = ISSUER.mint_customer(tenant="acme", contact="c-1")


def test_the_customer_authorizer_takes_customer_tokens_only_and_the_staff_one_staff_tokens_only(api: RestApi) -> None:
    function = Function()
    assert _send(api, function, "GET", "/mine", token=TOKEN).status == 401
    assert _send(api, function, "GET", "/things", token=CUSTOMER_TOKEN).status == 401
    assert function.events == []
    assert _send(api, function, "GET", "/mine", token=CUSTOMER_TOKEN).status == 200
    claims = function.events[0]["requestContext"]["authorizer"]["claims"]
    assert (claims["custom:tenant_id"], claims["custom:contact_id"]) == ("acme", "c-1")


def test_a_raw_token_without_bearer_is_accepted_too(api: RestApi) -> None:
    function = Function()
    request = HttpRequest("GET", "/things", [("Authorization", TOKEN)])
    assert ApiGateway(api, function, ISSUER, {}).handle(request).status == 200


def test_a_missing_required_parameter_is_a_400_before_the_function(api: RestApi) -> None:
    function = Function()
    response = _send(api, function, "POST", "/things", body=b"{}")
    assert response.status == 400
    assert json.loads(response.body) == {"problem": "Missing required request parameters: [idempotency-key]"}
    assert function.events == []
    assert _send(api, function, "POST", "/things", ("idempotency-KEY", "k"), body=b"{}").status == 200


def test_a_mock_integration_answers_without_auth(api: RestApi) -> None:
    response = _send(api, Function(), "OPTIONS", "/things", token=None)
    assert response.status == 204
    assert _headers(response)["access-control-allow-origin"] == "http://localhost:5173"


@pytest.mark.parametrize(
    "result",
    [FunctionError("Runtime.ExitError", "gone"), {"statusCode": "200"}, {"statusCode": 200, "body": {"a": 1}}, None],
)
def test_a_failed_function_or_malformed_response_is_a_502(api: RestApi, result: Any) -> None:
    response = _send(api, Function(result), "GET", "/things")
    assert response.status == 502
    assert json.loads(response.body) == {"message": "Internal server error"}


def test_the_response_keeps_status_headers_and_body() -> None:
    response = proxy_response(
        {
            "statusCode": 201,
            "headers": {"Location": "/things/1"},
            "multiValueHeaders": {"Set-Cookie": ["a=1", "b=2"]},
            "body": base64.b64encode(b"\x00\x01").decode(),
            "isBase64Encoded": True,
        }
    )
    assert response.status == 201
    assert response.headers == [
        ("Set-Cookie", "a=1"),
        ("Set-Cookie", "b=2"),
        ("Location", "/things/1"),
        ("Content-Type", "application/json"),
    ]
    assert response.body == b"\x00\x01"


def test_every_response_carries_api_gateway_ids(api: RestApi) -> None:
    headers = _headers(_send(api, Function(), "GET", "/things"))
    assert {"x-amzn-requestid", "x-amz-apigw-id", "x-amzn-trace-id"} <= set(headers)


@pytest.fixture
def public_api(assembly: CloudAssembly) -> RestApi:
    """The stack with a public method: no authorizer, an API key required (web-to-lead)."""
    resources = dict(assembly.template["Resources"])
    method = json.loads(json.dumps(resources["ListThings"]))
    method["Properties"].update({"HttpMethod": "POST", "AuthorizationType": "NONE", "ApiKeyRequired": True})
    method["Properties"].update({"ResourceId": {"Ref": "Submissions"}})
    method["Properties"].pop("AuthorizerId", None)
    resources["SubmitThing"] = method
    resources["Submissions"] = json.loads(json.dumps(resources["Files"]))
    resources["Submissions"]["Properties"]["PathPart"] = "submissions"
    template = {**assembly.template, "Resources": resources}
    return load_rest_api(CloudAssembly(assembly.directory, assembly.stack_name, template))


def _send_with_key(api: RestApi, function: Function, key: str | None) -> HttpResponse:
    headers = [("Host", "localhost:3000"), *([("x-api-key", key)] if key else [])]
    request = HttpRequest("POST", "/submissions", headers, b"{}", "127.0.0.9", 3000)
    keys = {"the-key-value": "key-id-1"}
    return ApiGateway(api, function, ISSUER, {}, keys.get).handle(request)


@pytest.mark.parametrize("key", [None, "someone-elses-key"])
def test_a_method_that_requires_an_api_key_refuses_a_request_without_a_known_one(public_api: RestApi, key):
    function = Function()
    response = _send_with_key(public_api, function, key)
    assert response.status == 403
    assert json.loads(response.body) == {"problem": "Forbidden"}
    assert _headers(response)["x-amzn-errortype"] == "ForbiddenException"
    assert function.events == []


def test_a_known_api_key_reaches_the_function_in_the_events_identity_without_claims(public_api: RestApi):
    function = Function()
    assert _send_with_key(public_api, function, "the-key-value").status == 200
    [event] = function.events
    identity = event["requestContext"]["identity"]
    assert (identity["apiKey"], identity["apiKeyId"]) == ("the-key-value", "key-id-1")
    assert "authorizer" not in event["requestContext"]


@pytest.fixture
def stack_api(assembly: CloudAssembly) -> RestApi:
    """The stack with Rapport's own gateway responses and, on /things, the mock infra.constructs.api makes for a path
    (preflight 204, else 405) instead of an OPTIONS method."""
    resources = {
        name: resource
        for name, resource in assembly.template["Resources"].items()
        if resource["Type"] != "AWS::ApiGateway::GatewayResponse" and name != "ThingsOptions"
    }
    for response_type, (status, headers, body) in gateway_responses("http://localhost:5173").items():
        resources[f"{response_type}Response"] = {
            "Type": "AWS::ApiGateway::GatewayResponse",
            "Properties": {
                "ResponseType": response_type,
                "RestApiId": {"Ref": "Api"},
                "StatusCode": str(status),
                "ResponseParameters": {f"gatewayresponse.header.{k}": f"'{v}'" for k, v in headers.items()},
                "ResponseTemplates": {"application/json": body},
            },
        }
    allow = {"Allow": "GET, OPTIONS, POST", "Content-Type": "application/problem+json"}
    resources["ThingsAny"] = {
        "Type": "AWS::ApiGateway::Method",
        "Properties": {
            "HttpMethod": "ANY",
            "ResourceId": {"Ref": "Things"},
            "RestApiId": {"Ref": "Api"},
            "AuthorizationType": "NONE",
            "Integration": {
                "Type": "MOCK",
                "PassthroughBehavior": "NEVER",
                "RequestTemplates": {media_type: MOCK_REQUEST_TEMPLATE for media_type in JSON_MEDIA_TYPES},
                "IntegrationResponses": [
                    {
                        "StatusCode": "204",
                        "SelectionPattern": "204",
                        "ResponseParameters": {
                            f"method.response.header.{k}": f"'{v}'" for k, v in PREFLIGHT.response_headers().items()
                        },
                    },
                    {
                        "StatusCode": "405",
                        "ResponseParameters": {f"method.response.header.{k}": f"'{v}'" for k, v in allow.items()},
                        "ResponseTemplates": {
                            "application/json": method_not_allowed("/things", ["GET", "OPTIONS", "POST"]).template()
                        },
                    },
                ],
            },
        },
    }
    stack = {**assembly.template, "Resources": resources}
    return load_rest_api(CloudAssembly(assembly.directory, assembly.stack_name, stack))


PREFLIGHT = staff_preflight("http://localhost:5173", ["GET", "POST"])


def _expected(response_type: str, detail: str, validation: str = "") -> dict[str, Any]:
    template = GATEWAY_PROBLEMS[response_type].template()
    filled = template.replace("$context.error.messageString", json.dumps(detail))
    expected: dict[str, Any] = json.loads(filled.replace("$context.error.validationErrorString", validation))
    return expected


def test_gateway_errors_are_the_problems_the_stack_defines(stack_api: RestApi) -> None:
    unauthorized = _send(stack_api, Function(), "GET", "/things", token=None)
    assert (unauthorized.status, json.loads(unauthorized.body)) == (401, _expected("UNAUTHORIZED", "Unauthorized"))
    unknown = _send(stack_api, Function(), "GET", "/nothing")
    assert (unknown.status, json.loads(unknown.body)) == (404, _expected("MISSING_AUTHENTICATION_TOKEN", ""))
    assert json.loads(unknown.body)["type"] == "urn:rapport:problem:not-found"
    missing = _send(stack_api, Function(), "POST", "/things", body=b"{}")
    message = "Missing required request parameters: [idempotency-key]"
    assert (missing.status, json.loads(missing.body)) == (400, _expected("BAD_REQUEST_PARAMETERS", message, message))
    assert json.loads(missing.body)["errors"][0]["message"] == message
    failed = _send(stack_api, Function(FunctionError("Runtime.ExitError", "gone")), "GET", "/things")
    assert (failed.status, json.loads(failed.body)["type"]) == (502, "urn:rapport:problem:internal")
    for response in (unauthorized, unknown, missing, failed):
        assert _headers(response)["content-type"] == "application/problem+json"


@pytest.mark.parametrize("content_type", [None, "application/json", "application/merge-patch+json"])
def test_a_known_path_asked_with_another_method_is_a_405_listing_its_methods(stack_api: RestApi, content_type):
    function = Function()
    headers = [("Content-Type", content_type)] if content_type else []
    response = _send(stack_api, function, "DELETE", "/things", *headers, body=b"{}", token=None)
    assert response.status == 405
    assert _headers(response)["allow"] == "GET, OPTIONS, POST"
    assert _headers(response)["content-type"] == "application/problem+json"
    problem = json.loads(response.body)
    assert (problem["type"], problem["status"]) == ("urn:rapport:problem:method-not-allowed", 405)
    assert function.events == []
    assert _send(stack_api, function, "GET", "/things").status == 200, "the path's own method still serves"


def test_a_405_mock_refuses_a_body_that_is_not_json_like_api_gateway(stack_api: RestApi) -> None:
    response = _send(stack_api, Function(), "DELETE", "/things", ("Content-Type", "text/plain"), body=b"x")
    assert (response.status, json.loads(response.body)["type"]) == (415, "urn:rapport:problem:unsupported-media-type")


@pytest.mark.parametrize("token", [None, TOKEN])
def test_a_preflight_meets_the_paths_mock_and_gets_its_cors_headers_without_a_body(stack_api: RestApi, token) -> None:
    function = Function()
    response = _send(stack_api, function, "OPTIONS", "/things", ("Origin", "http://localhost:5173"), token=token)
    assert (response.status, response.body) == (204, b"")
    assert {k: v for k, v in response.headers if not k.lower().startswith("x-am")} == PREFLIGHT.response_headers()
    assert _headers(response)["vary"] == "Origin"
    assert function.events == []


def test_a_preflight_of_a_path_with_no_method_is_not_answered(stack_api: RestApi) -> None:
    response = _send(stack_api, Function(), "OPTIONS", "/files", token=None)
    assert response.status == 404
