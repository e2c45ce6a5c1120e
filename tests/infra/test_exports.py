"""The exports in the template: their bucket, the writer's rule, retries, dead-letter queue and time, and who may
do what with the files."""

from __future__ import annotations

from typing import Any

import pytest

from infra.constructs import exports as construct
from rapport.exports import store, writer
from tests.infra.conftest import Synthesis

pytestmark = pytest.mark.slow


def _statements(dev: Synthesis, area: str) -> list[dict[str, Any]]:
    function = dev.functions()[area]
    role = function["Role"]["Fn::GetAtt"][0]
    return [
        statement
        for policy in dev.of_type("AWS::IAM::Policy").values()
        if {"Ref": role} in policy["Properties"]["Roles"]
        for statement in policy["Properties"]["PolicyDocument"]["Statement"]
    ]


def _on_files(dev: Synthesis, area: str) -> list[str]:
    bucket = dev.id_of("AWS::S3::Bucket", "/Exports/Bucket/Resource")
    files = {"Fn::Join": ["", [{"Fn::GetAtt": [bucket, "Arn"]}, f"/{construct.PREFIX}*"]]}
    actions: list[str] = []
    for statement in _statements(dev, area):
        if statement["Resource"] == files:
            actions += [statement["Action"]] if isinstance(statement["Action"], str) else statement["Action"]
    return sorted(actions)


def test_the_files_are_kept_under_the_prefix_the_functions_may_reach() -> None:
    assert store.file_key("t", "x").startswith(construct.PREFIX)


def test_the_bucket_is_encrypted_private_tls_only_and_forgets_files_and_unfinished_uploads(dev: Synthesis) -> None:
    rules = dev.private_bucket("Exports")
    assert (rules["Files"]["Prefix"], rules["Files"]["ExpirationInDays"]) == ("exports/", store.FILE_LIFETIME_DAYS)


def test_exports_asked_for_and_continuations_reach_the_writer_with_retries_and_a_dead_letter_queue(
    dev: Synthesis,
) -> None:
    properties = dev.one("AWS::Events::Rule", "/Exports/WriterEvents/Resource")["Properties"]
    assert properties["EventPattern"] == {
        "source": ["rapport", writer.SOURCE],
        "detail-type": ["export.created", writer.CONTINUED],
    }
    [target] = properties["Targets"]
    function = dev.id_of("AWS::Lambda::Function", "/Functions/export_writer/Function/Resource")
    queue = dev.id_of("AWS::SQS::Queue", "/Exports/ExportWriterDeadLetters/Resource")
    assert target["Arn"] == {"Fn::GetAtt": [function, "Arn"]}
    assert target["DeadLetterConfig"]["Arn"] == {"Fn::GetAtt": [queue, "Arn"]}
    assert target["RetryPolicy"]["MaximumRetryAttempts"] == construct.RETRY_ATTEMPTS


def test_the_writer_puts_its_continuation_before_its_timeout_can_cut_a_part(dev: Synthesis) -> None:
    from export_writer.handler import PART_TIME_MS

    writer_function = dev.functions()["export_writer"]
    assert writer_function["Timeout"] * 1000 >= 2 * PART_TIME_MS
    variables = writer_function["Environment"]["Variables"]
    [bus_id] = dev.of_type("AWS::Events::EventBus")
    bucket = dev.id_of("AWS::S3::Bucket", "/Exports/Bucket/Resource")
    assert variables["EVENT_BUS_NAME"] == {"Ref": bus_id}
    assert variables["EXPORTS_BUCKET"] == {"Ref": bucket}


def test_the_writer_writes_the_files_and_the_api_only_reads_them(dev: Synthesis) -> None:
    assert _on_files(dev, "export_writer") == ["s3:AbortMultipartUpload", "s3:PutObject"]
    assert _on_files(dev, "exports") == ["s3:GetObject"]
    assert _on_files(dev, "contacts") == []
