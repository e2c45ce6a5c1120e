"""The `rapport` command line itself: what loading it costs the process it then runs in."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def test_loading_the_command_line_leaves_the_data_layer_unloaded() -> None:
    """`rapport local` configures the domain core (its table names) before the core is first imported, and reads it
    once: `rapport import` made the command line import the core first, and `rapport seed` then wrote to a table
    that did not exist."""
    loaded = subprocess.run(
        [
            sys.executable,
            "-c",
            "import sys, local.cli; print(sorted(m for m in sys.modules if m.startswith('rapport.')))",
        ],
        cwd=ROOT,
        env={"PYTHONPATH": f"{ROOT}/layers/core/python:{ROOT}", "PATH": ""},
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    assert "rapport.dal.models" not in loaded and "rapport.records" not in loaded, loaded
