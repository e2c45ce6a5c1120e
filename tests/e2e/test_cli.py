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
