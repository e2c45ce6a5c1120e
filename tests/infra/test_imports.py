"""The imports in the template: their files' prefix in the exports bucket (and its lifetime), the runner's rule,
retries, dead-letter queue and time, and who may do what with the files."""

from __future__ import annotations

import pytest

from infra.constructs import exports as construct
from rapport.exports.store import FILE_LIFETIME_DAYS
from rapport.imports import runner, store
from rapport.imports.models import ImportStatus
from tests.infra.conftest import Synthesis
from tests.infra.test_exports import _statements

pytestmark = pytest.mark.slow


def _on_imports(dev: Synthesis, area: str) -> list[str]:
    bucket = dev.id_of("AWS::S3::Bucket", "/Exports/Bucket/Resource")
    files = {"Fn::Join": ["", [{"Fn::GetAtt": [bucket, "Arn"]}, f"/{store.PREFIX}*"]]}
    actions: list[str] = []
    for statement in _statements(dev, area):
        if statement["Resource"] == files:
            actions += [statement["Action"]] if isinstance(statement["Action"], str) else statement["Action"]
    return sorted(actions)


def test_every_file_of_an_import_is_under_the_prefix_the_functions_may_reach() -> None:
    for suffix in ("", "-report", "-errors"):
        assert store.file_key("t", "x", suffix).startswith(store.PREFIX)


def test_the_bucket_forgets_the_imports_files_like_the_exports(dev: Synthesis) -> None:
    rules = dev.private_bucket("Exports")
    assert (rules["Imports"]["Prefix"], rules["Imports"]["ExpirationInDays"]) == (
        store.PREFIX,
        FILE_LIFETIME_DAYS,
    )


def test_each_start_of_a_run_and_the_continuations_reach_the_runner_with_retries_and_a_dead_letter_queue(
    dev: Synthesis,
) -> None:
    properties = dev.one("AWS::Events::Rule", "/Exports/ImportRunnerEvents/Resource")["Properties"]
    assert properties["EventPattern"] == {
        "source": ["rapport", runner.SOURCE],
        "detail-type": ["import.validating", "import.queued", "import.reverting", runner.CONTINUED],
    }
    assert {
        f"import.{status}" for status in (ImportStatus.VALIDATING, ImportStatus.QUEUED, ImportStatus.REVERTING)
    } == set(runner.STARTS)
    [target] = properties["Targets"]
    function = dev.id_of("AWS::Lambda::Function", "/Functions/import_runner/Function/Resource")
    queue = dev.id_of("AWS::SQS::Queue", "/Exports/ImportRunnerDeadLetters/Resource")
    assert target["Arn"] == {"Fn::GetAtt": [function, "Arn"]}
    assert target["DeadLetterConfig"]["Arn"] == {"Fn::GetAtt": [queue, "Arn"]}
    assert target["RetryPolicy"]["MaximumRetryAttempts"] == construct.RETRY_ATTEMPTS


def test_the_runner_puts_its_continuation_before_its_timeout_can_cut_a_batch(dev: Synthesis) -> None:
    from import_runner.handler import BATCH_TIME_MS

    function = dev.functions()["import_runner"]
    assert function["Timeout"] * 1000 >= 2 * BATCH_TIME_MS
    variables = function["Environment"]["Variables"]
    assert variables["EXPORTS_BUCKET"] == {"Ref": dev.id_of("AWS::S3::Bucket", "/Exports/Bucket/Resource")}


def test_the_api_and_the_runner_reach_the_imports_files_only(dev: Synthesis) -> None:
    assert _on_imports(dev, "imports") == ["s3:GetObject", "s3:PutObject"]
    assert _on_imports(dev, "import_runner") == ["s3:GetObject", "s3:PutObject"]
    assert _on_imports(dev, "exports") == [] and _on_imports(dev, "contacts") == []
