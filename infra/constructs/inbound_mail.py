"""Email-to-case: SES receives the stage's inbound domain (`support+<tenant slug>@<inboundMailDomain>`) through a
receipt rule set whose rule stores each email in the inbound mail bucket, then invokes the inbound mail worker
(functions/inbound_mail), which opens a case or answers one and keeps the attachments in the same bucket.

The bucket: KMS-encrypted with the stack's customer key, as the tables are (SES encrypts what it stores with it:
the key policy lets ses.amazonaws.com use it for this account only), no public access, TLS only; raw emails expire after
RAW_MAIL_DAYS (what they became is in the table), attachments move to infrequent access after ATTACHMENTS_IA_DAYS.
The API functions listing a case's messages (ATTACHMENT_READERS: staff's, the portal's) presign their attachments'
downloads (rapport.cases.attachments), and a presigned URL carries its signer's access: they may read the
attachments and decrypt them, nothing else of the bucket (`grant_attachment_reads`).
SES allows one ACTIVE receipt rule set per account and region, and CloudFormation cannot activate one: after the
first deploy, `aws ses set-active-receipt-rule-set --rule-set-name <the output's name>` (README).
"""

from __future__ import annotations

from aws_cdk import Duration, Stack
from aws_cdk import aws_iam as iam
from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_s3 as s3
from aws_cdk import aws_ses as ses
from constructs import Construct

from infra.config import StageConfig
from infra.constructs.data import TENANT_SLUGS_TABLE_VARIABLE, Data
from infra.constructs.functions import FunctionFactory
from infra.constructs.tenancy import TenantFenced
from infra.constructs.workers import EventWorker, OnMail
from infra.nag import acknowledge

RAW_MAIL_PREFIX = "mail/"  # equal to functions/inbound_mail/handler.py's RAW_PREFIX (tests/infra checks)
ATTACHMENTS_PREFIX = "attachments/"  # equal to rapport.cases.attachments.PREFIX (tests/infra checks)
# The API areas whose message reads presign attachments: GET /cases/{id}/messages, GET /portal/cases/{id}/messages.
ATTACHMENT_READERS = ("cases", "portal")
RAW_MAIL_DAYS = 30
ATTACHMENTS_IA_DAYS = 90
MAX_EVENT_AGE = Duration.hours(6)


class InboundMail(Construct):
    def __init__(
        self, scope: Construct, construct_id: str, *, data: Data, factory: FunctionFactory, stage: StageConfig
    ) -> None:
        super().__init__(scope, construct_id)
        self.key = data.key
        self.key.add_to_resource_policy(
            iam.PolicyStatement(
                principals=[iam.ServicePrincipal("ses.amazonaws.com")],
                actions=["kms:GenerateDataKey*", "kms:Encrypt"],
                resources=["*"],
                conditions={"StringEquals": {"aws:SourceAccount": Stack.of(self).account}},
            )
        )
        self.bucket = data.private_bucket(
            self,
            stage.removal_policy,
            [
                s3.LifecycleRule(id="RawMail", prefix=RAW_MAIL_PREFIX, expiration=Duration.days(RAW_MAIL_DAYS)),
                s3.LifecycleRule(
                    id="Attachments",
                    prefix=ATTACHMENTS_PREFIX,
                    transitions=[
                        s3.Transition(
                            storage_class=s3.StorageClass.INFREQUENT_ACCESS,
                            transition_after=Duration.days(ATTACHMENTS_IA_DAYS),
                        )
                    ],
                ),
            ],
            unlogged_because="Only SES (its receipt rule) and the inbound mail worker write here, and only the "
            "worker and the attachments' presigned downloads read: their requests are in CloudTrail; server access "
            "logs would need a second bucket for no more insight.",
        )
        self.rule_set = ses.ReceiptRuleSet(self, "RuleSet")
        self.worker = factory.event_worker(
            self,
            EventWorker(
                area="inbound_mail",
                description="Rapport inbound mail: opens cases from support emails and adds replies to them",
                trigger=OnMail(
                    rule_set=self.rule_set,
                    recipients=(stage.inbound_mail_domain,),
                    bucket=self.bucket,
                    prefix=RAW_MAIL_PREFIX,
                    max_event_age=MAX_EVENT_AGE,
                ),
                tenancy=TenantFenced(),  # one email, one tenant: its support address names it
                environment={
                    "TABLE_NAME": data.table.table_name,
                    TENANT_SLUGS_TABLE_VARIABLE: data.tenant_slugs_table.table_name,  # the slug names the tenant
                    "INBOUND_MAIL_DOMAIN": stage.inbound_mail_domain,
                    "INBOUND_MAIL_BUCKET": self.bucket.bucket_name,
                    "SENDER_EMAIL": stage.notification_sender,
                },
            ),
        )
        self._grant_worker()
        data.use_tenant_slugs(self.worker, write=False)

    def _grant_worker(self) -> None:
        """The worker reads the emails SES stored and writes their attachments: nothing else of the bucket."""
        role = self.worker.role
        assert role is not None  # the factory gives each function its own
        for action, prefix in (("s3:GetObject", RAW_MAIL_PREFIX), ("s3:PutObject", ATTACHMENTS_PREFIX)):
            self.worker.add_to_role_policy(
                iam.PolicyStatement(actions=[action], resources=[self.bucket.arn_for_objects(f"{prefix}*")])
            )
        self.worker.add_to_role_policy(
            iam.PolicyStatement(actions=["kms:Decrypt", "kms:GenerateDataKey"], resources=[self.key.key_arn])
        )
        acknowledge(
            role,
            "AwsSolutions::AwsSolutions-IAM5[Resource::<ServiceInboundMailBucket03E6DC76.Arn>/mail/*]",
            "Each email is an object named by its SES message id under mail/: the worker reads any of them, only.",
        )
        acknowledge(
            role,
            "AwsSolutions::AwsSolutions-IAM5[Resource::<ServiceInboundMailBucket03E6DC76.Arn>/attachments/*]",
            "Attachments are objects named by tenant and email under attachments/: the worker writes them, only.",
        )

    def grant_attachment_reads(self, function: lambda_.Function) -> None:
        """`function` presigns downloads of the attachments (and decrypts them, as the URL's signer): it reads them,
        only, and knows the bucket's name."""
        function.add_environment("INBOUND_MAIL_BUCKET", self.bucket.bucket_name)
        attachments = self.bucket.arn_for_objects(f"{ATTACHMENTS_PREFIX}*")
        function.add_to_role_policy(iam.PolicyStatement(actions=["s3:GetObject"], resources=[attachments]))
        function.add_to_role_policy(iam.PolicyStatement(actions=["kms:Decrypt"], resources=[self.key.key_arn]))
        acknowledge(
            function.role or function,
            "AwsSolutions::AwsSolutions-IAM5[Resource::<ServiceInboundMailBucket03E6DC76.Arn>/attachments/*]",
            "Attachments are objects named by tenant and email under attachments/: the function presigns downloads "
            "of its caller's tenant's only (rapport.cases.attachments), and may read any of them, only.",
        )
