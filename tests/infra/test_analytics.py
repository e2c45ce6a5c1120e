"""The analytics exports in the template: the bucket, the hourly exporter on its own layer, the Glue tables made
from the datasets' own columns with partition projection, and the capped, encrypted Athena workgroup whose named
queries are the committed ones."""

from __future__ import annotations

import json
from typing import Any

import pytest

from infra.constructs import analytics as construct
from infra.constructs.functions import DEPS_LAYER
from rapport.analytics.datasets import DATASETS
from rapport.analytics.queries import queries
from tests.infra.conftest import Synthesis

pytestmark = pytest.mark.slow


def _statements(dev: Synthesis, area: str) -> list[dict[str, Any]]:
    role = dev.functions()[area]["Role"]["Fn::GetAtt"][0]
    return [
        statement
        for policy in dev.of_type("AWS::IAM::Policy").values()
        if {"Ref": role} in policy["Properties"]["Roles"]
        for statement in policy["Properties"]["PolicyDocument"]["Statement"]
    ]


def test_the_bucket_is_encrypted_private_tls_only_and_expires_what_it_keeps(dev: Synthesis) -> None:
    rules = dev.private_bucket("Analytics")
    assert (rules["Exports"]["Prefix"], rules["Exports"]["ExpirationInDays"]) == ("dataset=", construct.EXPORT_DAYS)
    assert (rules["QueryResults"]["Prefix"], rules["QueryResults"]["ExpirationInDays"]) == (
        construct.RESULTS_PREFIX,
        construct.RESULTS_DAYS,
    )


def test_the_exporter_runs_hourly_on_its_own_layer_with_retries_and_a_dead_letter_queue(dev: Synthesis) -> None:
    rule = dev.one("AWS::Events::Rule", "/Analytics/HourlyExport/Resource")["Properties"]
    assert rule["ScheduleExpression"] == "rate(1 hour)"
    [target] = rule["Targets"]
    function = dev.id_of("AWS::Lambda::Function", "/Functions/analytics_export/Function/Resource")
    queue = dev.id_of("AWS::SQS::Queue", "/Analytics/AnalyticsExportDeadLetters/Resource")
    assert target["Arn"] == {"Fn::GetAtt": [function, "Arn"]}
    assert target["DeadLetterConfig"]["Arn"] == {"Fn::GetAtt": [queue, "Arn"]}
    properties = dev.functions()["analytics_export"]
    own = dev.id_of("AWS::Lambda::LayerVersion", "/Functions/analytics_export/Layer/Resource")
    assert properties["Layers"][-1] == {"Ref": own}
    assert properties["MemorySize"] == construct.EXPORT_MEMORY_MB
    layer = dev.asset(own)
    assert (layer / "python" / "duckdb").is_dir()
    assert not (DEPS_LAYER / "python" / "duckdb").exists(), "the API functions' deps layer does not carry DuckDB"
    variables = properties["Environment"]["Variables"]
    assert variables["ANALYTICS_BUCKET"] == {"Ref": dev.id_of("AWS::S3::Bucket", "/Analytics/Bucket/Resource")}


def test_the_exporter_writes_only_under_the_exports_prefix_and_never_scans(dev: Synthesis) -> None:
    statements = _statements(dev, "analytics_export")
    bucket = dev.id_of("AWS::S3::Bucket", "/Analytics/Bucket/Resource")
    writes = {json.dumps(s["Action"]): s["Resource"] for s in statements if "s3:PutObject" in s["Action"]}
    assert writes == {
        '["s3:DeleteObject", "s3:PutObject"]': {"Fn::Join": ["", [{"Fn::GetAtt": [bucket, "Arn"]}, "/dataset=*"]]},
        '"s3:PutObject"': {"Fn::Join": ["", [{"Fn::GetAtt": [bucket, "Arn"]}, "/kpis/*"]]},
    }
    [listing] = [s for s in statements if s["Action"] == "s3:ListBucket"]
    assert listing["Condition"] == {"StringLike": {"s3:prefix": ["dataset=*"]}}
    actions = {
        action for s in statements for action in ([s["Action"]] if isinstance(s["Action"], str) else s["Action"])
    }
    assert "dynamodb:Scan" not in actions and not any(action.startswith("dynamodb:PartiQL") for action in actions)


def test_each_dataset_is_a_glue_table_of_its_columns_with_partition_projection(dev: Synthesis) -> None:
    database = dev.one("AWS::Glue::Database", "/Analytics/Database")["Properties"]["DatabaseInput"]["Name"]
    tables = {
        table["Properties"]["TableInput"]["Name"]: table["Properties"]
        for table in dev.of_type("AWS::Glue::Table").values()
    }
    assert set(tables) == {dataset.name for dataset in DATASETS}
    assert not dev.of_type("AWS::Glue::Crawler")
    for dataset in DATASETS:
        table = tables[dataset.name]
        assert table["DatabaseName"] == database
        described = table["TableInput"]
        columns = [(c["Name"], c["Type"]) for c in described["StorageDescriptor"]["Columns"]]
        assert columns == [(column.name, column.type.value) for column in dataset.columns]
        assert [c["Name"] for c in described["PartitionKeys"]] == ["tenant", "dt"]
        parameters = described["Parameters"]
        assert parameters["projection.enabled"] == "true"
        assert parameters["projection.tenant.type"] == "injected"
        assert (parameters["projection.dt.type"], parameters["projection.dt.format"]) == ("date", "yyyy-MM-dd")
        template = parameters["storage.location.template"]["Fn::Join"][1]
        assert template[-1] == f"/dataset={dataset.name}/tenant=${{tenant}}/dt=${{dt}}/"
        assert described["StorageDescriptor"]["SerdeInfo"]["SerializationLibrary"] == construct.PARQUET_SERDE


def test_the_workgroup_caps_scans_encrypts_results_and_names_the_committed_queries(dev: Synthesis) -> None:
    workgroup = dev.one("AWS::Athena::WorkGroup", "/Analytics/WorkGroup")["Properties"]
    configuration = workgroup["WorkGroupConfiguration"]
    assert configuration["EnforceWorkGroupConfiguration"] is True
    assert configuration["BytesScannedCutoffPerQuery"] == construct.SCAN_LIMIT_BYTES
    assert configuration["EngineVersion"]["SelectedEngineVersion"] == construct.ENGINE
    encryption = configuration["ResultConfiguration"]["EncryptionConfiguration"]
    key = dev.id_of("AWS::KMS::Key", "/Data/Key/Resource")
    assert encryption == {"EncryptionOption": "SSE_KMS", "KmsKey": {"Fn::GetAtt": [key, "Arn"]}}
    named = {
        query["Properties"]["Name"]: query["Properties"] for query in dev.of_type("AWS::Athena::NamedQuery").values()
    }
    assert {name: query["QueryString"] for name, query in named.items()} == {
        name: query.sql for name, query in queries().items()
    }
    assert all(query["WorkGroup"] == workgroup["Name"] for query in named.values())


def test_the_orders_function_reads_only_the_headline_figures(dev: Synthesis) -> None:
    bucket = dev.id_of("AWS::S3::Bucket", "/Analytics/Bucket/Resource")
    statements = _statements(dev, "orders")
    reads = [s for s in statements if "s3" in json.dumps(s["Action"])]
    assert [(s["Action"], s["Resource"]) for s in reads] == [
        ("s3:GetObject", {"Fn::Join": ["", [{"Fn::GetAtt": [bucket, "Arn"]}, "/kpis/*"]]})
    ]
    assert dev.functions()["orders"]["Environment"]["Variables"]["ANALYTICS_BUCKET"] == {"Ref": bucket}
