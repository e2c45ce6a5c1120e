"""The REST API: one method per operation of the OpenAPI document, proxied to the function its
`x-rapport-function` names. Staff operations are behind the Cognito authorizer; public ones (security `api_key`,
web-to-lead) instead require an API key of the usage plan, which throttles each key and caps it per day; open ones
(empty `security`: the public knowledge base) take nothing and are throttled per method, below the stage."""

from __future__ import annotations

import json
from collections.abc import Mapping

from aws_cdk import Duration
from aws_cdk import aws_apigateway as apigw
from aws_cdk import aws_cognito as cognito
from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_logs as logs
from constructs import Construct

from infra.config import StageConfig
from infra.gateway import JSON_MEDIA_TYPES, PROBLEM_JSON, gateway_responses, method_not_allowed
from infra.nag import acknowledge
from infra.openapi import Route, allowed_methods

ALLOW_HEADERS = ["Authorization", "Content-Type", "If-Match", "Idempotency-Key"]
EXPOSE_HEADERS = ["ETag", "Location"]
# Public routes are called from tenants' websites, anywhere: the API key, not the origin, authorizes them.
PUBLIC_ALLOW_HEADERS = ["Content-Type", "X-Api-Key"]
# Open routes are read from anywhere, and cached: a client revalidates with the ETag it has.
OPEN_ALLOW_HEADERS = ["If-None-Match"]
OPEN_EXPOSE_HEADERS = ["ETag", "Cache-Control"]
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


class Api(Construct):
    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        routes: list[Route],
        functions: Mapping[str, lambda_.IFunction],
        user_pool: cognito.IUserPool,
        stage: StageConfig,
        name: str,
    ) -> None:
        """`name`: the API's, and its usage plan's prefix (the application stack's name, not a nested stack's)."""
        super().__init__(scope, construct_id)
        self.rest_api = self._rest_api(stage, name, open_routes=[r for r in routes if r.open])
        self._routed = {route.path for route in routes}
        self._staff_cors = apigw.CorsOptions(
            allow_origins=[stage.allowed_origin],
            allow_methods=sorted({route.method for route in routes}),
            allow_headers=ALLOW_HEADERS,
            expose_headers=EXPOSE_HEADERS,
            max_age=Duration.minutes(10),
        )
        self._add_routes(routes, functions, user_pool)
        self._add_method_not_allowed(routes, stage.allowed_origin)
        self._add_gateway_errors(stage.allowed_origin)
        public = [route for route in routes if route.api_key]
        self.usage_plan_name = f"{name}-web-forms"
        self.usage_plan = self._usage_plan(stage) if public else None

    def _add_routes(
        self, routes: list[Route], functions: Mapping[str, lambda_.IFunction], user_pool: cognito.IUserPool
    ) -> None:
        """Staff routes first: a resource made for a public route (one behind a key, then an open one) only gets the
        public preflight."""
        authorizer = apigw.CognitoUserPoolsAuthorizer(self, "StaffAuthorizer", cognito_user_pools=[user_pool])
        validator = self.rest_api.add_request_validator(
            "RequestValidator", validate_request_parameters=True, validate_request_body=True
        )
        # One invoke permission per function, for any of this API's methods (the API routes only a function's own
        # operations to it): one per method would take a resource each, and the stack may have only 500.
        integrations = {
            name: apigw.LambdaIntegration(function, scope_permission_to_method=False)
            for name, function in functions.items()
        }
        for route in sorted(routes, key=lambda route: (route.api_key or route.open, route.open)):
            if route.open:
                self._add_open_route(route, integrations[route.function], validator)
                continue
            if not route.api_key:
                self._resource(route.path, self._staff_cors).add_method(
                    route.method,
                    integrations[route.function],
                    authorization_type=apigw.AuthorizationType.COGNITO,
                    authorizer=authorizer,
                    request_validator=validator,
                    request_parameters=route.request_parameters,
                    operation_name=route.operation_id,
                )
                continue
            method = self._public_resource(route.path).add_method(
                route.method,
                integrations[route.function],
                authorization_type=apigw.AuthorizationType.NONE,
                api_key_required=True,
                request_validator=validator,
                request_parameters=route.request_parameters,
                operation_name=route.operation_id,
            )
            for finding in ("AwsSolutions::AwsSolutions-APIG4", "AwsSolutions::AwsSolutions-COG4"):
                acknowledge(
                    method,
                    finding,
                    "A public web-to-lead route, called by the tenant's website forms, which have no staff "
                    "token: it requires an API key of the usage plan (throttled, daily quota), and the function "
                    "maps that key to its tenant and form and refuses revoked ones.",
                )

    def _add_open_route(self, route: Route, integration: apigw.Integration, validator: apigw.IRequestValidator) -> None:
        method = self._open_resource(route.path).add_method(
            route.method,
            integration,
            authorization_type=apigw.AuthorizationType.NONE,
            request_validator=validator,
            request_parameters=route.request_parameters,
            operation_name=route.operation_id,
        )
        for finding in ("AwsSolutions::AwsSolutions-APIG4", "AwsSolutions::AwsSolutions-COG4"):
            acknowledge(
                method,
                finding,
                "An open route, for people with no account: the reads of a tenant's published public knowledge "
                "base (only what the tenant published as public, a 404 for anything else), or the pages of a "
                "message's links (unsubscribe, preferences), whose HMAC-signed token in the path names the tenant "
                "and contact and is checked before anything is read or changed. Throttled per method.",
            )

    def _open_resource(self, path: str) -> apigw.IResource:
        """The resource at `path`; the parts made for it answer preflights from any origin (a GET with
        If-None-Match, a page's form POST)."""
        cors = apigw.CorsOptions(
            allow_origins=apigw.Cors.ALL_ORIGINS,
            allow_methods=["GET", "POST", "OPTIONS"],
            allow_headers=OPEN_ALLOW_HEADERS,
            expose_headers=OPEN_EXPOSE_HEADERS,
            max_age=Duration.minutes(10),
        )
        return self._resource(path, cors)

    def _public_resource(self, path: str) -> apigw.IResource:
        """The resource at `path`; the parts made for it answer preflights from any origin with x-api-key."""
        cors = apigw.CorsOptions(
            allow_origins=apigw.Cors.ALL_ORIGINS,
            allow_methods=["POST", "OPTIONS"],
            allow_headers=PUBLIC_ALLOW_HEADERS,
            max_age=Duration.minutes(10),
        )
        return self._resource(path, cors)

    def _resource(self, path: str, cors: apigw.CorsOptions) -> apigw.IResource:
        """The resource at `path`; the parts made for it that are routes answer preflights as `cors` says, and a
        part that only leads to routes (`/reports`) has no preflight (no method to ask about): a resource less
        each, of the 500 a stack may have."""
        resource: apigw.IResource = self.rest_api.root
        walked = ""
        for part in path.strip("/").split("/"):
            walked += f"/{part}"
            preflight = cors if walked in self._routed else None
            resource = resource.get_resource(part) or resource.add_resource(
                part, default_cors_preflight_options=preflight
            )
        return resource

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

    def _rest_api(self, stage: StageConfig, name: str, open_routes: list[Route]) -> apigw.RestApi:
        access_logs = logs.LogGroup(
            self, "AccessLogs", retention=stage.log_retention, removal_policy=stage.removal_policy
        )
        api = apigw.RestApi(
            self,
            "RestApi",
            rest_api_name=name,
            description="Rapport CRM API (routes from functions/openapi.json)",
            endpoint_types=[apigw.EndpointType.REGIONAL],
            cloud_watch_role=True,
            deploy_options=apigw.StageOptions(
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
            ),
        )
        acknowledge(
            api,
            "AwsSolutions::AwsSolutions-IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/"
            "AmazonAPIGatewayPushToCloudWatchLogs]",
            "API Gateway's account-level logging role, needed for the access and execution logs; the AWS "
            "managed policy is the one AWS maintains for exactly this role.",
        )
        return api

    def _add_method_not_allowed(self, routes: list[Route], allowed_origin: str) -> None:
        """On each path, its ANY method: a mock answering 405 with `Allow` (the path's methods, and OPTIONS)."""
        public = {route.path for route in routes if route.api_key or route.open}
        for path, allowed in allowed_methods(routes).items():
            origin = "*" if path in public else allowed_origin
            headers = {"Allow": ", ".join(allowed), "Content-Type": PROBLEM_JSON, "Access-Control-Allow-Origin": origin}
            integration = apigw.MockIntegration(
                request_templates={media_type: '{"statusCode": 405}' for media_type in JSON_MEDIA_TYPES},
                passthrough_behavior=apigw.PassthroughBehavior.NEVER,
                integration_responses=[
                    apigw.IntegrationResponse(
                        status_code="405",
                        response_parameters={f"method.response.header.{k}": f"'{v}'" for k, v in headers.items()},
                        response_templates={"application/json": method_not_allowed(path, allowed).template()},
                    )
                ],
            )
            resource = self._public_resource(path) if path in public else self._resource(path, self._staff_cors)
            method = resource.add_method(
                "ANY",
                integration,
                authorization_type=apigw.AuthorizationType.NONE,
                method_responses=[
                    apigw.MethodResponse(
                        status_code="405",
                        response_parameters={f"method.response.header.{name}": True for name in headers},
                    )
                ],
            )
            for finding in ("AwsSolutions::AwsSolutions-APIG4", "AwsSolutions::AwsSolutions-COG4"):
                acknowledge(
                    method,
                    finding,
                    "Answers a method the path does not serve with a 405 and its Allow header, from a mock "
                    "integration: no function runs and no data is read, so there is nothing to authorize.",
                )

    def _add_gateway_errors(self, allowed_origin: str) -> None:
        for response_type, (status, headers, template) in gateway_responses(allowed_origin).items():
            self.rest_api.add_gateway_response(
                f"{response_type}Response",
                type=apigw.ResponseType.of(response_type),
                status_code=str(status),
                response_headers={name: f"'{value}'" for name, value in headers.items()},
                templates={"application/json": template},
            )
