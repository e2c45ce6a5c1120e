"""How a function reaches the tenant tables: fenced to one tenant per request, or across tenants, saying why.

- `TenantFenced`: the function serves one tenant per request or event. Its own role may do nothing on the tables;
  it may only assume the tenant-data role, with the session tag `tenant_id` (rapport.dal.tenancy does, once per
  tenant, from `TENANT_ROLE_ARN`). Every statement of that role holds only under the session's tenant's keys
  (infra/table_access.py), and only the fenced functions' roles may assume it.
- `CrossTenant`: the function must read or write several tenants' data in one invocation. Its own role holds the
  grant directly (still no Scan, no PartiQL), and the role's description says why.

One tenant-data role serves every fenced function (a role each would add two resources per function to a stack
near CloudFormation's 500): within its tenant, a fenced function may do what the API may.
"""

from __future__ import annotations

from dataclasses import dataclass

import jsii
from aws_cdk import IStableListProducer, Lazy
from aws_cdk import aws_iam as iam
from constructs import Construct

from infra.constructs.data import Data
from infra.table_access import READ_WRITE, TableAccess, key_statement, statements

CROSSES_TENANTS = "Crosses tenants: "
FENCED_DESCRIPTION = "Serves one tenant per request: reaches the tenant tables only through the tenant-data role"


@dataclass(frozen=True)
class TenantFenced:
    pass


@dataclass(frozen=True)
class CrossTenant:
    access: TableAccess
    reason: str


Tenancy = TenantFenced | CrossTenant


def role_description(tenancy: Tenancy) -> str:
    return CROSSES_TENANTS + tenancy.reason if isinstance(tenancy, CrossTenant) else FENCED_DESCRIPTION


@jsii.implements(IStableListProducer)
class _RoleArns:
    def __init__(self, roles: list[iam.IRole]) -> None:
        self._roles = roles

    def produce(self) -> list[str]:
        return [role.role_arn for role in self._roles]


class TenantData(Construct):
    """The tenant-data role, assumable by the fenced functions' roles only, each session for one tenant."""

    def __init__(self, scope: Construct, construct_id: str, *, data: Data) -> None:
        super().__init__(scope, construct_id)
        self._fenced: list[iam.IRole] = []
        fenced_roles = iam.AccountRootPrincipal().with_conditions(
            {"ArnEquals": {"aws:PrincipalArn": Lazy.list(_RoleArns(self._fenced))}}
        )
        self.role = iam.Role(
            self,
            "Role",
            assumed_by=iam.SessionTagsPrincipal(fenced_roles),
            description="DynamoDB access of the tenant-fenced functions: a session reaches its tenant_id tag's keys",
        )
        tables = statements(
            READ_WRITE,
            table_arn=data.table.table_arn,
            idempotency_table_arn=data.idempotency_table.table_arn,
            fenced=True,
        )
        for statement in [*tables, key_statement(data.key.key_arn)]:
            self.role.add_to_policy(iam.PolicyStatement.from_json(statement))

    def admit(self, function_role: iam.IRole) -> None:
        """`function_role` may assume the tenant-data role (and nothing else may, but the others admitted)."""
        self._fenced.append(function_role)
        function_role.add_to_principal_policy(
            iam.PolicyStatement(actions=["sts:AssumeRole", "sts:TagSession"], resources=[self.role.role_arn])
        )


def grant_across_tenants(grantee: iam.IGrantable, data: Data, access: TableAccess) -> None:
    """`access` on every tenant's keys, held by the function's own role (a `CrossTenant` function's)."""
    tables = statements(
        access, table_arn=data.table.table_arn, idempotency_table_arn=data.idempotency_table.table_arn, fenced=False
    )
    for statement in [*tables, key_statement(data.key.key_arn)]:
        grantee.grant_principal.add_to_principal_policy(iam.PolicyStatement.from_json(statement))
