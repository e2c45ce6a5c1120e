"""A mock integration, locally as in API Gateway: its request template renders the status, which selects the
integration response; a template outside the subset the local runtime evaluates is refused when it loads."""

from __future__ import annotations

import re
from typing import Any

import pytest

from local.runtime.api import Mock, MockResponse, StatusTemplate, load_rest_api
from local.runtime.gateway import ApiGateway, HttpRequest
from local.runtime.template import CloudAssembly, TemplateError
from local.runtime.tokens import TokenIssuer

PREFLIGHT_OR_405 = '#if($context.httpMethod == "OPTIONS"){"statusCode": 204}#else{"statusCode": 405}#end'


@pytest.mark.parametrize(
    ("template", "method", "status"),
    [
        ('{"statusCode": 200}', "GET", 200),
        ('  {"statusCode":405}\n', "OPTIONS", 405),
        (PREFLIGHT_OR_405, "OPTIONS", 204),
        (PREFLIGHT_OR_405, "GET", 405),
        (PREFLIGHT_OR_405, "options", 405),  # API Gateway's method is upper case: "options" is another one
        ('#if( $context.httpMethod == "PUT" )\n  {"statusCode": 201}\n#else\n  {"statusCode": 400}\n#end', "PUT", 201),
    ],
)
def test_a_request_template_renders_its_status_for_the_method(template: str, method: str, status: int) -> None:
    assert StatusTemplate.parse(template).status(method) == status


@pytest.mark.parametrize(
    "template",
    [
        "{ statusCode: 200 }",
        '{"statusCode": "200"}',
        '{"statusCode": 200, "message": "x"}',
        '#if($input.params("scope") == "internal"){"statusCode": 200}#else{"statusCode": 500}#end',
        '#if($context.httpMethod != "OPTIONS"){"statusCode": 405}#else{"statusCode": 204}#end',
        '#if($context.httpMethod == "OPTIONS"){"statusCode": 204}#end',
        '#set($s = 200){"statusCode": $s}',
    ],
)
def test_any_other_template_is_refused_when_the_api_loads(assembly: CloudAssembly, template: str) -> None:
    with pytest.raises(TemplateError, match="cannot evaluate the mock request template"):
        StatusTemplate.parse(template)
    with pytest.raises(TemplateError, match="cannot evaluate the mock request template"):
        load_rest_api(_with_mock(assembly, {"RequestTemplates": {"application/json": template}}))


def _response(status: int, pattern: str | None = None) -> MockResponse:
    return MockResponse(status, {}, "", re.compile(pattern) if pattern else None)


def test_the_integration_response_is_the_one_whose_pattern_matches_the_status_else_the_default() -> None:
    mock = Mock({}, (_response(405), _response(204, "204"), _response(400, "4\\d\\d")))
    assert mock.response(204) == _response(204, "204")
    assert mock.response(404) == _response(400, "4\\d\\d")
    assert mock.response(405) == _response(400, "4\\d\\d"), "a matching pattern wins over the default"
    assert mock.response(200) == _response(405)
    assert mock.response(2040) == _response(405), "a pattern matches the whole status"
    assert Mock({}, (_response(204, "204"),)).response(405) is None


@pytest.mark.parametrize(
    ("passthrough", "templates", "status"),
    [
        ("NEVER", {"application/json": '{"statusCode": 405}'}, None),
        ("WHEN_NO_TEMPLATES", {"application/json": '{"statusCode": 405}'}, None),
        ("WHEN_NO_MATCH", {"application/json": '{"statusCode": 405}'}, 200),
        ("WHEN_NO_TEMPLATES", {}, 200),
        ("NEVER", {}, None),
    ],
)
def test_a_media_type_without_a_template_is_refused_or_passed_through_as_the_mock_says(
    assembly: CloudAssembly, passthrough: str, templates: dict[str, str], status: int | None
) -> None:
    integration = {"PassthroughBehavior": passthrough, "RequestTemplates": templates}
    [method] = [m for m in load_rest_api(_with_mock(assembly, integration)).methods if m.resource == "/files"]
    assert isinstance(method.integration, Mock)
    assert method.integration.status("text/plain", "GET") == status
    if templates:
        assert method.integration.status("application/json", "GET") == 405


def test_a_selection_pattern_that_is_no_regular_expression_is_refused(assembly: CloudAssembly) -> None:
    responses = {"IntegrationResponses": [{"StatusCode": "204", "SelectionPattern": "2(04"}]}
    with pytest.raises(TemplateError, match="selection pattern"):
        load_rest_api(_with_mock(assembly, responses))


def test_a_status_no_integration_response_is_selected_for_is_api_gateways_500(assembly: CloudAssembly) -> None:
    integration = {
        "RequestTemplates": {"application/json": PREFLIGHT_OR_405},
        "IntegrationResponses": [{"StatusCode": "204", "SelectionPattern": "204"}],
    }
    gateway = ApiGateway(
        load_rest_api(_with_mock(assembly, integration)), _no_function, TokenIssuer(b"k" * 32, "r"), {}
    )
    assert gateway.handle(HttpRequest("OPTIONS", "/files", [])).status == 204
    assert gateway.handle(HttpRequest("GET", "/files", [])).status == 500


def _no_function(logical_id: str, event: Any) -> Any:
    raise AssertionError(f"a mock invoked {logical_id}")


def _with_mock(assembly: CloudAssembly, integration: dict[str, Any]) -> CloudAssembly:
    """The assembly with an ANY mock on /files."""
    api = next(logical_id for logical_id, _ in assembly.of_type("AWS::ApiGateway::RestApi"))
    method = {
        "Type": "AWS::ApiGateway::Method",
        "Properties": {
            "HttpMethod": "ANY",
            "ResourceId": {"Ref": "Files"},
            "RestApiId": {"Ref": api},
            "AuthorizationType": "NONE",
            "Integration": {"Type": "MOCK", **integration},
        },
    }
    template = {**assembly.template, "Resources": {**assembly.template["Resources"], "FilesAny": method}}
    return CloudAssembly(assembly.directory, assembly.stack_name, template)
