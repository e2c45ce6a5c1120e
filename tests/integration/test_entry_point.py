"""A function's entry point loads Powertools' REST resolver without the resolvers it never uses."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
# In a fresh interpreter, as Lambda starts a function: its entry point, then what its cold start imported.
ENTRY = """
import sys
import rapport.api.entry
loaded = [name for name in ("asyncio", "aws_lambda_powertools.event_handler.appsync") if name in sys.modules]
from aws_lambda_powertools.event_handler import AppSyncResolver, APIGatewayRestResolver, Response
print(loaded, AppSyncResolver.__module__, APIGatewayRestResolver.__module__, Response.__module__)
"""


def test_the_entry_point_imports_the_functions_handler_without_asyncio_or_the_other_resolvers() -> None:
    path = os.pathsep.join(str(ROOT / folder) for folder in ("functions/contacts", "layers/core/python"))
    finished = subprocess.run(  # noqa: S603 - this interpreter, in a fresh process
        [sys.executable, "-c", ENTRY], env={**os.environ, "PYTHONPATH": path}, capture_output=True, text=True
    )
    assert finished.returncode == 0, finished.stderr
    # Nothing else was loaded at import; a name asked for later still resolves, from the whole package.
    assert finished.stdout.split() == [
        "[]",
        "aws_lambda_powertools.event_handler.appsync",
        "aws_lambda_powertools.event_handler.api_gateway",
        "aws_lambda_powertools.event_handler.api_gateway",
    ]
