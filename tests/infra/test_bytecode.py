"""Every function's code and layers ship bytecode for the runtime's Python, so no cold start compiles a module."""

from __future__ import annotations

import json
import subprocess

import pytest

from infra.bytecode import interpreter
from tests.infra.conftest import Synthesis

pytestmark = pytest.mark.slow

# Run by the runtime's Python over each asset: every module's `.pyc` is where that Python looks for it,
# hash-based and unchecked (CDK zips every file with the same timestamp), made from this very source, and loads.
CHECK = """
import importlib.util, json, marshal, sys
from pathlib import Path

UNCHECKED_HASH = 0b01
checked, problems = {}, []
for asset in sys.argv[1:]:
    checked[asset] = 0
    for source in Path(asset).rglob("*.py"):
        cached = Path(importlib.util.cache_from_source(str(source)))
        if not cached.is_file():
            problems.append(f"{source}: no {cached.name}")
            continue
        data = cached.read_bytes()
        if data[:4] != importlib.util.MAGIC_NUMBER:
            problems.append(f"{cached}: compiled by another Python")
        elif int.from_bytes(data[4:8], "little") != UNCHECKED_HASH:
            problems.append(f"{cached}: not an unchecked hash-based .pyc")
        elif data[8:16] != importlib.util.source_hash(source.read_bytes()):
            problems.append(f"{cached}: compiled from another source")
        else:
            marshal.loads(data[16:])
            checked[asset] += 1
    tag = sys.implementation.cache_tag
    problems += [f"{pyc}: not for this Python" for pyc in Path(asset).rglob("*.pyc") if f".{tag}." not in pyc.name]
print(json.dumps({"checked": checked, "problems": problems}))
"""


def test_every_module_of_every_function_and_layer_has_bytecode_the_runtime_loads(dev: Synthesis) -> None:
    code = [
        dev.asset(logical_id)
        for resource_type in ("AWS::Lambda::Function", "AWS::Lambda::LayerVersion")
        for logical_id in dev.of_type(resource_type)
    ]
    finished = subprocess.run(  # noqa: S603 - the runtime's Python checking the synthesized assets
        [str(interpreter()), "-c", CHECK, *map(str, code)], capture_output=True, text=True, check=True
    )
    result = json.loads(finished.stdout)
    assert result["problems"] == []
    assert len(code) == len(dev.functions()) + 2 + 1  # the core and deps layers, and the analytics exporter's own
    assert all(count > 0 for count in result["checked"].values()), result["checked"]
