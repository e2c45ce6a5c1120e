"""A small synthesized-like stack: a REST API with a Cognito authorizer in front of one function."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from local.runtime.template import CloudAssembly

API = "Api"
FUNCTION = "ThingsFunction"


def _resource(path_part: str, parent: dict[str, Any]) -> dict[str, Any]:
    return {
        "Type": "AWS::ApiGateway::Resource",
        "Properties": {"ParentId": parent, "PathPart": path_part, "RestApiId": {"Ref": API}},
    }


def _method(http_method: str, resource: str, **extra: Any) -> dict[str, Any]:
    integration = {
        "Type": "AWS_PROXY",
        "IntegrationHttpMethod": "POST",
        "Uri": {
            "Fn::Join": [
                "",
                [
                    "arn:aws:apigateway:",
                    {"Ref": "AWS::Region"},
                    ":lambda:path/2015-03-31/functions/",
                    {"Fn::GetAtt": [FUNCTION, "Arn"]},
                    "/invocations",
                ],
            ]
        },
    }
    properties = {
        "HttpMethod": http_method,
        "ResourceId": {"Ref": resource},
        "RestApiId": {"Ref": API},
        "AuthorizationType": "COGNITO_USER_POOLS",
        "AuthorizerId": {"Ref": "Authorizer"},
        "Integration": integration,
        **extra,
    }
    return {"Type": "AWS::ApiGateway::Method", "Properties": properties}


TEMPLATE: dict[str, Any] = {
    "Resources": {
        API: {"Type": "AWS::ApiGateway::RestApi", "Properties": {"Name": "things", "BinaryMediaTypes": ["image/*"]}},
        "Stage": {"Type": "AWS::ApiGateway::Stage", "Properties": {"StageName": "dev", "RestApiId": {"Ref": API}}},
        "Authorizer": {
            "Type": "AWS::ApiGateway::Authorizer",
            "Properties": {
                "Type": "COGNITO_USER_POOLS",
                "IdentitySource": "method.request.header.Authorization",
                "RestApiId": {"Ref": API},
            },
        },
        "CustomerAuthorizer": {
            "Type": "AWS::ApiGateway::Authorizer",
            "Properties": {
                "Type": "COGNITO_USER_POOLS",
                "Name": "customers",
                "IdentitySource": "method.request.header.Authorization",
                "RestApiId": {"Ref": API},
            },
        },
        "Things": _resource("things", {"Fn::GetAtt": [API, "RootResourceId"]}),
        "Mine": _resource("mine", {"Fn::GetAtt": [API, "RootResourceId"]}),
        "Thing": _resource("{thing_id}", {"Ref": "Things"}),
        "ThingParts": _resource("parts", {"Ref": "Thing"}),
        "Special": _resource("special", {"Ref": "Things"}),
        "Files": _resource("files", {"Fn::GetAtt": [API, "RootResourceId"]}),
        "FilesProxy": _resource("{path+}", {"Ref": "Files"}),
        "ListThings": _method("GET", "Things"),
        "ListMine": _method("GET", "Mine", AuthorizerId={"Ref": "CustomerAuthorizer"}),
        "CreateThing": _method("POST", "Things", RequestParameters={"method.request.header.idempotency-key": True}),
        "GetThing": _method("GET", "Thing", RequestParameters={"method.request.path.thing_id": True}),
        "GetParts": _method("GET", "ThingParts"),
        "GetSpecial": _method("GET", "Special"),
        "GetFile": _method("GET", "FilesProxy"),
        "ThingsOptions": {
            "Type": "AWS::ApiGateway::Method",
            "Properties": {
                "HttpMethod": "OPTIONS",
                "ResourceId": {"Ref": "Things"},
                "RestApiId": {"Ref": API},
                "AuthorizationType": "NONE",
                "Integration": {
                    "Type": "MOCK",
                    "IntegrationResponses": [
                        {
                            "StatusCode": "204",
                            "ResponseParameters": {
                                "method.response.header.Access-Control-Allow-Origin": "'http://localhost:5173'"
                            },
                        }
                    ],
                },
            },
        },
        "Unauthorized": {
            "Type": "AWS::ApiGateway::GatewayResponse",
            "Properties": {
                "ResponseType": "UNAUTHORIZED",
                "RestApiId": {"Ref": API},
                "StatusCode": "401",
                "ResponseParameters": {"gatewayresponse.header.Content-Type": "'application/problem+json'"},
                "ResponseTemplates": {
                    "application/json": '{"title": "Unauthorized", "status": 401, '
                    '"detail": $context.error.messageString}'
                },
            },
        },
        "Default4xx": {
            "Type": "AWS::ApiGateway::GatewayResponse",
            "Properties": {
                "ResponseType": "DEFAULT_4XX",
                "RestApiId": {"Ref": API},
                "ResponseTemplates": {"application/json": '{"problem": $context.error.messageString}'},
            },
        },
        FUNCTION: {
            "Type": "AWS::Lambda::Function",
            "Properties": {
                "Handler": "handler.lambda_handler",
                "Runtime": "python3.14",
                "Timeout": 5,
                "MemorySize": 256,
                "Code": {"S3Bucket": "assets", "S3Key": "abc123.zip"},
                "Layers": [{"Ref": "CoreLayer"}, {"Ref": "DepsLayer"}],
                "Environment": {
                    "Variables": {
                        "TABLE_NAME": {"Ref": "Table"},
                        "GREETING": "hello",
                        "TENANT_ROLE_ARN": {"Fn::GetAtt": ["TenantDataRole", "Arn"]},
                    }
                },
            },
        },
        "TenantDataRole": {"Type": "AWS::IAM::Role", "Properties": {"AssumeRolePolicyDocument": {"Statement": []}}},
        "CoreLayer": {"Type": "AWS::Lambda::LayerVersion", "Properties": {"Content": {"S3Key": "core.zip"}}},
        "DepsLayer": {"Type": "AWS::Lambda::LayerVersion", "Properties": {"Content": {"S3Key": "deps.zip"}}},
        "Table": {"Type": "AWS::DynamoDB::Table", "Properties": {}},
    }
}


@pytest.fixture
def assembly(tmp_path: Path) -> CloudAssembly:
    """The stack, with its assets staged as `cdk synth` stages them and an asset manifest (no metadata)."""
    for name, files in {
        "asset.abc123": ["handler.py"],
        "asset.core": ["python/core/__init__.py"],
        "asset.deps": ["python/dep/__init__.py", "python/dep-1.0.dist-info/METADATA"],
    }.items():
        for file in files:
            (tmp_path / name / file).parent.mkdir(parents=True, exist_ok=True)
            (tmp_path / name / file).write_text("")
    assets = {
        key: {"source": {"path": f"asset.{key}"}, "destinations": {"d": {"objectKey": f"{key}.zip"}}}
        for key in ("abc123", "core", "deps")
    }
    (tmp_path / "Stack.assets.json").write_text(json.dumps({"files": assets}))
    return CloudAssembly(tmp_path, "Stack", TEMPLATE)
