"""Exports and imports: the bucket the CSV files of `POST /exports` are written to and those of `POST /imports` are
uploaded to, the export writer and the import runner on the bus.

- The bucket: KMS-encrypted with the stack's customer key, no public access, TLS only; a file is forgotten after
  FILE_LIFETIME_DAYS (rapport.exports.store), an upload left unfinished after a day. Files are
  `exports/<tenant>/<id>.csv`, downloaded through the links the API presigns.
- The writer: an event worker (infra/constructs/workers.py: the rule's retries, a dead-letter queue) fenced to the
  event's tenant, reached by `export.created` and by its own continuation (`CONTINUED`, from `SOURCE`), which it puts
  on the bus when the invocation has no time for another part (rapport.exports.writer).
- The import runner: an event worker like the writer, reached by an import's validation, start or revert
  (`import.validating`, `.queued`, `.reverting`) and by its own continuation (rapport.imports.runner). It reads the
  uploaded file (`imports/<tenant>/<id>.csv`, put through a link the API presigns) and writes its reports beside it.
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
from rapport.imports import runner
from rapport.imports.store import PREFIX as IMPORTS_PREFIX

PREFIX = "exports/"
STARTS = ("export.created",)
RUNNER_TIMEOUT = Duration.minutes(5)
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
            [
                s3.LifecycleRule(id="Files", prefix=PREFIX, expiration=Duration.days(FILE_LIFETIME_DAYS)),
                s3.LifecycleRule(id="Imports", prefix=IMPORTS_PREFIX, expiration=Duration.days(FILE_LIFETIME_DAYS)),
            ],
            unlogged_because="Only the export writer, the import runner and the links the API presigns write and "
            "read: their requests are in CloudTrail; server access logs would need a second bucket for no more "
            "insight.",
        )
        self.writer = self._continuing_worker(
            factory,
            bus,
            area="export_writer",
            description="Rapport export writer: the CSV file of an export, a part at a time",
            rule="WriterEvents",
            rule_description="Exports asked for, and writers going on",
            pattern={"source": [DOMAIN_SOURCE, SOURCE], "detail-type": [*STARTS, CONTINUED]},
            environment={"CURSOR_SECRET_ARN": data.cursor_secret.secret_arn},
            timeout=WRITER_TIMEOUT,
        )
        data.cursor_secret.grant_read(self.writer)  # it pages through the lists as their routes do
        self._grant(
            self.writer,
            ["s3:PutObject", "s3:AbortMultipartUpload"],
            "The writer puts each export's file, whose key it makes from the export's tenant and id: only under "
            "the exports' prefix.",
        )
        self.import_runner = self._continuing_worker(
            factory,
            bus,
            area="import_runner",
            description="Rapport import runner: an import's rows written, a batch at a time",
            rule="ImportRunnerEvents",
            rule_description="Imports validated, started or reverted, and runners going on",
            pattern={"source": [DOMAIN_SOURCE, runner.SOURCE], "detail-type": [*runner.STARTS, runner.CONTINUED]},
            environment={},
            timeout=RUNNER_TIMEOUT,
        )
        self._grant(
            self.import_runner,
            ["s3:GetObject", "s3:PutObject"],
            "The runner reads each import's file and writes its reports beside it, at keys it makes from the import's "
            "tenant and id: only under the imports' prefix.",
            IMPORTS_PREFIX,
        )

    def _continuing_worker(
        self,
        factory: FunctionFactory,
        bus: events.IEventBus,
        *,
        area: str,
        description: str,
        rule: str,
        rule_description: str,
        pattern: dict[str, list[str]],
        environment: dict[str, str],
        timeout: Duration,
    ) -> lambda_.Function:
        """An event worker fenced to the event's tenant, on the table, the bus (it puts its own continuation) and the
        bucket, whose files are encrypted with the stack's key."""
        worker = factory.event_worker(
            self,
            EventWorker(
                area=area,
                description=description,
                trigger=OnEvents(
                    rule=rule,
                    description=rule_description,
                    bus=bus,
                    pattern=pattern,
                    retry_attempts=RETRY_ATTEMPTS,
                    max_event_age=MAX_EVENT_AGE,
                ),
                tenancy=TenantFenced(),
                environment={
                    "TABLE_NAME": self._data.table.table_name,
                    "EVENT_BUS_NAME": bus.event_bus_name,
                    **environment,
                    BUCKET_VARIABLE: self.bucket.bucket_name,
                },
                timeout=timeout,
            ),
        )
        bus.grant_put_events_to(worker)
        self._data.grant_key(worker)
        return worker

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

    def grant_imports_api(self, function: lambda_.Function) -> None:
        """The imports API presigns the upload of its caller's tenant's files, reads their header, and presigns the
        downloads of their reports."""
        function.add_environment(BUCKET_VARIABLE, self.bucket.bucket_name)
        self._grant(
            function,
            ["s3:GetObject", "s3:PutObject"],
            "The API presigns the upload of its caller's tenant's import files and the download of their reports, and "
            "reads their header, at keys it makes from the token's tenant and the import's id: only under the imports' "
            "prefix.",
            IMPORTS_PREFIX,
        )
        self._data.grant_key(function)

    def _grant(self, function: lambda_.Function, actions: list[str], reason: str, prefix: str = PREFIX) -> None:
        function.add_to_role_policy(
            iam.PolicyStatement(actions=actions, resources=[self.bucket.arn_for_objects(f"{prefix}*")])
        )
        bucket_id = Stack.of(self).get_logical_id(self.bucket.node.default_child)  # type: ignore[arg-type]
        finding = f"AwsSolutions::AwsSolutions-IAM5[Resource::<{bucket_id}.Arn>/{prefix}*]"
        acknowledge(function.role or function, finding, reason)
