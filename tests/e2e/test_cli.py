"""The `rapport` command beside a running `rapport local`."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
import requests

from tests.e2e.conftest import STACK, LocalRuntime, Staff

RAPPORT = str(Path(sys.executable).with_name("rapport"))


def _rapport(*arguments: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([RAPPORT, *arguments], capture_output=True, text=True, timeout=60, check=False)  # noqa: S603


def test_rapport_token_prints_a_token_the_runtime_accepts(local_runtime: LocalRuntime, tenant: str) -> None:
    minted = _rapport(
        "token",
        "--tenant",
        tenant,
        "--user",
        "ada",
        "--groups",
        "sales,manager",
        "--data-dir",
        str(local_runtime.data_dir),
    )
    assert minted.returncode == 0, minted.stderr
    response = requests.get(
        f"{local_runtime.url}/accounts", headers={"Authorization": f"Bearer {minted.stdout.strip()}"}, timeout=30
    )
    assert response.status_code == 200, response.text


def test_rapport_schedule_run_names_the_scheduled_rules_when_the_rule_is_unknown(local_runtime: LocalRuntime) -> None:
    ran = _rapport("schedule", "run", "NoSuchRule", "--data-dir", str(local_runtime.data_dir))
    assert ran.returncode == 1
    assert "no scheduled rule 'NoSuchRule'" in ran.stderr


def test_rapport_schedule_run_fires_a_scheduled_rule_now(local_runtime: LocalRuntime) -> None:
    template = json.loads((local_runtime.cdk_out / f"{STACK}.template.json").read_text())
    scheduled = [
        logical_id
        for logical_id, resource in template["Resources"].items()
        if resource["Type"] == "AWS::Events::Rule" and "ScheduleExpression" in resource["Properties"]
    ]
    if not scheduled:
        pytest.skip("the stack has no scheduled rule")
    ran = _rapport("schedule", "run", scheduled[0], "--data-dir", str(local_runtime.data_dir))
    assert ran.returncode == 0, ran.stderr
    assert json.loads(ran.stdout)["triggered"]


def test_rapport_schedule_run_without_a_runtime_says_so(tmp_path: Path) -> None:
    ran = _rapport("schedule", "run", "Anything", "--data-dir", str(tmp_path))
    assert ran.returncode == 1
    assert "not running" in ran.stderr


def test_rapport_local_without_a_synthesis_says_what_to_do(tmp_path: Path) -> None:
    ran = _rapport("local", "--cdk-out", str(tmp_path), "--data-dir", str(tmp_path / "data"))
    assert ran.returncode == 1
    assert "make synth" in ran.stderr


def test_a_function_starts_in_a_worker_on_first_use_which_is_reused_after(
    local_runtime: LocalRuntime, staff: Staff
) -> None:
    sales = staff("sales")
    assert sales.get("/accounts").status_code == 200
    cold_starts = local_runtime.output().count("Functions/accounts/Function: cold start")
    assert cold_starts >= 1
    assert sales.get("/accounts").status_code == 200
    assert local_runtime.output().count("Functions/accounts/Function: cold start") == cold_starts


def _put(local_runtime: LocalRuntime, *arguments: str) -> subprocess.CompletedProcess[str]:
    common = ("--source", "rapport.test", "--detail-type", "nothing.listens", "--data-dir", str(local_runtime.data_dir))
    return _rapport("events", "put", *common, *arguments)


def test_rapport_events_put_puts_a_detail_given_inline_or_in_a_file(
    local_runtime: LocalRuntime, tmp_path: Path
) -> None:
    inline = _put(local_runtime, "--detail", '{"tenant_id": "t", "n": 1}')
    assert inline.returncode == 0, inline.stderr
    assert json.loads(inline.stdout)["bus"].startswith("Rapport")
    detail = tmp_path / "detail.json"
    detail.write_text('{"tenant_id": "t",\n "n": 2}')
    from_file = _put(local_runtime, "--detail-file", str(detail))
    assert from_file.returncode == 0, from_file.stderr
    assert json.loads(from_file.stdout)["event_id"] != json.loads(inline.stdout)["event_id"]


@pytest.mark.parametrize(
    ("arguments", "said"),
    [
        (("--detail", '{"tenant_id": "t", "note": "a raw\nnewline"}'), "--detail is not JSON"),
        (("--detail", "[1, 2]"), "must be a JSON object"),
        (("--detail-file", "/no/such/file.json"), "cannot read /no/such/file.json"),
        (("--detail", "{}", "--bus", "no-such-bus"), "refused the event"),
    ],
)
def test_rapport_events_put_refuses_what_it_cannot_put_and_says_why(
    local_runtime: LocalRuntime, arguments: tuple[str, ...], said: str
) -> None:
    refused = _put(local_runtime, *arguments)
    assert refused.returncode == 1
    assert said in refused.stderr
    assert "Traceback" not in refused.stderr


def test_rapport_events_put_without_a_running_runtime_says_so(tmp_path: Path) -> None:
    refused = _rapport(
        "events", "put", "--source", "s", "--detail-type", "t", "--detail", "{}", "--data-dir", str(tmp_path)
    )
    assert refused.returncode == 1
    assert "rapport local is not running" in refused.stderr
