"""Tenant isolation by IAM, as the template deploys it: every policy in it, read whole.

The tenant-data role holds exactly the statements of infra/table_access.py, each fenced to the session's tenant's
leading keys; only the tenant-fenced functions' roles may assume it, and they may do nothing else on the tables;
the functions that cross tenants are exactly the known ones, and their roles say why; and no policy anywhere allows
a Scan, PartiQL or a wildcard that covers them.
"""

from __future__ import annotations

import fnmatch
import json
from collections.abc import Iterator
from typing import Any

import pytest

from infra.table_access import FENCE, READ_WRITE, key_statement, statements
from tests.infra.conftest import Synthesis

pytestmark = pytest.mark.slow

# Each crosses tenants in one invocation; its construct says why (infra/constructs/followups.py, events.py,
# customer_value.py, consent.py, analytics.py): a sweep over every tenant, or the stream that mixes them.
CROSS_TENANT = {"publisher", "reminders", "digest", "customer_ranking", "sms_stops", "analytics_export"}
SCANS = (
    "dynamodb:Scan",
    "dynamodb:PartiQLSelect",
    "dynamodb:PartiQLInsert",
    "dynamodb:PartiQLUpdate",
    "dynamodb:PartiQLDelete",
)


def _render(value: Any) -> Any:
    """A template value with `Ref`, `Fn::GetAtt` and `Fn::Join` written out as text (`<Logical.Arn>`)."""
    if isinstance(value, dict) and "Ref" in value:
        return f"<{value['Ref']}>"
    if isinstance(value, dict) and "Fn::GetAtt" in value:
        logical_id, attribute = value["Fn::GetAtt"]
        return f"<{logical_id}.{attribute}>"
    if isinstance(value, dict) and "Fn::Join" in value:
        separator, parts = value["Fn::Join"]
        return separator.join(str(_render(part)) for part in parts)
    if isinstance(value, dict):
        return {key: _render(item) for key, item in value.items()}
    if isinstance(value, list):
        return [_render(item) for item in value]
    return value


def _list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else [value]


def _grants(policy_statements: list[dict[str, Any]]) -> set[tuple[str, str, str, str]]:
    """Each statement as (effect, action, resource, condition) tuples: equal whatever CDK merged or reordered."""
    return {
        (statement["Effect"], action, str(resource), json.dumps(statement.get("Condition"), sort_keys=True))
        for statement in (_render(statement) for statement in policy_statements)
        for action in _list(statement["Action"])
        for resource in _list(statement["Resource"])
    }


def _role_statements(synthesis: Synthesis, role_id: str) -> list[dict[str, Any]]:
    return [
        statement
        for policy in synthesis.of_type("AWS::IAM::Policy").values()
        if {"Ref": role_id} in policy["Properties"]["Roles"]
        for statement in policy["Properties"]["PolicyDocument"]["Statement"]
    ]


def _function_roles(synthesis: Synthesis) -> dict[str, str]:
    return {area: properties["Role"]["Fn::GetAtt"][0] for area, properties in synthesis.functions().items()}


def _tables(synthesis: Synthesis) -> dict[str, str]:
    return {
        "table_arn": f"<{synthesis.id_of('AWS::DynamoDB::Table', '/Data/Table/Resource')}.Arn>",
        "idempotency_table_arn": (
            f"<{synthesis.id_of('AWS::DynamoDB::Table', '/Data/IdempotencyTable/Resource')}.Arn>"
        ),
    }


def _on_tenant_tables(synthesis: Synthesis, policy_statements: list[dict[str, Any]]) -> set[tuple[str, ...]]:
    tables = tuple(_tables(synthesis).values())
    return {grant for grant in _grants(policy_statements) if grant[2].startswith(tables)}


@pytest.fixture(scope="module")
def tenant_role(dev: Synthesis) -> str:
    return dev.id_of("AWS::IAM::Role", "/Functions/TenantData/Role/Resource")


def test_the_tenant_data_role_holds_exactly_the_fenced_statements_of_the_code(dev: Synthesis, tenant_role: str):
    key = f"<{dev.id_of('AWS::KMS::Key', '/Data/Key/Resource')}.Arn>"
    expected = [*statements(READ_WRITE, **_tables(dev), fenced=True), key_statement(key)]
    assert _grants(_role_statements(dev, tenant_role)) == _grants(expected)


def test_each_table_statement_of_the_tenant_data_role_holds_only_under_the_sessions_tenant(
    dev: Synthesis, tenant_role: str
):
    on_tables = [s for s in _role_statements(dev, tenant_role) if "kms:Decrypt" not in _list(s["Action"])]
    assert len(on_tables) == 3  # the table's items, its indexes, the idempotency table's items
    for statement in on_tables:
        assert statement["Condition"] == {
            "ForAllValues:StringLike": {"dynamodb:LeadingKeys": ["T#${aws:PrincipalTag/tenant_id}#*"]},
            "Null": {"dynamodb:LeadingKeys": "false", "aws:PrincipalTag/tenant_id": "false"},
        }
    assert on_tables[0]["Condition"] == FENCE


def test_only_the_fenced_functions_may_assume_it_and_with_a_session_tag(dev: Synthesis, tenant_role: str):
    roles = _function_roles(dev)
    fenced = {area for area in roles if area not in CROSS_TENANT}
    [trust] = dev.resources[tenant_role]["Properties"]["AssumeRolePolicyDocument"]["Statement"]
    assert sorted(trust["Action"]) == ["sts:AssumeRole", "sts:TagSession"]
    assert _render(trust["Principal"]["AWS"]) == "arn:<AWS::Partition>:iam::<AWS::AccountId>:root"
    admitted = {arn["Fn::GetAtt"][0] for arn in trust["Condition"]["ArnEquals"]["aws:PrincipalArn"]}
    assert admitted == {roles[area] for area in fenced}
    assert set(trust["Condition"]) == {"ArnEquals"}


def test_a_fenced_function_may_assume_the_tenant_data_role_and_nothing_else_on_the_tables(
    dev: Synthesis, tenant_role: str
):
    functions = dev.functions()
    for area, role in _function_roles(dev).items():
        if area in CROSS_TENANT:
            continue
        own = _role_statements(dev, role)
        assumed = {(action, str(resource)) for _, action, resource, _ in _grants(own) if action.startswith("sts:")}
        assert assumed == {("sts:AssumeRole", f"<{tenant_role}.Arn>"), ("sts:TagSession", f"<{tenant_role}.Arn>")}
        assert _on_tenant_tables(dev, own) == set(), area
        assert functions[area]["Environment"]["Variables"]["TENANT_ROLE_ARN"] == {"Fn::GetAtt": [tenant_role, "Arn"]}
        assert "Crosses tenants" not in dev.resources[role]["Properties"]["Description"]


def test_exactly_the_known_functions_cross_tenants_and_their_roles_say_why(dev: Synthesis):
    functions = dev.functions()
    crossing = {
        area for area, role in _function_roles(dev).items() if _on_tenant_tables(dev, _role_statements(dev, role))
    }
    assert crossing == CROSS_TENANT
    for area in CROSS_TENANT:
        description = dev.resources[_function_roles(dev)[area]]["Properties"]["Description"]
        assert description.startswith("Crosses tenants: ") and len(description) > 80, area
        assert "TENANT_ROLE_ARN" not in functions[area]["Environment"]["Variables"]


def test_no_other_role_reaches_the_tenant_tables(dev: Synthesis, tenant_role: str):
    """Custom resources, state machines, log and stream roles: none holds a grant on the tenant tables."""
    allowed = {tenant_role} | {role for area, role in _function_roles(dev).items() if area in CROSS_TENANT}
    reaching = set()
    for role, resource in dev.of_type("AWS::IAM::Role").items():
        inline = [
            s for policy in resource["Properties"].get("Policies", []) for s in policy["PolicyDocument"]["Statement"]
        ]
        if _on_tenant_tables(dev, [*_role_statements(dev, role), *inline]):
            reaching.add(role)
    assert reaching == allowed


def _policy_statements(value: Any) -> Iterator[dict[str, Any]]:
    """Every statement of every policy document anywhere in `value` (IAM, key, queue and topic policies)."""
    if isinstance(value, dict):
        if isinstance(value.get("Statement"), list):
            yield from value["Statement"]
        for item in value.values():
            yield from _policy_statements(item)
    elif isinstance(value, list):
        for item in value:
            yield from _policy_statements(item)


@pytest.mark.parametrize("stage", ["dev", "prod"])
def test_no_policy_allows_a_scan_partiql_or_a_wildcard_that_covers_them(stage: str, request: pytest.FixtureRequest):
    synthesis: Synthesis = request.getfixturevalue(stage)
    allowed = [s for s in _policy_statements(synthesis.resources) if s.get("Effect") == "Allow" and "Action" in s]
    assert len(allowed) > 100
    for statement in allowed:
        for action in _list(statement["Action"]):
            covered = [scan for scan in SCANS if fnmatch.fnmatch(scan.lower(), str(action).lower())]
            assert covered == [], f"{action} allows {covered}"
