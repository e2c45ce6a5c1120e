"""`make bench`'s analytics case run at a small scale: the company it loads is the one it reports, and the daily
ranking it times finds deserting the contacts whose buying the company halved (the seeds' example), all but those
whose drop a cancelled order made smaller than half."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


def _figures(output: str) -> dict[str, float]:
    rows = output.splitlines()[2:]  # the title, then the scales' heading
    named = (row.rsplit(maxsplit=1) for row in rows if row.strip())
    return {name.strip(): float(value.replace(",", "")) for name, value in named}


@pytest.mark.slow
def test_the_bench_loads_the_company_and_detection_finds_each_halving_contact_deserting() -> None:
    done = subprocess.run(
        [sys.executable, "-W", "ignore", "-m", "tools.analytics_bench", "60"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=True,
        timeout=300,
    )
    figures = _figures(done.stdout)
    assert figures["orders"] > 60 * 8
    halved = figures["contacts that halved their buying"]
    assert halved > 0
    surely = halved - figures["of which one cancelled an order before"]
    assert surely > 0
    assert surely <= figures["detect: contacts found deserting"] <= halved
    assert figures["value: requests per customer"] == pytest.approx(2.0, abs=0.2)
    for job in ("value", "detect", "export"):
        assert figures[f"{job}: seconds"] > 0
