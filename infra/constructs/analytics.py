"""Analytics: the bucket the exports land in, the hourly exporter, the Glue catalog that describes them and the
Athena workgroup that queries them with the committed KPI queries (rapport.analytics says why this mechanism).

- The bucket: KMS-encrypted with the stack's customer key, no public access, TLS only. Exports live under
  `dataset=<name>/tenant=<id>/dt=<day>/` and expire after EXPORT_DAYS (a tenant whose exports stopped leaves no
  stale copy); Athena's results under RESULTS_PREFIX expire after RESULTS_DAYS.
- The exporter (`functions/analytics_export`) runs hourly for every tenant of the registry, with DuckDB in a layer
  of its own (layers/analytics: the API functions' deps layer does not carry it). It reads each tenant's lists
  (one Query a page, no Scan) and the analytics settings, and writes and deletes only under `dataset=`.
- The Glue database has a table per dataset, its columns from rapport.analytics.datasets, with partition
  projection (no crawler): `tenant` is injected (every query names its tenant, which keeps scans to one
  tenant's files) and `dt` is a date within the days exports are kept.
- The exporter also puts each tenant's headline figures under `kpis/` (rapport.analytics.headline), which the
  orders function reads for `GET /reports/kpis`.
- The Athena workgroup (engine 3, Trino's SQL) enforces its settings: results encrypted with the key, a scan
  limit per query (SCAN_LIMIT_BYTES); the KPI queries (rapport.analytics.queries) are its named queries.
"""

from __future__ import annotations

from aws_cdk import Duration, Stack
from aws_cdk import aws_athena as athena
from aws_cdk import aws_dynamodb as dynamodb
from aws_cdk import aws_events as events
from aws_cdk import aws_glue as glue
from aws_cdk import aws_iam as iam
from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_s3 as s3
from constructs import Construct

from infra.config import ROOT, StageConfig
from infra.constructs.data import Data
from infra.constructs.followups import TENANTS_VARIABLE
from infra.constructs.functions import FunctionFactory
from infra.constructs.tenancy import CrossTenant
from infra.constructs.workers import EventWorker, OnSchedule
from infra.nag import acknowledge
from infra.table_access import TableAccess
from rapport.analytics.datasets import DATASETS, Dataset
from rapport.analytics.export import DATASET_PREFIX
from rapport.analytics.headline import HEADLINE_PREFIX
from rapport.analytics.queries import queries
from rapport.analytics.sql import PARTITION_COLUMNS

ANALYTICS_LAYER = ROOT / "layers" / "analytics" / "build"
EXPORT_SCHEDULE = events.Schedule.rate(Duration.hours(1))
EXPORT_TIMEOUT = Duration.minutes(15)
EXPORT_MEMORY_MB = 1024  # DuckDB's working memory (rapport.analytics.parquet.MEMORY_LIMIT) and Python's
RETRY_ATTEMPTS = 2
MAX_EVENT_AGE = Duration.hours(1)  # the next hour's run refreshes everything anyway
EXPORT_DAYS = 7
RESULTS_PREFIX = "athena-results/"
RESULTS_DAYS = 7
SCAN_LIMIT_BYTES = 10 * 1024**3
ENGINE = "Athena engine version 3"
PARQUET_INPUT = "org.apache.hadoop.hive.ql.io.parquet.MapredParquetInputFormat"
PARQUET_OUTPUT = "org.apache.hadoop.hive.ql.io.parquet.MapredParquetOutputFormat"
PARQUET_SERDE = "org.apache.hadoop.hive.ql.io.parquet.serde.ParquetHiveSerDe"
# The analytics settings (GetItem), the lists walked (gsi1; tasks: gsi4), a deal's stage history (Query).
EXPORT_ACCESS = TableAccess(items=("dynamodb:GetItem", "dynamodb:Query"), indexes=("gsi1", "gsi4"))
EXPORT_REASON = (
    "the hourly export runs for every registered tenant. Assuming a tenant role per tenant would cost one STS call "
    "per tenant every hour (STS throttles per account) for reads only; it writes nothing to the tables."
)


def database_name(stage: StageConfig) -> str:
    return f"rapport_{stage.name}_analytics"


def projection(dataset: Dataset, bucket: s3.IBucket) -> dict[str, str]:
    """The table parameters of partition projection: the tenant injected by each query, the day a recent date."""
    return {
        "classification": "parquet",
        "projection.enabled": "true",
        "projection.tenant.type": "injected",
        "projection.dt.type": "date",
        "projection.dt.format": "yyyy-MM-dd",
        "projection.dt.range": f"NOW-{EXPORT_DAYS}DAYS,NOW",
        "projection.dt.interval": "1",
        "projection.dt.interval.unit": "DAYS",
        "storage.location.template": f"s3://{bucket.bucket_name}/{DATASET_PREFIX}{dataset.name}/tenant=${{tenant}}/dt=${{dt}}/",
    }


class Analytics(Construct):
    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        data: Data,
        factory: FunctionFactory,
        tenants: dynamodb.ITable,
        stage: StageConfig,
    ) -> None:
        super().__init__(scope, construct_id)
        self.key_arn = data.key.key_arn
        self.bucket = self._bucket(data, stage)
        self.exporter = self._exporter(data, factory, tenants)
        self.database = self._catalog(stage)
        self.workgroup = self._workgroup(data, stage)

    def _bucket(self, data: Data, stage: StageConfig) -> s3.Bucket:
        return data.private_bucket(
            self,
            stage.removal_policy,
            [
                s3.LifecycleRule(id="Exports", prefix=DATASET_PREFIX, expiration=Duration.days(EXPORT_DAYS)),
                s3.LifecycleRule(id="QueryResults", prefix=RESULTS_PREFIX, expiration=Duration.days(RESULTS_DAYS)),
            ],
            unlogged_because="Only the exporter writes here, and Athena (for the workgroup's users) reads: their "
            "requests are in CloudTrail; server access logs would need a second bucket for no more insight.",
        )

    def _exporter(self, data: Data, factory: FunctionFactory, tenants: dynamodb.ITable) -> lambda_.Function:
        exporter = factory.event_worker(
            self,
            EventWorker(
                area="analytics_export",
                description="Rapport analytics export: every tenant's datasets as Parquet, hourly",
                trigger=OnSchedule(
                    rule="HourlyExport",
                    description="Refreshes each tenant's analytics exports",
                    schedule=EXPORT_SCHEDULE,
                    retry_attempts=RETRY_ATTEMPTS,
                    max_event_age=MAX_EVENT_AGE,
                ),
                tenancy=CrossTenant(EXPORT_ACCESS, EXPORT_REASON),
                environment={
                    "TABLE_NAME": data.table.table_name,
                    TENANTS_VARIABLE: tenants.table_name,
                    "ANALYTICS_BUCKET": self.bucket.bucket_name,
                    "CURSOR_SECRET_ARN": data.cursor_secret.secret_arn,
                },
                timeout=EXPORT_TIMEOUT,
                memory_mb=EXPORT_MEMORY_MB,
                own_layer=ANALYTICS_LAYER,
            ),
        )
        exporter.add_to_role_policy(iam.PolicyStatement(actions=["dynamodb:Query"], resources=[tenants.table_arn]))
        data.grant_key(exporter)
        data.cursor_secret.grant_read(exporter)  # the key personal fields are hashed with (rapport.sealing)
        exports = self.bucket.arn_for_objects(f"{DATASET_PREFIX}*")
        exporter.add_to_role_policy(
            iam.PolicyStatement(actions=["s3:PutObject", "s3:DeleteObject"], resources=[exports])
        )
        headlines = self.bucket.arn_for_objects(f"{HEADLINE_PREFIX}*")
        exporter.add_to_role_policy(iam.PolicyStatement(actions=["s3:PutObject"], resources=[headlines]))
        exporter.add_to_role_policy(
            iam.PolicyStatement(
                actions=["s3:ListBucket"],
                resources=[self.bucket.bucket_arn],
                conditions={"StringLike": {"s3:prefix": [f"{DATASET_PREFIX}*"]}},
            )
        )
        bucket_id = Stack.of(self).get_logical_id(self.bucket.node.default_child)  # type: ignore[arg-type]
        acknowledge(
            exporter.role or exporter,
            f"AwsSolutions::AwsSolutions-IAM5[Resource::<{bucket_id}.Arn>/{DATASET_PREFIX}*]",
            "The exporter replaces each tenant's files of each dataset, whose keys it makes: only under the exports' "
            "prefix.",
        )
        acknowledge(
            exporter.role or exporter,
            f"AwsSolutions::AwsSolutions-IAM5[Resource::<{bucket_id}.Arn>/{HEADLINE_PREFIX}*]",
            "The exporter puts each tenant's headline figures, whose keys it makes: only under their prefix.",
        )
        return exporter

    def grant_report(self, function: lambda_.Function) -> None:
        """`GET /reports/kpis` reads the caller's tenant's headline figures (one GetObject under their prefix)."""
        function.add_environment("ANALYTICS_BUCKET", self.bucket.bucket_name)
        headlines = self.bucket.arn_for_objects(f"{HEADLINE_PREFIX}*")
        function.add_to_role_policy(iam.PolicyStatement(actions=["s3:GetObject"], resources=[headlines]))
        function.add_to_role_policy(iam.PolicyStatement(actions=["kms:Decrypt"], resources=[self.key_arn]))
        bucket_id = Stack.of(self).get_logical_id(self.bucket.node.default_child)  # type: ignore[arg-type]
        acknowledge(
            function.role or function,
            f"AwsSolutions::AwsSolutions-IAM5[Resource::<{bucket_id}.Arn>/{HEADLINE_PREFIX}*]",
            "The API reads the headline figures of the caller's tenant, whose key it makes from the token's tenant: "
            "only under their prefix.",
        )

    def _catalog(self, stage: StageConfig) -> glue.CfnDatabase:
        account = Stack.of(self).account
        database = glue.CfnDatabase(
            self,
            "Database",
            catalog_id=account,
            database_input=glue.CfnDatabase.DatabaseInputProperty(
                name=database_name(stage), description="Rapport's analytics exports, one table per dataset"
            ),
        )
        for dataset in DATASETS:
            table = glue.CfnTable(
                self,
                "".join(part.capitalize() for part in dataset.name.split("_")) + "Table",
                catalog_id=account,
                database_name=database_name(stage),
                table_input=glue.CfnTable.TableInputProperty(
                    name=dataset.name,
                    description=dataset.description,
                    table_type="EXTERNAL_TABLE",
                    parameters=projection(dataset, self.bucket),
                    partition_keys=[
                        glue.CfnTable.ColumnProperty(name=name, type="string") for name in PARTITION_COLUMNS
                    ],
                    storage_descriptor=glue.CfnTable.StorageDescriptorProperty(
                        columns=[
                            glue.CfnTable.ColumnProperty(name=column.name, type=column.type.value)
                            for column in dataset.columns
                        ],
                        location=f"s3://{self.bucket.bucket_name}/{DATASET_PREFIX}{dataset.name}/",
                        input_format=PARQUET_INPUT,
                        output_format=PARQUET_OUTPUT,
                        serde_info=glue.CfnTable.SerdeInfoProperty(serialization_library=PARQUET_SERDE),
                    ),
                ),
            )
            table.add_dependency(database)
        return database

    def _workgroup(self, data: Data, stage: StageConfig) -> athena.CfnWorkGroup:
        workgroup = athena.CfnWorkGroup(
            self,
            "WorkGroup",
            name=f"rapport-{stage.name}-analytics",
            description="Rapport analytics: the KPI queries over the exports, results encrypted, scans capped",
            state="ENABLED",
            recursive_delete_option=True,
            work_group_configuration=athena.CfnWorkGroup.WorkGroupConfigurationProperty(
                enforce_work_group_configuration=True,
                bytes_scanned_cutoff_per_query=SCAN_LIMIT_BYTES,
                publish_cloud_watch_metrics_enabled=True,
                engine_version=athena.CfnWorkGroup.EngineVersionProperty(selected_engine_version=ENGINE),
                result_configuration=athena.CfnWorkGroup.ResultConfigurationProperty(
                    output_location=f"s3://{self.bucket.bucket_name}/{RESULTS_PREFIX}",
                    encryption_configuration=athena.CfnWorkGroup.EncryptionConfigurationProperty(
                        encryption_option="SSE_KMS", kms_key=data.key.key_arn
                    ),
                ),
            ),
        )
        for query in queries().values():
            named = athena.CfnNamedQuery(
                self,
                "".join(part.capitalize() for part in query.name.split("_")) + "Query",
                name=query.name,
                description=query.description[:1024],
                database=database_name(stage),
                query_string=query.sql,
                work_group=workgroup.name,
            )
            named.add_dependency(workgroup)
        return workgroup
