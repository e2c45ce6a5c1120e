"""Web-to-lead: the web forms function issues API keys into the API's usage plan and records which tenant and
form each belongs to; the public leads function looks that up. Each gets only its side of it.

The usage plan is on the API's stage, whose deployment holds the methods that invoke the web forms function:
the function therefore cannot depend on the plan (that would be a cycle). It gets the plan's name, a plain
string, and finds the id on first use; its grants on the plan are a policy of their own, which the function
does not wait for.
"""

from __future__ import annotations

from aws_cdk import Aws
from aws_cdk import aws_apigateway as apigw
from aws_cdk import aws_iam as iam
from aws_cdk import aws_lambda as lambda_
from constructs import Construct

from infra.constructs.data import Data
from infra.nag import acknowledge

USAGE_PLAN_VARIABLE = "USAGE_PLAN_NAME"  # rapport.web_forms.gateway
KEYS_TABLE_VARIABLE = "WEB_FORM_KEYS_TABLE_NAME"  # rapport.dal.models.WebFormKeyItem


class WebToLead(Construct):
    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        data: Data,
        usage_plan: apigw.UsagePlan,
        usage_plan_name: str,
        issuer: lambda_.Function | None,
        receiver: lambda_.Function | None,
    ) -> None:
        super().__init__(scope, construct_id)
        if issuer is not None:
            self._may_issue_keys(issuer, data, usage_plan, usage_plan_name)
        if receiver is not None:
            receiver.add_environment(KEYS_TABLE_VARIABLE, data.web_form_keys_table.table_name)
            data.grant_web_form_keys(receiver, write=False)

    def _may_issue_keys(
        self, function: lambda_.Function, data: Data, usage_plan: apigw.UsagePlan, usage_plan_name: str
    ) -> None:
        """Find the usage plan, create API keys, add them to it, delete them; and write the keys table."""
        function.add_environment(USAGE_PLAN_VARIABLE, usage_plan_name)
        function.add_environment(KEYS_TABLE_VARIABLE, data.web_form_keys_table.table_name)
        data.grant_web_form_keys(function, write=True)
        assert function.role is not None
        gateway = f"arn:{Aws.PARTITION}:apigateway:{Aws.REGION}::"
        policy = iam.Policy(
            self,
            "KeyIssuer",
            roles=[function.role],
            statements=[
                iam.PolicyStatement(actions=["apigateway:GET"], resources=[f"{gateway}/usageplans"]),
                iam.PolicyStatement(
                    actions=["apigateway:POST"],
                    resources=[f"{gateway}/apikeys", f"{gateway}/usageplans/{usage_plan.usage_plan_id}/keys"],
                ),
                iam.PolicyStatement(actions=["apigateway:DELETE"], resources=[f"{gateway}/apikeys/*"]),
            ],
        )
        acknowledge(
            policy,
            "AwsSolutions::AwsSolutions-IAM5[Resource::arn:<AWS::Partition>:apigateway:<AWS::Region>::/apikeys/*]",
            "Revoking a web form deletes its API key, whose id API Gateway assigns when the form is made: no "
            "resource name can be known in advance. Only DELETE on API keys is granted, not on the API or stages.",
        )
