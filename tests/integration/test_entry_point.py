"""A function's entry point loads Powertools' REST resolver without the resolvers and event classes it never uses."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
UNUSED = (
    "asyncio",
    "aws_lambda_powertools.event_handler.appsync",
    "aws_lambda_powertools.utilities.data_classes.s3_event",
)
# In a fresh interpreter, as Lambda starts a function: its entry point, then what its cold start imported.
ENTRY = f"""
import sys
import rapport.api.entry
print([name for name in {UNUSED!r} if name in sys.modules])
from aws_lambda_powertools.event_handler import AppSyncResolver, APIGatewayRestResolver, Response
from aws_lambda_powertools.utilities import data_classes
from aws_lambda_powertools.utilities.data_classes import S3Event, event_source
print(AppSyncResolver.__module__, APIGatewayRestResolver.__module__, Response.__module__)
print(S3Event.__module__, callable(event_source), data_classes.event_source is event_source)
"""


def test_the_entry_point_imports_the_functions_handler_without_asyncio_or_the_other_resolvers() -> None:
    path = os.pathsep.join(str(ROOT / folder) for folder in ("functions/contacts", "layers/core/python"))
    finished = subprocess.run(  # noqa: S603 - this interpreter, in a fresh process
        [sys.executable, "-c", ENTRY], env={**os.environ, "PYTHONPATH": path}, capture_output=True, text=True
    )
    assert finished.returncode == 0, finished.stderr
    # Nothing else was loaded at import; a name asked for later still resolves, from the module that defines it.
    assert finished.stdout.split("\n") == [
        "[]",
        "aws_lambda_powertools.event_handler.appsync aws_lambda_powertools.event_handler.api_gateway "
        "aws_lambda_powertools.event_handler.api_gateway",
        "aws_lambda_powertools.utilities.data_classes.s3_event True True",
        "",
    ]
