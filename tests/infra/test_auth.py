"""The staff user pool: groups are the roles rapport.auth knows, and the tenant claim is set once."""

from __future__ import annotations

import pytest

from rapport.auth import GROUPS_CLAIM, TENANT_CLAIM, Role
from tests.infra.conftest import Synthesis

pytestmark = pytest.mark.slow


def test_groups_are_the_staff_roles(dev: Synthesis) -> None:
    assert GROUPS_CLAIM == "cognito:groups"
    groups = {group["Properties"]["GroupName"] for group in dev.of_type("AWS::Cognito::UserPoolGroup").values()}
    assert groups == {role.value for role in Role}


def test_tenant_is_an_immutable_custom_attribute(dev: Synthesis) -> None:
    [pool] = dev.of_type("AWS::Cognito::UserPool").values()
    [tenant] = [a for a in pool["Properties"]["Schema"] if f"custom:{a['Name']}" == TENANT_CLAIM]
    assert tenant["AttributeDataType"] == "String"
    assert tenant["Mutable"] is False


def test_pool_has_a_strong_password_policy_and_optional_totp(dev: Synthesis) -> None:
    [pool] = dev.of_type("AWS::Cognito::UserPool").values()
    properties = pool["Properties"]
    policy = properties["Policies"]["PasswordPolicy"]
    assert policy["MinimumLength"] >= 12
    assert policy["RequireLowercase"] and policy["RequireUppercase"]
    assert policy["RequireNumbers"] and policy["RequireSymbols"]
    assert properties["MfaConfiguration"] == "OPTIONAL"
    assert properties["EnabledMfas"] == ["SOFTWARE_TOKEN_MFA"]
    assert properties["AdminCreateUserConfig"]["AllowAdminCreateUserOnly"] is True


def test_web_client_reads_but_cannot_write_the_tenant(dev: Synthesis) -> None:
    [client] = dev.of_type("AWS::Cognito::UserPoolClient").values()
    properties = client["Properties"]
    assert properties["GenerateSecret"] is False
    assert TENANT_CLAIM in properties["ReadAttributes"]
    assert TENANT_CLAIM not in properties["WriteAttributes"]
