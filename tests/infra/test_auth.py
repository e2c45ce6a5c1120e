"""The user pools: the staff's, whose groups are the roles rapport.auth knows and whose tenant claim is set once;
the customers', who sign in by a mailed code only."""

from __future__ import annotations

from typing import Any

import pytest

from rapport.auth import GROUPS_CLAIM, TENANT_CLAIM, Role
from tests.infra.conftest import Synthesis

pytestmark = pytest.mark.slow


def _one(dev: Synthesis, resource_type: str, construct: str) -> dict[str, Any]:
    [found] = [
        resource
        for resource in dev.of_type(resource_type).values()
        if f"/{construct}/" in resource["Metadata"]["aws:cdk:path"]
    ]
    return found


def test_groups_are_the_staff_roles(dev: Synthesis) -> None:
    assert GROUPS_CLAIM == "cognito:groups"
    groups = {group["Properties"]["GroupName"] for group in dev.of_type("AWS::Cognito::UserPoolGroup").values()}
    assert groups == {role.value for role in Role}


def test_tenant_is_an_immutable_custom_attribute(dev: Synthesis) -> None:
    pool = _one(dev, "AWS::Cognito::UserPool", "StaffPool")
    [tenant] = [a for a in pool["Properties"]["Schema"] if f"custom:{a['Name']}" == TENANT_CLAIM]
    assert tenant["AttributeDataType"] == "String"
    assert tenant["Mutable"] is False


def test_pool_has_a_strong_password_policy_and_optional_totp(dev: Synthesis) -> None:
    pool = _one(dev, "AWS::Cognito::UserPool", "StaffPool")
    properties = pool["Properties"]
    policy = properties["Policies"]["PasswordPolicy"]
    assert policy["MinimumLength"] >= 12
    assert policy["RequireLowercase"] and policy["RequireUppercase"]
    assert policy["RequireNumbers"] and policy["RequireSymbols"]
    assert properties["MfaConfiguration"] == "OPTIONAL"
    assert properties["EnabledMfas"] == ["SOFTWARE_TOKEN_MFA"]
    assert properties["AdminCreateUserConfig"]["AllowAdminCreateUserOnly"] is True


def test_web_client_reads_but_cannot_write_the_tenant(dev: Synthesis) -> None:
    client = _one(dev, "AWS::Cognito::UserPoolClient", "WebClient")
    properties = client["Properties"]
    assert properties["GenerateSecret"] is False
    assert TENANT_CLAIM in properties["ReadAttributes"]
    assert TENANT_CLAIM not in properties["WriteAttributes"]


def test_customers_have_a_pool_of_their_own_whose_client_signs_in_by_custom_authentication_only(dev: Synthesis):
    pool = _one(dev, "AWS::Cognito::UserPool", "CustomerPool")["Properties"]
    assert pool["AdminCreateUserConfig"]["AllowAdminCreateUserOnly"] is False
    assert pool["MfaConfiguration"] == "OFF"
    client = _one(dev, "AWS::Cognito::UserPoolClient", "PortalClient")["Properties"]
    assert sorted(client["ExplicitAuthFlows"]) == ["ALLOW_CUSTOM_AUTH", "ALLOW_REFRESH_TOKEN_AUTH"]
    assert client["GenerateSecret"] is False and client["PreventUserExistenceErrors"] == "ENABLED"
    assert not any(name.startswith("custom:") for name in client["WriteAttributes"])


def test_the_customer_pool_s_triggers_are_the_portal_sign_in_worker(dev: Synthesis) -> None:
    pool = _one(dev, "AWS::Cognito::UserPool", "CustomerPool")["Properties"]
    [worker] = [
        logical_id
        for logical_id, function in dev.of_type("AWS::Lambda::Function").items()
        if function["Properties"]["Environment"]["Variables"]["POWERTOOLS_SERVICE_NAME"] == "rapport-portal_sign_in"
    ]
    reference = {"Fn::GetAtt": [worker, "Arn"]}
    assert pool["LambdaConfig"] == {
        "PreSignUp": reference,
        "DefineAuthChallenge": reference,
        "CreateAuthChallenge": reference,
        "VerifyAuthChallengeResponse": reference,
        "PreTokenGeneration": reference,
    }
    assert "LambdaConfig" not in _one(dev, "AWS::Cognito::UserPool", "StaffPool")["Properties"]
