"""The REST API: exactly the OpenAPI document's operations, each on its function, behind the authorizer, or (the
public web-to-lead ones) an API key of the usage plan, or (the open ones: the public knowledge base) nothing but
their own throttle."""

from __future__ import annotations

import json
from collections import Counter
from typing import Any

import pytest

from infra.constructs.api import BINARY_MEDIA_TYPES
from infra.gateway import (
    GATEWAY_PROBLEMS,
    MOCK_REQUEST_TEMPLATE,
    OPEN_PREFLIGHT,
    WEB_TO_LEAD_PREFLIGHT,
    path_preflights,
    staff_preflight,
)
from infra.openapi import CUSTOMER_AUTHORIZER, allowed_methods, load_routes
from infra.route_stacks import CLOUDFORMATION_RESOURCE_LIMIT, ROUTE_STACK_BUDGET, STACK_OVERHEAD, route_stacks
from rapport import errors
from tests.infra.conftest import Synthesis

pytestmark = pytest.mark.slow

Methods = dict[tuple[str, str], dict[str, Any]]
PUBLIC_LEADS = ("/public", "/public/leads")


def _path(synthesis: Synthesis, resource_id: dict[str, Any]) -> str:
    if "Fn::GetAtt" in resource_id:  # the root resource
        return ""
    resource = synthesis.resources[resource_id["Ref"]]["Properties"]
    return f"{_path(synthesis, resource['ParentId'])}/{resource['PathPart']}"


def _methods(synthesis: Synthesis) -> Methods:
    methods = {}
    for method in synthesis.of_type("AWS::ApiGateway::Method").values():
        properties = method["Properties"]
        methods[(properties["HttpMethod"], _path(synthesis, properties["ResourceId"]) or "/")] = properties
    return methods


def _served_by(synthesis: Synthesis, method: dict[str, Any]) -> str:
    """The API area of the function a proxy method invokes (its POWERTOOLS_SERVICE_NAME is rapport-<area>)."""
    [function_id] = [
        part["Fn::GetAtt"][0]
        for part in method["Integration"]["Uri"]["Fn::Join"][1]
        if isinstance(part, dict) and "Fn::GetAtt" in part
    ]
    service: str = synthesis.resources[function_id]["Properties"]["Environment"]["Variables"]["POWERTOOLS_SERVICE_NAME"]
    return service.removeprefix("rapport-")


@pytest.fixture(scope="module")
def methods(dev: Synthesis) -> Methods:
    return _methods(dev)


@pytest.fixture(scope="module")
def operations(methods: Methods) -> Methods:
    return {key: method for key, method in methods.items() if key[0] != "ANY"}


def test_every_operation_is_a_method_of_its_function_and_nothing_else_is(dev: Synthesis, operations: Methods):
    expected = {route.key: route.function for route in load_routes()}
    assert {key: _served_by(dev, method) for key, method in operations.items()} == expected


def test_methods_are_lambda_proxies(operations: Methods) -> None:
    assert {(m["Integration"]["Type"], m["Integration"]["IntegrationHttpMethod"]) for m in operations.values()} == {
        ("AWS_PROXY", "POST")
    }


def _public_keys() -> set[tuple[str, str]]:
    return {route.key for route in load_routes() if route.api_key}


def _open_keys() -> set[tuple[str, str]]:
    return {route.key for route in load_routes() if route.open}


def _authorizer(dev: Synthesis, pool: str) -> str:
    """The logical id of the authorizer of the user pool `pool` (its construct id)."""
    [found] = [
        logical_id
        for logical_id, authorizer in dev.of_type("AWS::ApiGateway::Authorizer").items()
        if pool in json.dumps(authorizer["Properties"]["ProviderARNs"])
    ]
    return found


def test_every_method_but_the_path_mocks_and_the_public_ones_is_behind_a_cognito_authorizer(
    dev: Synthesis, methods: Methods
):
    """Staff routes behind the staff pool's authorizer, the portal's behind the customer pool's only."""
    authorizer_id, customer_authorizer = _authorizer(dev, "StaffPool"), _authorizer(dev, "CustomerPool")
    portal = {route.key for route in load_routes() if route.customer}
    assert portal and all(path.startswith("/portal/") for _, path in portal)
    public, open_ = _public_keys(), _open_keys()
    for (verb, path), method in methods.items():
        if verb == "ANY":
            assert method["AuthorizationType"] == "NONE", path
            assert method["Integration"]["Type"] == "MOCK", path
        elif (verb, path) in open_:
            assert method["AuthorizationType"] == "NONE", path
            assert "AuthorizerId" not in method and not method.get("ApiKeyRequired"), path
        elif (verb, path) in public:
            assert method["AuthorizationType"] == "NONE", path
            assert "AuthorizerId" not in method, path
            assert method["ApiKeyRequired"] is True, path
        elif (verb, path) in _open_keys():
            assert method["AuthorizationType"] == "NONE", path
            assert "AuthorizerId" not in method, path
            assert not method.get("ApiKeyRequired"), path
        else:
            assert method["AuthorizationType"] == "COGNITO_USER_POOLS", (verb, path)
            expected = customer_authorizer if (verb, path) in portal else authorizer_id
            assert method["AuthorizerId"] == {"Ref": expected}, (verb, path)
            assert not method.get("ApiKeyRequired"), (verb, path)
    for authorizer in (authorizer_id, customer_authorizer):
        assert dev.resources[authorizer]["Properties"]["Type"] == "COGNITO_USER_POOLS"
    assert dev.resources[customer_authorizer]["Properties"]["Name"] == CUSTOMER_AUTHORIZER


def test_web_to_lead_is_the_public_route_and_nothing_else_is():
    assert _public_keys() == {("POST", "/public/leads")}


def test_the_open_routes_are_the_public_knowledge_bases_reads_and_the_pages_of_messages_links():
    assert _open_keys() == {
        ("GET", "/public/{tenant_slug}/kb/articles"),
        ("GET", "/public/{tenant_slug}/kb/articles/{slug}"),
        ("GET", "/public/unsubscribe/{token}"),
        ("POST", "/public/unsubscribe/{token}"),
        ("GET", "/public/preferences/{token}"),
        ("POST", "/public/preferences/{token}"),
        ("GET", "/public/clicks/{token}"),
        ("GET", "/public/opens/{token}"),
    }
    open_functions = {route.function for route in load_routes() if route.open}
    assert open_functions == {"public_kb", "public_consent", "campaign_links"}


def test_the_api_answers_images_as_bytes_for_the_campaign_emails_open_pixel(dev: Synthesis) -> None:
    [api] = dev.of_type("AWS::ApiGateway::RestApi").values()
    assert api["Properties"]["BinaryMediaTypes"] == BINARY_MEDIA_TYPES == ["image/*"]


def test_the_pages_of_messages_links_require_their_token(operations: Methods) -> None:
    """No token and no key: the HMAC-signed token in the path authorizes (rapport.consent.links)."""
    for key in _open_keys():
        if key[1].endswith("{token}"):
            assert operations[key]["RequestParameters"] == {"method.request.path.token": True}, key


@pytest.mark.parametrize(("stage", "rate", "burst", "quota"), [("dev", 2, 5, 1000), ("prod", 5, 10, 5000)])
def test_the_usage_plan_throttles_each_key_and_caps_it_daily_on_the_stage(
    stage: str, rate: int, burst: int, quota: int, request: pytest.FixtureRequest
):
    synthesis: Synthesis = request.getfixturevalue(stage)
    [(stage_id, _)] = synthesis.of_type("AWS::ApiGateway::Stage").items()
    [api_id] = synthesis.of_type("AWS::ApiGateway::RestApi")
    [plan] = synthesis.of_type("AWS::ApiGateway::UsagePlan").values()
    properties = plan["Properties"]
    assert properties["UsagePlanName"] == f"Rapport-{stage}-web-forms"
    assert properties["Throttle"] == {"RateLimit": rate, "BurstLimit": burst}
    assert properties["Quota"] == {"Limit": quota, "Period": "DAY"}
    assert [(s["ApiId"], s["Stage"]) for s in properties["ApiStages"]] == [({"Ref": api_id}, {"Ref": stage_id})]
    assert synthesis.of_type("AWS::ApiGateway::ApiKey") == {}  # keys are the tenants' web forms', made at run time


def test_every_operation_is_validated_with_its_declared_parameters(dev: Synthesis, operations: Methods):
    [validator_id] = dev.of_type("AWS::ApiGateway::RequestValidator")
    validator = dev.resources[validator_id]["Properties"]
    assert validator["ValidateRequestBody"] is validator["ValidateRequestParameters"] is True
    for route in load_routes():
        method = operations[route.key]
        assert method["RequestValidatorId"] == {"Ref": validator_id}
        assert method.get("RequestParameters", {}) == route.request_parameters
        assert method["OperationName"] == route.operation_id


def test_path_parameters_are_required(operations: Methods) -> None:
    for (_, path), method in operations.items():
        if "{record_id}" in path:
            assert method["RequestParameters"]["method.request.path.record_id"] is True


def test_no_path_has_an_options_method_its_mock_answers_preflights(methods: Methods) -> None:
    """Every OPTIONS method would take a resource of a route stack, which may hold only 500."""
    assert [path for verb, path in methods if verb == "OPTIONS"] == []
    paths = allowed_methods(load_routes())
    assert len(methods) == len(load_routes()) + len(paths), "one method per operation, and each path's ANY"


def _responses(method: dict[str, Any]) -> tuple[dict[str, Any], dict[str, Any]]:
    """The mock's preflight response (selected by its 204) and its default one (the 405)."""
    integration = method["Integration"]
    assert set(integration["RequestTemplates"].values()) == {MOCK_REQUEST_TEMPLATE}
    [preflight] = [r for r in integration["IntegrationResponses"] if r.get("SelectionPattern") == "204"]
    [default] = [r for r in integration["IntegrationResponses"] if "SelectionPattern" not in r]
    assert len(integration["IntegrationResponses"]) == 2
    return preflight, default


def _literals(headers: dict[str, str]) -> dict[str, str]:
    return {f"method.response.header.{name}": f"'{value}'" for name, value in headers.items()}


def test_each_paths_mock_answers_a_preflight_with_204_and_the_cors_headers_the_code_declares(methods: Methods):
    routes = load_routes()
    preflights = path_preflights(routes, "http://localhost:5173")
    assert set(preflights) == set(allowed_methods(routes))
    for path, preflight in preflights.items():
        method = methods[("ANY", path)]
        response, _ = _responses(method)
        assert response["StatusCode"] == "204", path
        assert response["ResponseParameters"] == _literals(preflight.response_headers()), path
        assert "ResponseTemplates" not in response, "a preflight's answer has no body"
        [method_response] = [r for r in method["MethodResponses"] if r["StatusCode"] == "204"]
        assert method_response["ResponseParameters"] == dict.fromkeys(_literals(preflight.response_headers()), True)
    kinds: dict[str, set[str]] = {}
    for route in routes:
        kinds.setdefault(route.path, set()).add("open" if route.open else "web-to-lead" if route.api_key else "staff")
    assert {path for path, kind in kinds.items() if kind == {"web-to-lead"}} == {"/public/leads"}
    assert preflights["/public/leads"] == WEB_TO_LEAD_PREFLIGHT
    assert {preflights[path] for path, kind in kinds.items() if kind == {"open"}} == {OPEN_PREFLIGHT}
    assert {preflights[path] for path, kind in kinds.items() if kind == {"staff"}} == {
        staff_preflight("http://localhost:5173", sorted({route.method for route in routes}))
    }


def test_the_staff_preflight_is_the_consoles_origin_with_its_token_and_headers(methods: Methods) -> None:
    """What CDK's `addCorsPreflight` answered from the OPTIONS methods, for one origin: hence `Vary: Origin`."""
    response, _ = _responses(methods[("ANY", "/accounts")])
    assert response["ResponseParameters"] == {
        "method.response.header.Access-Control-Allow-Headers": "'Authorization,Content-Type,If-Match,Idempotency-Key'",
        "method.response.header.Access-Control-Allow-Origin": "'http://localhost:5173'",
        "method.response.header.Vary": "'Origin'",
        "method.response.header.Access-Control-Allow-Methods": "'DELETE,GET,PATCH,POST,PUT'",
        "method.response.header.Access-Control-Max-Age": "'600'",
        "method.response.header.Access-Control-Expose-Headers": "'ETag,Location'",
    }


def test_the_web_to_lead_preflight_lets_any_website_send_its_api_key(methods: Methods) -> None:
    response, _ = _responses(methods[("ANY", "/public/leads")])
    assert response["ResponseParameters"] == {
        "method.response.header.Access-Control-Allow-Headers": "'Content-Type,X-Api-Key'",
        "method.response.header.Access-Control-Allow-Origin": "'*'",
        "method.response.header.Access-Control-Allow-Methods": "'POST,OPTIONS'",
        "method.response.header.Access-Control-Max-Age": "'600'",
    }


def test_open_preflights_let_any_website_read_and_revalidate(methods: Methods) -> None:
    open_paths = {path for _, path in _open_keys()}
    # the public knowledge base's reads; the pages of messages' links (unsubscribe, preferences)
    assert len(open_paths) >= 4
    for path in open_paths:
        response, _ = _responses(methods[("ANY", path)])
        assert response["ResponseParameters"] == {
            "method.response.header.Access-Control-Allow-Headers": "'If-None-Match'",
            "method.response.header.Access-Control-Allow-Origin": "'*'",
            "method.response.header.Access-Control-Allow-Methods": "'GET,POST,OPTIONS'",
            "method.response.header.Access-Control-Max-Age": "'600'",
            "method.response.header.Access-Control-Expose-Headers": "'ETag,Cache-Control'",
        }, path


def test_prod_preflights_allow_prods_origin(prod: Synthesis) -> None:
    [response, _] = _responses(_methods(prod)[("ANY", "/accounts")])
    assert response["ResponseParameters"]["method.response.header.Access-Control-Allow-Origin"] == (
        "'https://crm.example.com'"
    )


def test_stage_traces_throttles_and_logs_json_access_logs(dev: Synthesis) -> None:
    [stage] = dev.of_type("AWS::ApiGateway::Stage").values()
    properties = stage["Properties"]
    assert properties["TracingEnabled"] is True
    [stage_wide, *per_method] = properties["MethodSettings"]
    assert stage_wide == {
        "HttpMethod": "*",
        "ResourcePath": "/*",
        "LoggingLevel": "ERROR",
        "DataTraceEnabled": False,
        "MetricsEnabled": True,
        "ThrottlingRateLimit": 20,
        "ThrottlingBurstLimit": 40,
    }
    # The open routes (no token, no key) have a throttle of their own: all callers share it, per method.
    assert {(s["HttpMethod"], s["ResourcePath"]) for s in per_method} == {
        (verb, "/" + path.replace("/", "~1")) for verb, path in _open_keys()
    }
    for settings in per_method:
        assert (settings["ThrottlingRateLimit"], settings["ThrottlingBurstLimit"]) == (50, 100)
    access_log = properties["AccessLogSetting"]
    assert set(json.loads(access_log["Format"])) >= {"requestId", "ip", "user", "apiKeyId", "httpMethod", "status"}
    [log_group_id] = [name for name in dev.of_type("AWS::Logs::LogGroup") if name.startswith("ApiAccessLogs")]
    assert {"Ref": log_group_id} in access_log["DestinationArn"]["Fn::Join"][1]
    assert dev.resources[log_group_id]["Properties"]["RetentionInDays"] == 14


def test_prod_stage_has_its_own_throttling_and_origin(prod: Synthesis) -> None:
    [stage] = prod.of_type("AWS::ApiGateway::Stage").values()
    [settings, *_] = stage["Properties"]["MethodSettings"]
    assert settings["ResourcePath"] == "/*"
    assert (settings["ThrottlingRateLimit"], settings["ThrottlingBurstLimit"]) == (200, 400)
    for function in prod.api_functions().values():
        assert function["Environment"]["Variables"]["ALLOWED_ORIGIN"] == "https://crm.example.com"


def _problem(template: str) -> dict[str, Any]:
    """A gateway response's body as a client gets it, API Gateway's context variables filled in."""
    filled = template.replace("$context.error.messageString", '"message"')
    problem: dict[str, Any] = json.loads(filled.replace("$context.error.validationErrorString", "missing: [x]"))
    return problem


def _error_class(slug: str) -> type[errors.RapportError]:
    classes = {
        error.slug: error
        for error in vars(errors).values()
        if isinstance(error, type) and issubclass(error, errors.RapportError)
    }
    return classes[slug]


def test_gateway_errors_are_the_functions_problems_a_browser_can_read(dev: Synthesis) -> None:
    responses = {
        r["Properties"]["ResponseType"]: r["Properties"]
        for r in dev.of_type("AWS::ApiGateway::GatewayResponse").values()
    }
    assert set(responses) == set(GATEWAY_PROBLEMS)
    assert responses["UNAUTHORIZED"]["StatusCode"] == "401"
    assert responses["MISSING_AUTHENTICATION_TOKEN"]["StatusCode"] == "404"
    assert (responses["INVALID_API_KEY"]["StatusCode"], responses["QUOTA_EXCEEDED"]["StatusCode"]) == ("403", "429")
    for response_type, response in responses.items():
        public = response_type in {"INVALID_API_KEY", "QUOTA_EXCEEDED"}  # only the public route gives them
        assert response["ResponseParameters"]["gatewayresponse.header.Content-Type"] == "'application/problem+json'"
        assert response["ResponseParameters"]["gatewayresponse.header.Access-Control-Allow-Origin"] == (
            "'*'" if public else "'http://localhost:5173'"
        )
        problem = _problem(response["ResponseTemplates"]["application/json"])
        slug = problem["type"].removeprefix("urn:rapport:problem:")
        error = _error_class(slug)
        assert (problem["title"], problem["status"]) == (error.title, int(response["StatusCode"])), response_type
        assert error.status == problem["status"] or error.status == 500 < problem["status"], response_type
    [entry] = _problem(responses["BAD_REQUEST_PARAMETERS"]["ResponseTemplates"]["application/json"])["errors"]
    assert (entry["in"], entry["message"]) == ("query", "missing: [x]")


def test_a_known_path_asked_with_another_method_is_a_405_that_lists_its_methods(dev: Synthesis, methods: Methods):
    allowed = allowed_methods(load_routes())
    assert {path for verb, path in methods if verb == "ANY"} == set(allowed)
    for path, verbs in allowed.items():
        method = methods[("ANY", path)]
        integration = method["Integration"]
        assert (integration["Type"], integration["PassthroughBehavior"]) == ("MOCK", "NEVER")
        assert set(integration["RequestTemplates"]) == {"application/json", "application/merge-patch+json"}
        _, response = _responses(method)
        assert response["StatusCode"] == "405"
        assert response["ResponseParameters"]["method.response.header.Allow"] == f"'{', '.join(verbs)}'"
        assert response["ResponseParameters"]["method.response.header.Content-Type"] == "'application/problem+json'"
        problem = _problem(response["ResponseTemplates"]["application/json"])
        assert (problem["type"], problem["status"]) == ("urn:rapport:problem:method-not-allowed", 405)
        assert problem["title"] == errors.MethodNotAllowed.title
        assert {verb for verb, known in methods if known == path} == {*verbs, "ANY"} - {"OPTIONS"}, "ANY answers it"
    assert allowed["/accounts"] == ["GET", "OPTIONS", "POST"]


def test_the_only_parameters_api_gateway_requires_are_path_and_query_ones_with_plain_names():
    """The BAD_REQUEST_PARAMETERS problem says `in: query` and quotes the names unescaped: both must hold."""
    for route in load_routes():
        for parameter, required in route.request_parameters.items():
            location, name = parameter.removeprefix("method.request.").split(".", 1)
            assert not required or location in ("path", "querystring"), parameter
            assert name.replace("_", "").replace("-", "").isalnum(), parameter


def test_prod_puts_the_api_stage_behind_the_web_acl_and_dev_has_none(dev: Synthesis, prod: Synthesis) -> None:
    assert dev.of_type("AWS::WAFv2::WebACL") == {}
    [association] = prod.of_type("AWS::WAFv2::WebACLAssociation").values()
    [stage_id] = prod.of_type("AWS::ApiGateway::Stage")
    assert {"Ref": stage_id} in association["Properties"]["ResourceArn"]["Fn::Join"][1]


API_RESOURCE_TYPES = {
    "AWS::ApiGateway::RestApi",
    "AWS::ApiGateway::Deployment",
    "AWS::ApiGateway::Stage",
    "AWS::ApiGateway::Account",
    "AWS::ApiGateway::Authorizer",
    "AWS::ApiGateway::RequestValidator",
    "AWS::ApiGateway::GatewayResponse",
    "AWS::ApiGateway::UsagePlan",
    "AWS::CloudFormation::Stack",  # its route stacks
    "AWS::IAM::Role",
    "AWS::Logs::LogGroup",
    "AWS::WAFv2::WebACL",
    "AWS::WAFv2::WebACLAssociation",
    "AWS::CDK::Metadata",
}
ROUTE_RESOURCE_TYPES = {"AWS::ApiGateway::Resource", "AWS::ApiGateway::Method", "AWS::CDK::Metadata"}


def test_api_gateway_may_invoke_each_function_through_one_permission(
    dev: Synthesis,
) -> None:
    invokers = [
        permission["Properties"]["FunctionName"]
        for permission in dev.of_type("AWS::Lambda::Permission").values()
        if permission["Properties"]["Principal"] == "apigateway.amazonaws.com"
    ]
    areas = dev.api_functions()
    api_functions = [
        function_id
        for function_id, function in dev.of_type("AWS::Lambda::Function").items()
        if function["Properties"]["Environment"]["Variables"]["POWERTOOLS_SERVICE_NAME"].removeprefix("rapport-")
        in areas
    ]
    assert len(api_functions) == len(areas)
    assert sorted(json.dumps(name) for name in invokers) == sorted(
        json.dumps({"Fn::GetAtt": [function_id, "Arn"]}) for function_id in api_functions
    )


def _api_stack(synthesis: Synthesis) -> dict[str, Any]:
    [api_stack] = [t for t in synthesis.templates.values() if "AWS::ApiGateway::RestApi" in _types(t)]
    return api_stack


def _route_templates(synthesis: Synthesis) -> dict[str, dict[str, Any]]:
    """The API stack's nested stacks' templates, by their construct ids (`Routes<n>`)."""
    api_stack = _api_stack(synthesis)["Resources"]
    return {
        api_stack[logical_id]["Metadata"]["aws:cdk:path"].split("/")[-2].removesuffix(".NestedStack"): template
        for logical_id, template in synthesis.templates.items()
        if logical_id in api_stack
    }


def _top_segments(template: dict[str, Any]) -> set[str]:
    """The path parts of a route stack's resources whose parent is not one of its own: the API's root's children."""
    resources = template["Resources"]
    return {
        resource["Properties"]["PathPart"]
        for resource in resources.values()
        if resource["Type"] == "AWS::ApiGateway::Resource"
        and resource["Properties"]["ParentId"].get("Ref") not in resources
    }


@pytest.mark.parametrize("stage", ["dev", "prod"])
def test_every_stack_stays_deployable_and_the_routes_are_spread_over_stacks_with_room_to_grow(
    stage: str, request: pytest.FixtureRequest
) -> None:
    """CloudFormation refuses a stack of more than 500 resources; the API's grow with every route: its stack holds the
    RestApi and what it has once, its route stacks whole top-level segments each, within their budget."""
    synthesis: Synthesis = request.getfixturevalue(stage)
    sizes = {name: len(template["Resources"]) for name, template in synthesis.templates.items()}
    assert all(size <= CLOUDFORMATION_RESOURCE_LIMIT for size in sizes.values()), sizes
    api_stack = _api_stack(synthesis)
    assert _types(api_stack) <= API_RESOURCE_TYPES, _types(api_stack) - API_RESOURCE_TYPES
    assert len(api_stack["Resources"]) < 100, "the API's stack does not grow with the routes"
    expected = {stack.name: stack for stack in route_stacks(load_routes())}
    templates = _route_templates(synthesis)
    assert set(templates) == set(expected)
    assert len(synthesis.templates) == 2 + len(expected), "the application's stack, the API's, its route stacks"
    for name, template in templates.items():
        assert _types(template) <= ROUTE_RESOURCE_TYPES, name
        assert _top_segments(template) == set(expected[name].segments), name
        own = sum(1 for resource in template["Resources"].values() if resource["Type"] != "AWS::CDK::Metadata")
        assert own + STACK_OVERHEAD == expected[name].resources <= ROUTE_STACK_BUDGET, name


def test_every_operation_and_each_paths_mock_is_one_method_in_one_stack(dev: Synthesis) -> None:
    """`methods` (by verb and path) would hide a method made twice: count them."""
    made = Counter(
        (method["Properties"]["HttpMethod"], _path(dev, method["Properties"]["ResourceId"]))
        for method in dev.of_type("AWS::ApiGateway::Method").values()
    )
    routes = load_routes()
    assert made == Counter([route.key for route in routes] + [("ANY", path) for path in allowed_methods(routes)])
    paths = Counter(_path(dev, {"Ref": logical_id}) for logical_id in dev.of_type("AWS::ApiGateway::Resource"))
    assert max(paths.values()) == 1, [path for path, count in paths.items() if count > 1]
    assert not _api_stack(dev)["Resources"].keys() & dev.of_type("AWS::ApiGateway::Method").keys()


@pytest.mark.parametrize("stage", ["dev", "prod"])
def test_the_stage_deploys_every_method_of_every_route_stack(stage: str, request: pytest.FixtureRequest) -> None:
    """The deployment is made once every method is (a method made after it is not deployed): it depends on each route
    stack, and every method is in one of them."""
    synthesis: Synthesis = request.getfixturevalue(stage)
    api_stack = _api_stack(synthesis)["Resources"]
    [(deployment_id, deployment)] = [(k, r) for k, r in api_stack.items() if r["Type"] == "AWS::ApiGateway::Deployment"]
    route_stacks_ = {logical_id for logical_id in synthesis.templates if logical_id in api_stack}
    assert set(deployment["DependsOn"]) == route_stacks_
    in_route_stacks = {
        logical_id
        for stack_id in route_stacks_
        for logical_id, resource in synthesis.templates[stack_id]["Resources"].items()
        if resource["Type"] == "AWS::ApiGateway::Method"
    }
    assert in_route_stacks == set(synthesis.of_type("AWS::ApiGateway::Method"))
    [stage_resource] = synthesis.of_type("AWS::ApiGateway::Stage").values()
    assert stage_resource["Properties"]["DeploymentId"] == {"Ref": deployment_id}
    assert stage_resource["Metadata"]["aws:cdk:path"].endswith(f"/Api/RestApi/DeploymentStage.{stage}/Resource"), (
        "the stage's logical id is the one the RestApi gave it when it deployed itself: it is updated, not replaced"
    )


def _types(template: dict[str, Any]) -> set[str]:
    return {resource["Type"] for resource in template["Resources"].values()}
