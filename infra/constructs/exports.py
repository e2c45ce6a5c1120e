"""Exports: the bucket the CSV files of `POST /exports` are written to, and their writer on the bus.

- The bucket: KMS-encrypted with the stack's customer key, no public access, TLS only; a file is forgotten after
  FILE_LIFETIME_DAYS (rapport.exports.store), an upload left unfinished after a day. Files are
  `exports/<tenant>/<id>.csv`, downloaded through the links the API presigns.
- The writer: an event worker (infra/constructs/workers.py: the rule's retries, a dead-letter queue) fenced to the
  event's tenant, reached by `export.created` and by its own continuation (`CONTINUED`, from `SOURCE`), which it puts
  on the bus when the invocation has no time for another part (rapport.exports.writer).
"""

from __future__ import annotations

from aws_cdk import Duration, Stack
from aws_cdk import aws_events as events
from aws_cdk import aws_iam as iam
from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_s3 as s3
from constructs import Construct

from infra.config import StageConfig
from infra.constructs.data import Data
from infra.constructs.events import SOURCE as DOMAIN_SOURCE
from infra.constructs.functions import FunctionFactory
from infra.constructs.tenancy import TenantFenced
from infra.constructs.workers import EventWorker, OnEvents
from infra.nag import acknowledge
from rapport.exports.store import FILE_LIFETIME_DAYS
from rapport.exports.writer import CONTINUED, SOURCE

PREFIX = "exports/"
STARTS = ("export.created",)
RETRY_ATTEMPTS = 4
MAX_EVENT_AGE = Duration.hours(2)
WRITER_TIMEOUT = Duration.minutes(5)
BUCKET_VARIABLE = "EXPORTS_BUCKET"


class Exports(Construct):
    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        data: Data,
        factory: FunctionFactory,
        bus: events.IEventBus,
        stage: StageConfig,
    ) -> None:
        super().__init__(scope, construct_id)
        self._data = data
        self.bucket = data.private_bucket(
            self,
            stage.removal_policy,
            [s3.LifecycleRule(id="Files", prefix=PREFIX, expiration=Duration.days(FILE_LIFETIME_DAYS))],
            unlogged_because="Only the export writer writes here, and the links the API presigns read: their "
            "requests are in CloudTrail; server access logs would need a second bucket for no more insight.",
        )
        self.writer: lambda_.Function = factory.event_worker(
            self,
            EventWorker(
                area="export_writer",
                description="Rapport export writer: the CSV file of an export, a part at a time",
                trigger=OnEvents(
                    rule="WriterEvents",
                    description="Exports asked for, and writers going on",
                    bus=bus,
                    pattern={"source": [DOMAIN_SOURCE, SOURCE], "detail-type": [*STARTS, CONTINUED]},
                    retry_attempts=RETRY_ATTEMPTS,
                    max_event_age=MAX_EVENT_AGE,
                ),
                tenancy=TenantFenced(),
                environment={
                    "TABLE_NAME": data.table.table_name,
                    "EVENT_BUS_NAME": bus.event_bus_name,
                    "CURSOR_SECRET_ARN": data.cursor_secret.secret_arn,
                    BUCKET_VARIABLE: self.bucket.bucket_name,
                },
                timeout=WRITER_TIMEOUT,
            ),
        )
        bus.grant_put_events_to(self.writer)
        data.cursor_secret.grant_read(self.writer)  # it pages through the lists as their routes do
        self._grant(
            self.writer,
            ["s3:PutObject", "s3:AbortMultipartUpload"],
            "The writer puts each export's file, whose key it makes from the export's tenant and id: only under "
            "the exports' prefix.",
        )
        data.grant_key(self.writer)  # the file's parts are encrypted with the stack's key too

    def grant_api(self, function: lambda_.Function) -> None:
        """The exports API presigns the download links of its caller's tenant's files (reads them, only)."""
        function.add_environment(BUCKET_VARIABLE, self.bucket.bucket_name)
        self._grant(
            function,
            ["s3:GetObject"],
            "The API presigns downloads of its caller's tenant's files, whose keys it makes from the token's tenant "
            "and the export's id: it may read them, only.",
        )
        function.add_to_role_policy(iam.PolicyStatement(actions=["kms:Decrypt"], resources=[self._data.key.key_arn]))

    def _grant(self, function: lambda_.Function, actions: list[str], reason: str) -> None:
        function.add_to_role_policy(
            iam.PolicyStatement(actions=actions, resources=[self.bucket.arn_for_objects(f"{PREFIX}*")])
        )
        bucket_id = Stack.of(self).get_logical_id(self.bucket.node.default_child)  # type: ignore[arg-type]
        finding = f"AwsSolutions::AwsSolutions-IAM5[Resource::<{bucket_id}.Arn>/{PREFIX}*]"
        acknowledge(function.role or function, finding, reason)
