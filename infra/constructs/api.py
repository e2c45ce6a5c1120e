"""The REST API: one method per operation of the OpenAPI document, proxied to the function its
`x-rapport-function` names. Staff operations are behind the staff pool's Cognito authorizer, the customer portal's
(security `customer`) behind the customer pool's; public ones (security `api_key`,
web-to-lead) instead require an API key of the usage plan, which throttles each key and caps it per day; open ones
(empty `security`: the public knowledge base) take nothing and are throttled per method, below the stage. Each path's
ANY method, a mock, answers its CORS preflight and refuses the methods it does not serve (infra.gateway).

The RestApi, its account and access logs, gateway responses, request validator, authorizers, deployment, stage and
usage plan are made in the stack `Api` is in. The routes' resources and methods grow with every path: they are spread
over nested stacks of that stack (`Routes`, one per group of top-level path segments: infra.route_stacks says which
and what that guarantees), as CDK's "Breaking up Methods and Resources across Stacks" does. Their resources have the
RestApi itself as their API (not an import of it), so within a route stack a method takes the API's two authorizers
and its validator as it would beside them: CDK passes their ids in as the nested stack's parameters, and the API
keeps one authorizer per user pool (API Gateway allows 10 an API). The RestApi knows every method, so the deployment
(`deploy=False`, as CDK's pattern has it: made here, with its stage) depends on each, in whichever stack. A RestApi
that deploys itself re-makes its deployment when a method, resource, authorizer or gateway response changes, by adding
each to the deployment's logical id; to a deployment made apart CDK adds only the RestApi's own properties, so this
one's logical id is fed what the methods, resources, gateway responses and authorizers are made from (`_deployment`).
"""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Mapping
from typing import NamedTuple

from aws_cdk import NestedStack
from aws_cdk import aws_apigateway as apigw
from aws_cdk import aws_cognito as cognito
from aws_cdk import aws_iam as iam
from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_logs as logs
from constructs import Construct

from infra.config import StageConfig
from infra.gateway import (
    JSON_MEDIA_TYPES,
    METHOD_NOT_ALLOWED,
    MOCK_REQUEST_TEMPLATE,
    PREFLIGHT_STATUS,
    PathMock,
    gateway_responses,
    path_mocks,
)
from infra.nag import acknowledge
from infra.openapi import CUSTOMER_AUTHORIZER, Route
from infra.route_stacks import ROUTE_STACK_BUDGET, route_stacks, segment

DESCRIPTION = "Rapport CRM API (routes from functions/openapi.json)"
_F = apigw.AccessLogField
ACCESS_LOG_FIELDS = {
    "requestId": _F.context_request_id(),
    "requestTime": _F.context_request_time(),
    "ip": _F.context_identity_source_ip(),
    "userAgent": _F.context_identity_user_agent(),
    "user": _F.context_authorizer_claims("sub"),
    "apiKeyId": _F.context_identity_api_key_id(),
    "httpMethod": _F.context_http_method(),
    "resourcePath": _F.context_resource_path(),
    "path": _F.context_path(),
    "protocol": _F.context_protocol(),
    "status": _F.context_status(),
    "responseLength": _F.context_response_length(),
    "responseLatency": _F.context_response_latency(),
    "integrationLatency": _F.context_integration_latency(),
    "integrationStatus": _F.context_integration_status(),
    "error": _F.context_error_message(),
    "authorizeError": _F.context_authorize_error(),
    "wafResponseCode": _F.context_waf_response_code(),
    "xrayTraceId": _F.context_xray_trace_id(),
}
# A campaign email's open pixel is a GIF: API Gateway answers a function's base64 body as bytes when the request's
# first Accept type is one of these (mail clients and image proxies ask for images); no route takes an image.
BINARY_MEDIA_TYPES = ["image/*"]


class Api(Construct):
    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        routes: list[Route],
        functions: Mapping[str, lambda_.IFunction],
        user_pool: cognito.IUserPool,
        customer_pool: cognito.IUserPool,
        stage: StageConfig,
        name: str,
    ) -> None:
        """`name`: the API's, and its usage plan's prefix (the application stack's name, not a nested stack's)."""
        super().__init__(scope, construct_id)
        self.rest_api = self._rest_api(name)
        authorizers = Authorizers(
            staff=apigw.CognitoUserPoolsAuthorizer(self, "StaffAuthorizer", cognito_user_pools=[user_pool]),
            customers=apigw.CognitoUserPoolsAuthorizer(
                self, "CustomerAuthorizer", cognito_user_pools=[customer_pool], authorizer_name=CUSTOMER_AUTHORIZER
            ),
            validator=self.rest_api.add_request_validator(
                "RequestValidator", validate_request_parameters=True, validate_request_body=True
            ),
        )
        integrations = {name: self._invoking(function) for name, function in functions.items()}
        mocks = path_mocks(routes, stage.allowed_origin)
        for group in route_stacks(routes):
            if group.resources > ROUTE_STACK_BUDGET:
                raise ValueError(
                    f"the route stack {group.name} ({', '.join(group.segments)}) would hold {group.resources} "
                    f"resources, over its budget of {ROUTE_STACK_BUDGET}: raise infra.route_stacks.ROUTE_STACKS"
                )
            Routes(
                self,
                group.name,
                rest_api=self.rest_api,
                routes=[route for route in routes if segment(route.path) in group.segments],
                mocks={path: mock for path, mock in mocks.items() if segment(path) in group.segments},
                integrations=integrations,
                authorizers=authorizers,
            )
        self._add_gateway_errors(stage.allowed_origin)
        self.deployment = self._deployment(routes, mocks, stage.allowed_origin, user_pool, customer_pool)
        self.rest_api.deployment_stage = self._stage(stage, open_routes=[r for r in routes if r.open])
        public = [route for route in routes if route.api_key]
        self.usage_plan_name = f"{name}-web-forms"
        self.usage_plan = self._usage_plan(stage) if public else None

    def _invoking(self, function: lambda_.IFunction) -> apigw.Integration:
        """A Lambda proxy integration of `function` (the one `LambdaIntegration` makes), and one permission for any
        of this API's methods to invoke it (the API routes only a function's own operations to it). The permission
        is made beside the function, in its stack: one per method would take resources of the 500 a stack may have."""
        function.add_permission(
            "ApiInvoke",
            principal=iam.ServicePrincipal("apigateway.amazonaws.com"),
            source_arn=self.rest_api.arn_for_execute_api(),
        )
        return apigw.AwsIntegration(
            proxy=True, service="lambda", path=f"2015-03-31/functions/{function.function_arn}/invocations"
        )

    def _deployment(
        self,
        routes: list[Route],
        mocks: dict[str, PathMock],
        allowed_origin: str,
        user_pool: cognito.IUserPool,
        customer_pool: cognito.IUserPool,
    ) -> apigw.Deployment:
        """The stage's deployment, made again (a new logical id) whenever what the API serves changes: CDK adds the
        RestApi's own properties to its logical id; this adds the routes, the path mocks, the gateway responses and
        the authorizers, as CDK adds the methods, resources and authorizers of a RestApi it deploys itself. Named as
        the RestApi's own deployment was (`deploy=True`), and so is the stage: the stage keeps its logical id."""
        deployment = apigw.Deployment(self.rest_api, "Deployment", api=self.rest_api, description=DESCRIPTION)
        served = {
            "routes": [dataclasses.asdict(route) for route in routes],
            "mocks": {
                "request_template": MOCK_REQUEST_TEMPLATE,
                "media_types": JSON_MEDIA_TYPES,
                "paths": {path: mock._asdict() for path, mock in mocks.items()},
            },
            "gateway_responses": gateway_responses(allowed_origin),
            "authorizers": {"staff": user_pool.user_pool_arn, CUSTOMER_AUTHORIZER: customer_pool.user_pool_arn},
        }
        deployment.add_to_logical_id(json.loads(json.dumps(served)))  # as JSON: jsii takes no tuples
        return deployment

    def _stage(self, stage: StageConfig, open_routes: list[Route]) -> apigw.Stage:
        access_logs = logs.LogGroup(
            self, "AccessLogs", retention=stage.log_retention, removal_policy=stage.removal_policy
        )
        return apigw.Stage(
            self.rest_api,
            f"DeploymentStage.{stage.name}",
            deployment=self.deployment,
            stage_name=stage.name,
            access_log_destination=apigw.LogGroupLogDestination(access_logs),
            access_log_format=apigw.AccessLogFormat.custom(json.dumps(ACCESS_LOG_FIELDS)),
            tracing_enabled=True,
            metrics_enabled=True,
            logging_level=apigw.MethodLoggingLevel.ERROR,
            data_trace_enabled=False,
            throttling_rate_limit=stage.throttle_rate_limit,
            throttling_burst_limit=stage.throttle_burst_limit,
            method_options={
                f"{route.path}/{route.method}": apigw.MethodDeploymentOptions(
                    throttling_rate_limit=stage.public_rate_limit, throttling_burst_limit=stage.public_burst_limit
                )
                for route in open_routes
            },
        )

    def _usage_plan(self, stage: StageConfig) -> apigw.UsagePlan:
        """The usage plan every web form's API key joins (the web forms function adds them): a rate limit per key
        and a daily quota, on this API's stage."""
        return self.rest_api.add_usage_plan(
            "WebFormUsagePlan",
            name=self.usage_plan_name,
            description="Each web form's API key (POST /public/leads): throttled, with a daily quota",
            throttle=apigw.ThrottleSettings(
                rate_limit=stage.web_form_rate_limit, burst_limit=stage.web_form_burst_limit
            ),
            quota=apigw.QuotaSettings(limit=stage.web_form_quota_per_day, period=apigw.Period.DAY),
            api_stages=[apigw.UsagePlanPerApiStage(api=self.rest_api, stage=self.rest_api.deployment_stage)],
        )

    def _rest_api(self, name: str) -> apigw.RestApi:
        api = apigw.RestApi(
            self,
            "RestApi",
            rest_api_name=name,
            description=DESCRIPTION,
            endpoint_types=[apigw.EndpointType.REGIONAL],
            cloud_watch_role=True,
            deploy=False,
            binary_media_types=BINARY_MEDIA_TYPES,
        )
        acknowledge(
            api,
            "AwsSolutions::AwsSolutions-IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/"
            "AmazonAPIGatewayPushToCloudWatchLogs]",
            "API Gateway's account-level logging role, needed for the access and execution logs; the AWS "
            "managed policy is the one AWS maintains for exactly this role.",
        )
        return api

    def _add_gateway_errors(self, allowed_origin: str) -> None:
        for response_type, (status, headers, template) in gateway_responses(allowed_origin).items():
            self.rest_api.add_gateway_response(
                f"{response_type}Response",
                type=apigw.ResponseType.of(response_type),
                status_code=str(status),
                response_headers={name: f"'{value}'" for name, value in headers.items()},
                templates={"application/json": template},
            )


class Authorizers(NamedTuple):
    """What the routes' methods are checked by, made beside the RestApi."""

    staff: apigw.IAuthorizer
    customers: apigw.IAuthorizer
    validator: apigw.IRequestValidator


class Routes(NestedStack):
    """The resources and methods of some top-level path segments (infra.route_stacks): each route's method, and each
    path's mock."""

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        rest_api: apigw.RestApi,
        routes: list[Route],
        mocks: dict[str, PathMock],
        integrations: Mapping[str, apigw.Integration],
        authorizers: Authorizers,
    ) -> None:
        super().__init__(scope, construct_id)
        self._rest_api = rest_api
        self._segments: dict[str, apigw.Resource] = {}
        for route in routes:
            self._add_route(route, integrations[route.function], authorizers)
        for path, mock in mocks.items():
            self._add_path_mock(path, mock)

    def _resource(self, path: str) -> apigw.IResource:
        """The resource of `path`, its top-level segment's made in this stack (its own are made under it)."""
        top = segment(path)
        if top not in self._segments:
            self._segments[top] = apigw.Resource(self, top, parent=self._rest_api.root, path_part=top)
        return self._segments[top].resource_for_path(path.strip("/").removeprefix(top).strip("/"))

    def _add_route(self, route: Route, integration: apigw.Integration, authorizers: Authorizers) -> None:
        resource = self._resource(route.path)
        if route.open or route.api_key:
            method = resource.add_method(
                route.method,
                integration,
                authorization_type=apigw.AuthorizationType.NONE,
                api_key_required=route.api_key or None,
                request_validator=authorizers.validator,
                request_parameters=route.request_parameters,
                operation_name=route.operation_id,
            )
            for finding in ("AwsSolutions::AwsSolutions-APIG4", "AwsSolutions::AwsSolutions-COG4"):
                acknowledge(method, finding, _PUBLIC if route.api_key else _OPEN)
            return
        resource.add_method(
            route.method,
            integration,
            authorization_type=apigw.AuthorizationType.COGNITO,
            authorizer=authorizers.customers if route.customer else authorizers.staff,
            request_validator=authorizers.validator,
            request_parameters=route.request_parameters,
            operation_name=route.operation_id,
        )

    def _add_path_mock(self, path: str, mock: PathMock) -> None:
        """The path's ANY method: a mock answering a preflight with 204 and the path's CORS headers, any other method
        it does not serve with 405 and `Allow`."""
        integration = apigw.MockIntegration(
            request_templates={media_type: MOCK_REQUEST_TEMPLATE for media_type in JSON_MEDIA_TYPES},
            passthrough_behavior=apigw.PassthroughBehavior.NEVER,
            integration_responses=[
                apigw.IntegrationResponse(
                    status_code=str(PREFLIGHT_STATUS),
                    selection_pattern=str(PREFLIGHT_STATUS),
                    response_parameters=_header_literals(mock.preflight),
                ),
                apigw.IntegrationResponse(
                    status_code=str(METHOD_NOT_ALLOWED.status),
                    response_parameters=_header_literals(mock.refusal),
                    response_templates={"application/json": mock.refusal_body},
                ),
            ],
        )
        method = self._resource(path).add_method(
            "ANY",
            integration,
            authorization_type=apigw.AuthorizationType.NONE,
            method_responses=[
                apigw.MethodResponse(
                    status_code=str(status),
                    response_parameters={f"method.response.header.{name}": True for name in headers},
                )
                for status, headers in ((PREFLIGHT_STATUS, mock.preflight), (METHOD_NOT_ALLOWED.status, mock.refusal))
            ],
        )
        for finding in ("AwsSolutions::AwsSolutions-APIG4", "AwsSolutions::AwsSolutions-COG4"):
            acknowledge(
                method,
                finding,
                "Answers a CORS preflight, or a method the path does not serve with a 405 and its Allow header, "
                "from a mock integration: no function runs and no data is read, so there is nothing to authorize.",
            )


_PUBLIC = (
    "A public web-to-lead route, called by the tenant's website forms, which have no staff token: it requires an API "
    "key of the usage plan (throttled, daily quota), and the function maps that key to its tenant and form and "
    "refuses revoked ones."
)
_OPEN = (
    "An open route, for people with no account: the reads of a tenant's published public knowledge base (only what "
    "the tenant published as public, a 404 for anything else), or the pages of a message's links (unsubscribe, "
    "preferences), whose HMAC-signed token in the path names the tenant and contact and is checked before anything "
    "is read or changed. Throttled per method."
)


def _header_literals(headers: dict[str, str]) -> dict[str, str]:
    """Method response headers set to constants, as an integration response maps them."""
    return {f"method.response.header.{name}": f"'{value}'" for name, value in headers.items()}
