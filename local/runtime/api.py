"""The REST API of the template: its methods and resource paths, their integrations, authorizers, required
parameters and gateway responses, as API Gateway would serve them.

A MOCK integration's status is what its request template for the request's media type renders, and its answer the
integration response whose selection pattern matches that status (else the one without a pattern). The local runtime
evaluates a subset of the templates' language, and refuses any other template with a TemplateError when it loads:
`{"statusCode": N}`, and `#if($context.httpMethod == "M"){"statusCode": A}#else{"statusCode": B}#end` (A for the
method M, B for any other). A mock with no template for the request's media type answers 200, or, when its
passthrough behaviour is NEVER (or WHEN_NO_TEMPLATES and it has templates), API Gateway's 415.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from local.runtime.template import CloudAssembly, TemplateError

# API Gateway's own status for each response type; DEFAULT_4XX and DEFAULT_5XX keep the error's status.
DEFAULT_STATUS = {
    "ACCESS_DENIED": 403,
    "BAD_REQUEST_BODY": 400,
    "BAD_REQUEST_PARAMETERS": 400,
    "INTEGRATION_FAILURE": 504,
    "INTEGRATION_TIMEOUT": 504,
    "INVALID_API_KEY": 403,
    "MISSING_AUTHENTICATION_TOKEN": 403,
    "REQUEST_TOO_LARGE": 413,
    "RESOURCE_NOT_FOUND": 404,
    "THROTTLED": 429,
    "UNAUTHORIZED": 401,
}
ERROR_TYPES = {
    "BAD_REQUEST_PARAMETERS": "BadRequestException",
    "INVALID_API_KEY": "ForbiddenException",
    "MISSING_AUTHENTICATION_TOKEN": "MissingAuthenticationTokenException",
    "UNAUTHORIZED": "UnauthorizedException",
    "DEFAULT_5XX": "InternalServerErrorException",
}
_DEFAULT_TEMPLATE = '{"message":$context.error.messageString}'
_PARAMETER = re.compile(r"^method\.request\.(path|querystring|header)\.(.+)$")
_LITERAL = re.compile(r"^'(.*)'$")
_STATUS = r'\{\s*"statusCode"\s*:\s*(\d{3})\s*\}'
_CONSTANT_STATUS = re.compile(rf"\s*{_STATUS}\s*")
_STATUS_BY_METHOD = re.compile(
    rf'\s*#if\(\s*\$context\.httpMethod\s*==\s*"([A-Z]+)"\s*\)\s*{_STATUS}\s*#else\s*{_STATUS}\s*#end\s*'
)


@dataclass(frozen=True)
class StatusTemplate:
    """A mock's request template: the status it renders for the request's method."""

    otherwise: int
    method: str | None = None
    status_for_method: int = 0

    @classmethod
    def parse(cls, template: str) -> StatusTemplate:
        if constant := _CONSTANT_STATUS.fullmatch(template):
            return cls(int(constant.group(1)))
        if by_method := _STATUS_BY_METHOD.fullmatch(template):
            return cls(int(by_method.group(3)), by_method.group(1), int(by_method.group(2)))
        raise TemplateError(f"the local runtime cannot evaluate the mock request template {template!r}")

    def status(self, http_method: str) -> int:
        return self.status_for_method if http_method == self.method else self.otherwise


@dataclass(frozen=True)
class MockResponse:
    status: int
    headers: dict[str, str]
    body: str
    selection_pattern: re.Pattern[str] | None = None


@dataclass(frozen=True)
class Mock:
    templates: dict[str, StatusTemplate]  # by the request's media type
    responses: tuple[MockResponse, ...]
    unmapped_refused: bool = False  # a media type with no template is API Gateway's 415, not passed through

    def status(self, media_type: str, http_method: str) -> int | None:
        """The status the request's template renders; None when its media type is refused."""
        template = self.templates.get(media_type)
        if template is None:
            return None if self.unmapped_refused else 200
        return template.status(http_method)

    def response(self, status: int) -> MockResponse | None:
        """The integration response selected for `status`: the first whose pattern matches it, else the default."""
        selected = [r for r in self.responses if r.selection_pattern and r.selection_pattern.fullmatch(str(status))]
        return next(iter(selected), None) or next((r for r in self.responses if r.selection_pattern is None), None)


@dataclass(frozen=True)
class Authorizer:
    logical_id: str
    kind: str
    header: str
    name: str = ""


@dataclass(frozen=True)
class Method:
    http_method: str
    resource: str
    resource_id: str
    operation_name: str | None
    integration: str | Mock  # the function a proxy integration invokes (its logical id), or the mock
    authorizer: Authorizer | None = None
    required: tuple[tuple[str, str], ...] = ()
    api_key_required: bool = False

    def missing(self, headers: dict[str, str], query: dict[str, str]) -> list[str]:
        """The required header and query parameters the request lacks (header names case-insensitively)."""
        present = {"header": {name.lower() for name in headers}, "querystring": set(query)}
        return [
            name
            for location, name in self.required
            if location in present and (name.lower() if location == "header" else name) not in present[location]
        ]


@dataclass(frozen=True)
class GatewayResponse:
    status: int | None
    headers: dict[str, str]
    template: str

    def render(self, message: str, request_id: str, response_type: str, validation: str = "") -> str:
        return (
            self.template.replace("$context.error.messageString", json.dumps(message))
            .replace("$context.error.validationErrorString", json.dumps(validation)[1:-1])
            .replace("$context.error.message", message)
            .replace("$context.error.responseType", response_type)
            .replace("$context.requestId", request_id)
        )


@dataclass(frozen=True)
class RestApi:
    logical_id: str
    stage: str
    methods: tuple[Method, ...]
    responses: dict[str, GatewayResponse]
    binary_media_types: tuple[str, ...]

    def match(self, http_method: str, path: str) -> tuple[Method, dict[str, str]] | None:
        """The method serving the request and its raw path parameters; the most specific resource wins, and on a
        resource its own method wins over its ANY."""
        segments = _segments(path)
        best: tuple[tuple[tuple[int, ...], bool], Method, dict[str, str]] | None = None
        for method in self.methods:
            if method.http_method not in (http_method, "ANY"):
                continue
            matched = _match(_segments(method.resource), segments)
            if matched is None:
                continue
            rank = (matched[0], method.http_method == http_method)
            if best is None or rank > best[0]:
                best = (rank, method, matched[1])
        return None if best is None else (best[1], best[2])

    def gateway_response(self, response_type: str, status: int) -> tuple[int, GatewayResponse]:
        """The response API Gateway gives for `response_type`: its own, else the DEFAULT_4XX/5XX one."""
        fallback = "DEFAULT_5XX" if status >= 500 else "DEFAULT_4XX"
        response = self.responses.get(response_type) or self.responses.get(fallback)
        response = response or GatewayResponse(None, {}, _DEFAULT_TEMPLATE)
        return response.status or status, response


def _segments(path: str) -> list[str]:
    return [segment for segment in path.split("/") if segment]


def _match(pattern: list[str], segments: list[str]) -> tuple[tuple[int, ...], dict[str, str]] | None:
    """How specific the match is (per segment: 2 literal, 1 parameter, 0 greedy) and the parameters."""
    rank: list[int] = []
    parameters: dict[str, str] = {}
    for index, part in enumerate(pattern):
        if part.startswith("{") and part.endswith("+}"):
            if index >= len(segments):
                return None
            parameters[part[1:-2]] = "/".join(segments[index:])
            return (*rank, 0), parameters
        if index >= len(segments):
            return None
        if part.startswith("{") and part.endswith("}"):
            parameters[part[1:-1]] = segments[index]
            rank.append(1)
        elif part == segments[index]:
            rank.append(2)
        else:
            return None
    return (tuple(rank), parameters) if len(pattern) == len(segments) else None


def load_rest_api(assembly: CloudAssembly) -> RestApi:
    apis = [logical_id for logical_id, _ in assembly.of_type("AWS::ApiGateway::RestApi")]
    if len(apis) != 1:
        raise TemplateError(f"the local runtime serves one REST API; the template has {len(apis)}")
    api_id = apis[0]
    paths = _resource_paths(assembly, api_id)
    authorizers = _authorizers(assembly)
    methods = tuple(
        _method(assembly, properties, paths, authorizers)
        for properties in _properties_of(assembly, "AWS::ApiGateway::Method", api_id)
    )
    responses = {
        str(properties["ResponseType"]): _gateway_response(properties)
        for properties in _properties_of(assembly, "AWS::ApiGateway::GatewayResponse", api_id)
    }
    stages = [str(p["StageName"]) for p in _properties_of(assembly, "AWS::ApiGateway::Stage", api_id)]
    binary = tuple(assembly.properties(api_id).get("BinaryMediaTypes", []))
    return RestApi(api_id, stages[0] if stages else "prod", methods, responses, binary)


def _properties_of(assembly: CloudAssembly, resource_type: str, api_id: str) -> Iterator[dict[str, Any]]:
    for _, resource in assembly.of_type(resource_type):
        properties: dict[str, Any] = resource.get("Properties", {})
        if properties.get("RestApiId") == {"Ref": api_id}:
            yield properties


def _resource_paths(assembly: CloudAssembly, api_id: str) -> dict[str, str]:
    """Each API Gateway resource's path, keyed by its logical id; the root is keyed `<api>.RootResourceId`."""
    root = f"{api_id}.RootResourceId"
    parents = {
        logical_id: (_resource_key(resource["Properties"]["ParentId"]), str(resource["Properties"]["PathPart"]))
        for logical_id, resource in assembly.of_type("AWS::ApiGateway::Resource")
        if resource["Properties"].get("RestApiId") == {"Ref": api_id}
    }
    paths = {root: "/"}

    def path_of(key: str) -> str:
        if key not in paths:
            parent, part = parents[key]
            paths[key] = path_of(parent).rstrip("/") + "/" + part
        return paths[key]

    for logical_id in parents:
        path_of(logical_id)
    return paths


def _resource_key(reference: Any) -> str:
    if isinstance(reference, dict) and "Ref" in reference:
        return str(reference["Ref"])
    if isinstance(reference, dict) and "Fn::GetAtt" in reference:
        return ".".join(reference["Fn::GetAtt"])
    raise TemplateError(f"unexpected resource reference {reference}")


def _authorizers(assembly: CloudAssembly) -> dict[str, Authorizer]:
    authorizers = {}
    for logical_id, resource in assembly.of_type("AWS::ApiGateway::Authorizer"):
        properties = resource["Properties"]
        source = str(properties.get("IdentitySource", "method.request.header.Authorization"))
        kind, header = str(properties["Type"]), source.rsplit(".", 1)[-1]
        authorizers[logical_id] = Authorizer(logical_id, kind, header, str(properties.get("Name", "")))
    return authorizers


def _method(
    assembly: CloudAssembly, properties: dict[str, Any], paths: dict[str, str], authorizers: dict[str, Authorizer]
) -> Method:
    resource_id = _resource_key(properties["ResourceId"])
    http_method, resource = str(properties["HttpMethod"]), paths[resource_id]
    integration = properties.get("Integration", {})
    if integration.get("Type") not in ("AWS_PROXY", "MOCK"):
        raise TemplateError(f"{http_method} {resource}: no local {integration.get('Type')} integration")
    authorizer = None
    if properties.get("AuthorizationType", "NONE") != "NONE":
        authorizer = authorizers[_resource_key(properties["AuthorizerId"])]
        if authorizer.kind != "COGNITO_USER_POOLS":
            raise TemplateError(f"the local runtime has no {authorizer.kind} authorizer")
    return Method(
        http_method=http_method,
        resource=resource,
        resource_id=resource_id,
        operation_name=properties.get("OperationName"),
        integration=_mock(integration) if integration["Type"] == "MOCK" else _function_of(assembly, integration["Uri"]),
        authorizer=authorizer,
        required=tuple(_required(properties.get("RequestParameters", {}))),
        api_key_required=bool(properties.get("ApiKeyRequired", False)),
    )


def _mock(integration: dict[str, Any]) -> Mock:
    templates = {
        media_type: StatusTemplate.parse(str(template))
        for media_type, template in integration.get("RequestTemplates", {}).items()
    }
    passthrough = integration.get("PassthroughBehavior", "WHEN_NO_MATCH")
    refused = passthrough == "NEVER" or (passthrough == "WHEN_NO_TEMPLATES" and bool(templates))
    return Mock(templates, tuple(_mock_response(r) for r in integration.get("IntegrationResponses", [])), refused)


def _mock_response(response: dict[str, Any]) -> MockResponse:
    pattern = response.get("SelectionPattern")
    try:
        selection = re.compile(str(pattern)) if pattern else None
    except re.error as error:
        raise TemplateError(f"the selection pattern {pattern!r} is not a regular expression: {error}") from error
    return MockResponse(
        status=int(response.get("StatusCode", 200)),
        headers=_literal_headers(response.get("ResponseParameters", {}), "method.response.header."),
        body=(response.get("ResponseTemplates") or {}).get("application/json", ""),
        selection_pattern=selection,
    )


def _required(parameters: dict[str, bool]) -> Iterator[tuple[str, str]]:
    for name, required in parameters.items():
        matched = _PARAMETER.match(name)
        if required and matched and matched.group(1) != "path":
            yield matched.group(1), matched.group(2)


def _function_of(assembly: CloudAssembly, uri: Any) -> str:
    """The function a proxy integration's URI names through `Fn::GetAtt [<function>, Arn]`."""
    for logical_id in _get_att_targets(uri):
        if assembly.resources.get(logical_id, {}).get("Type") == "AWS::Lambda::Function":
            return logical_id
    raise TemplateError(f"no function of the stack in the integration URI {uri}")


def _get_att_targets(value: Any) -> Iterator[str]:
    if isinstance(value, dict):
        attribute = value.get("Fn::GetAtt")
        if isinstance(attribute, list):
            yield str(attribute[0])
        for item in value.values():
            yield from _get_att_targets(item)
    elif isinstance(value, list):
        for item in value:
            yield from _get_att_targets(item)


def _gateway_response(properties: dict[str, Any]) -> GatewayResponse:
    templates: dict[str, str] = properties.get("ResponseTemplates", {})
    template = templates.get("application/json") or next(iter(templates.values()), _DEFAULT_TEMPLATE)
    status = properties.get("StatusCode")
    headers = _literal_headers(properties.get("ResponseParameters", {}), "gatewayresponse.header.")
    return GatewayResponse(int(status) if status else None, headers, template)


def _literal_headers(parameters: dict[str, str], prefix: str) -> dict[str, str]:
    headers = {}
    for name, value in parameters.items():
        literal = _LITERAL.match(str(value))
        if name.startswith(prefix) and literal:
            headers[name.removeprefix(prefix)] = literal.group(1)
    return headers
