"""The customer portal's sign-in: the customer pool's triggers (rapport.portal.sign_in), one worker. It finds the
tenant by the slug in the user name, the contact by its email, and mails the code through SES directly."""

from __future__ import annotations

from aws_cdk import Stack
from aws_cdk import aws_cognito as cognito
from aws_cdk import aws_iam as iam
from constructs import Construct

from infra.config import StageConfig
from infra.constructs.data import TENANT_SLUGS_TABLE_VARIABLE, Data
from infra.constructs.functions import FunctionFactory
from infra.constructs.tenancy import TenantFenced
from infra.constructs.workers import EventWorker, FromUserPool

SIGN_IN_TRIGGERS = (
    cognito.UserPoolOperation.PRE_SIGN_UP,
    cognito.UserPoolOperation.DEFINE_AUTH_CHALLENGE,
    cognito.UserPoolOperation.CREATE_AUTH_CHALLENGE,
    cognito.UserPoolOperation.VERIFY_AUTH_CHALLENGE_RESPONSE,
    cognito.UserPoolOperation.PRE_TOKEN_GENERATION,
)


class PortalSignIn(Construct):
    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        data: Data,
        factory: FunctionFactory,
        pool: cognito.UserPool,
        stage: StageConfig,
    ) -> None:
        super().__init__(scope, construct_id)
        sender = stage.notification_sender
        self.worker = factory.event_worker(
            self,
            EventWorker(
                area="portal_sign_in",
                description="Rapport portal sign-in: customers' codes by email, their tokens' tenant and contact",
                trigger=FromUserPool(pool, SIGN_IN_TRIGGERS),
                tenancy=TenantFenced(),  # one user name, one tenant: its slug names it
                environment={
                    "TABLE_NAME": data.table.table_name,
                    TENANT_SLUGS_TABLE_VARIABLE: data.tenant_slugs_table.table_name,
                    "SENDER_EMAIL": sender,
                },
            ),
        )
        data.use_tenant_slugs(self.worker, write=False)
        self.worker.add_to_role_policy(
            iam.PolicyStatement(
                actions=["ses:SendEmail"],
                resources=[Stack.of(self).format_arn(service="ses", resource="identity", resource_name=sender)],
                conditions={"StringEquals": {"ses:FromAddress": sender}},
            )
        )
