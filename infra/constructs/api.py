"""The staff REST API: one method per operation of the OpenAPI document, each behind the Cognito authorizer,
proxied to the function its `x-rapport-function` names."""

from __future__ import annotations

import json
from collections.abc import Mapping

from aws_cdk import Duration, Stack
from aws_cdk import aws_apigateway as apigw
from aws_cdk import aws_cognito as cognito
from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_logs as logs
from constructs import Construct

from infra.config import StageConfig
from infra.nag import acknowledge
from infra.openapi import Route

ALLOW_HEADERS = ["Authorization", "Content-Type", "If-Match", "Idempotency-Key"]
EXPOSE_HEADERS = ["ETag", "Location"]
PROBLEM_JSON = "application/problem+json"
_F = apigw.AccessLogField
ACCESS_LOG_FIELDS = {
    "requestId": _F.context_request_id(),
    "requestTime": _F.context_request_time(),
    "ip": _F.context_identity_source_ip(),
    "userAgent": _F.context_identity_user_agent(),
    "user": _F.context_authorizer_claims("sub"),
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
# Errors API Gateway answers itself, as problem+json like the functions' errors: type -> (status, title, detail).
# An unknown route reaches API Gateway as a missing token: it is a 404, as a route a function does not know.
_MESSAGE = "$context.error.messageString"
_DETAIL = "<detail>"
GATEWAY_ERRORS: dict[apigw.ResponseType, tuple[str | None, str, str]] = {
    apigw.ResponseType.UNAUTHORIZED: ("401", "Unauthorized", _MESSAGE),
    apigw.ResponseType.ACCESS_DENIED: ("403", "Forbidden", _MESSAGE),
    apigw.ResponseType.WAF_FILTERED: ("403", "Forbidden", _MESSAGE),
    apigw.ResponseType.MISSING_AUTHENTICATION_TOKEN: ("404", "Not Found", '"No route has this method and path."'),
    apigw.ResponseType.BAD_REQUEST_PARAMETERS: ("400", "Bad Request", _MESSAGE),
    apigw.ResponseType.BAD_REQUEST_BODY: ("400", "Bad Request", _MESSAGE),
    apigw.ResponseType.THROTTLED: ("429", "Too Many Requests", _MESSAGE),
    apigw.ResponseType.DEFAULT_4_XX: (None, "Request failed", _MESSAGE),
    apigw.ResponseType.DEFAULT_5_XX: (None, "Service error", _MESSAGE),
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
    ) -> None:
        super().__init__(scope, construct_id)
        self.rest_api = self._rest_api(stage, methods=sorted({route.method for route in routes}))
        self._add_routes(routes, functions, user_pool)
        self._add_gateway_errors(stage.allowed_origin)

    def _add_routes(
        self, routes: list[Route], functions: Mapping[str, lambda_.IFunction], user_pool: cognito.IUserPool
    ) -> None:
        authorizer = apigw.CognitoUserPoolsAuthorizer(self, "StaffAuthorizer", cognito_user_pools=[user_pool])
        validator = self.rest_api.add_request_validator(
            "RequestValidator", validate_request_parameters=True, validate_request_body=True
        )
        integrations = {
            name: apigw.LambdaIntegration(function, allow_test_invoke=False) for name, function in functions.items()
        }
        for route in routes:
            self.rest_api.root.resource_for_path(route.path).add_method(
                route.method,
                integrations[route.function],
                authorization_type=apigw.AuthorizationType.COGNITO,
                authorizer=authorizer,
                request_validator=validator,
                request_parameters=route.request_parameters,
                operation_name=route.operation_id,
            )

    def _rest_api(self, stage: StageConfig, methods: list[str]) -> apigw.RestApi:
        access_logs = logs.LogGroup(
            self, "AccessLogs", retention=stage.log_retention, removal_policy=stage.removal_policy
        )
        api = apigw.RestApi(
            self,
            "RestApi",
            rest_api_name=Stack.of(self).stack_name,
            description="Rapport CRM staff API (routes from functions/openapi.json)",
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
            ),
            default_cors_preflight_options=apigw.CorsOptions(
                allow_origins=[stage.allowed_origin],
                allow_methods=methods,
                allow_headers=ALLOW_HEADERS,
                expose_headers=EXPOSE_HEADERS,
                max_age=Duration.minutes(10),
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

    def _add_gateway_errors(self, allowed_origin: str) -> None:
        headers = {"Access-Control-Allow-Origin": f"'{allowed_origin}'", "Content-Type": f"'{PROBLEM_JSON}'"}
        for response_type, (status, title, detail) in GATEWAY_ERRORS.items():
            status_field = {"status": int(status)} if status else {}
            problem = {"type": "about:blank", "title": title, **status_field, "detail": _DETAIL}
            # `detail` is a JSON string already (messageString comes quoted), so it replaces the quoted marker.
            body = json.dumps(problem).replace(json.dumps(_DETAIL), detail)
            self.rest_api.add_gateway_response(
                f"{response_type.response_type}Response",
                type=response_type,
                status_code=status,
                response_headers=headers,
                templates={"application/json": body},
            )
