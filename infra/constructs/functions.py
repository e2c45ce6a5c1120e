"""The factory for Rapport's Lambda functions: every function is built the same way, by one construct.

A function is an area (`functions/<area>/handler.py`) on the shared layers: the domain core (`layers/core`,
/opt/python/rapport) and the third-party dependencies (`layers/deps/build`). An API function serves routes; an
event worker is declared by its construct as data (`EventWorker`, infra/constructs/workers.py) and built with its
trigger, retries and dead-letter queue. Each says how it reaches the tenant tables (infra/constructs/tenancy.py):
API functions are fenced to their caller's tenant. Every asset ships bytecode compiled by the runtime's Python
(`infra.bytecode`).
"""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

import jsii
from aws_cdk import AssetHashType, BundlingOptions, DockerImage, Duration, ILocalBundling
from aws_cdk import aws_iam as iam
from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_logs as logs
from constructs import Construct

from infra import bytecode
from infra.config import ROOT, StageConfig
from infra.constructs.data import Data
from infra.constructs.tenancy import (
    CrossTenant,
    Tenancy,
    TenantData,
    TenantFenced,
    grant_across_tenants,
    role_description,
)
from infra.constructs.workers import EventWorker, connect
from infra.nag import acknowledge
from infra.table_access import ROLE_VARIABLE

[RUNTIME] = [runtime for runtime in lambda_.Runtime.ALL if runtime.name == f"python{bytecode.PYTHON_VERSION}"]
ARCHITECTURE = lambda_.Architecture.ARM_64
HANDLER = "rapport.api.entry.lambda_handler"  # the area's handler.lambda_handler, after rapport.api.powertools
MEMORY_MB = 512
TIMEOUT = Duration.seconds(10)
METRICS_NAMESPACE = "Rapport"
DEPS_LAYER = ROOT / "layers" / "deps" / "build"
_NOT_SHIPPED = ["__pycache__", "*.pyc", ".stamp"]


@jsii.implements(ILocalBundling)
class _CompiledCopy:
    """Bundles a folder on this machine: its files, and bytecode compiled by the runtime's Python."""

    def __init__(self, source: Path) -> None:
        self._source = source

    def try_bundle(self, output_dir: str, *_options: Any, **_keywords: Any) -> bool:
        """jsii passes the bundling options as one struct; they hold nothing this bundling needs."""
        shutil.copytree(self._source, output_dir, ignore=shutil.ignore_patterns(*_NOT_SHIPPED), dirs_exist_ok=True)
        bytecode.compile_tree(Path(output_dir))
        return True


def compiled_asset(source: Path) -> lambda_.AssetCode:
    """`source` as a Lambda asset with its bytecode. The asset's hash covers the sources and how they are
    compiled, so a new runtime version makes new assets."""
    return lambda_.Code.from_asset(
        str(source),
        exclude=_NOT_SHIPPED,
        asset_hash_type=AssetHashType.SOURCE,
        bundling=BundlingOptions(
            # Required by the API, never used: the local bundling either succeeds or stops the synthesis.
            image=DockerImage.from_registry("local-bundling-only"),
            local=_CompiledCopy(source),
            environment={"PYTHON_VERSION": bytecode.PYTHON_VERSION, "INVALIDATION_MODE": bytecode.INVALIDATION_MODE},
        ),
    )


class FunctionFactory(Construct):
    def __init__(self, scope: Construct, construct_id: str, *, data: Data, stage: StageConfig) -> None:
        super().__init__(scope, construct_id)
        self._data = data
        self._stage = stage
        self._layers = [self._core_layer(), self._deps_layer()]
        self.tenant_data = TenantData(self, "TenantData", data=data)
        self._workers: list[EventWorker] = []

    def api_function(self, area: str) -> lambda_.Function:
        """The function serving the API area `functions/<area>`: it reads and writes its caller's tenant's data."""
        function = self._function(area, f"Rapport API: {area}", self._environment(area), TenantFenced(), TIMEOUT)
        self._data.cursor_secret.grant_read(function)
        acknowledge(
            function,
            "Serverless::Serverless-LambdaDLQ",
            "Only API Gateway invokes this function, synchronously: a failure goes back to the caller as an "
            "HTTP error. A dead-letter queue only ever receives asynchronous invocations.",
        )
        return function

    def event_worker(self, scope: Construct, worker: EventWorker) -> lambda_.Function:
        """The worker's function, and in `scope` (the construct declaring it) its trigger and dead-letter queue."""
        function = self._function(
            worker.area,
            worker.description,
            {**self._common_environment(worker.area), **worker.environment},
            worker.tenancy,
            worker.timeout or TIMEOUT,
            memory_mb=worker.memory_mb or MEMORY_MB,
            own_layer=worker.own_layer,
            reserved_concurrency=worker.reserved_concurrency,
        )
        connect(scope, function, worker)
        self._workers.append(worker)
        return function

    @property
    def workers(self) -> tuple[EventWorker, ...]:
        """The event workers built so far, as their constructs declared them."""
        return tuple(self._workers)

    def _function(
        self,
        area: str,
        description: str,
        environment: dict[str, str],
        tenancy: Tenancy,
        timeout: Duration,
        *,
        memory_mb: int = MEMORY_MB,
        own_layer: Path | None = None,
        reserved_concurrency: int | None = None,
    ) -> lambda_.Function:
        scope = Construct(self, area)
        role = self._role(scope, tenancy)
        layers = [*self._layers, self._built_layer(scope, area, own_layer)] if own_layer else self._layers
        function = lambda_.Function(
            scope,
            "Function",
            description=description,
            runtime=RUNTIME,
            architecture=ARCHITECTURE,
            code=compiled_asset(ROOT / "functions" / area),
            handler=HANDLER,
            layers=layers,
            memory_size=memory_mb,
            timeout=timeout,
            role=role,
            log_group=self._log_group(scope, role),
            logging_format=lambda_.LoggingFormat.JSON,
            tracing=lambda_.Tracing.ACTIVE,
            environment=environment,
            reserved_concurrent_executions=reserved_concurrency,
        )
        if isinstance(tenancy, CrossTenant):
            grant_across_tenants(function, self._data, tenancy.access)
        else:
            self.tenant_data.admit(role)
            function.add_environment(ROLE_VARIABLE, self.tenant_data.role.role_arn)
        for finding in ("AwsSolutions::AwsSolutions-L1", "Serverless::Serverless-LambdaLatestVersion"):
            acknowledge(
                function,
                finding,
                f"Python {bytecode.PYTHON_VERSION}, not the latest: the functions ship bytecode compiled by their "
                "runtime's Python (infra.bytecode), and this is the newest one the project builds with. Lambda "
                "supports it until 2029.",
            )
        return function

    def _role(self, scope: Construct, tenancy: Tenancy) -> iam.Role:
        """A role per function, holding only the grants below (no AWS managed policy)."""
        role = iam.Role(
            scope,
            "Role",
            assumed_by=iam.ServicePrincipal("lambda.amazonaws.com"),
            description=role_description(tenancy),
        )
        acknowledge(
            role,
            "AwsSolutions::AwsSolutions-IAM5[Resource::*]",
            "Active tracing needs xray:PutTraceSegments and xray:PutTelemetryRecords, which support no "
            "resource-level permissions; every other statement names its resources.",
        )
        return role

    def _log_group(self, scope: Construct, writer: iam.IGrantable) -> logs.LogGroup:
        log_group = logs.LogGroup(
            scope, "Logs", retention=self._stage.log_retention, removal_policy=self._stage.removal_policy
        )
        log_group.grant_write(writer)
        return log_group

    def _environment(self, area: str) -> dict[str, str]:
        return {
            **self._common_environment(area),
            "TABLE_NAME": self._data.table.table_name,
            "IDEMPOTENCY_TABLE_NAME": self._data.idempotency_table.table_name,
            "CURSOR_SECRET_ARN": self._data.cursor_secret.secret_arn,
            "ALLOWED_ORIGIN": self._stage.allowed_origin,
        }

    @staticmethod
    def _common_environment(area: str) -> dict[str, str]:
        return {"POWERTOOLS_SERVICE_NAME": f"rapport-{area}", "POWERTOOLS_METRICS_NAMESPACE": METRICS_NAMESPACE}

    def _core_layer(self) -> lambda_.LayerVersion:
        return lambda_.LayerVersion(
            self,
            "CoreLayer",
            description="Rapport domain core (/opt/python/rapport)",
            code=compiled_asset(ROOT / "layers" / "core"),
            compatible_runtimes=[RUNTIME],
            compatible_architectures=[ARCHITECTURE],
        )

    @staticmethod
    def _built_layer(scope: Construct, area: str, build: Path) -> lambda_.LayerVersion:
        """A worker's own layer, built by layers/deps/build.sh like the deps layer (the Makefile's `layer`)."""
        if not (build / "python").is_dir():
            raise FileNotFoundError(f"{build} is missing: build it with `make layer`")
        return lambda_.LayerVersion(
            scope,
            "Layer",
            description=f"Rapport {area}: what only it loads ({build.parent.name}/requirements.txt)",
            code=compiled_asset(build),
            compatible_runtimes=[RUNTIME],
            compatible_architectures=[ARCHITECTURE],
        )

    def _deps_layer(self) -> lambda_.LayerVersion:
        if not (DEPS_LAYER / "python").is_dir():
            raise FileNotFoundError(f"{DEPS_LAYER} is missing: build the deps layer with layers/deps/build.sh")
        return lambda_.LayerVersion(
            self,
            "DepsLayer",
            description="Rapport third-party dependencies (layers/deps/requirements.txt)",
            code=compiled_asset(DEPS_LAYER),
            compatible_runtimes=[RUNTIME],
            compatible_architectures=[ARCHITECTURE],
        )
