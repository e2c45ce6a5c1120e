"""The deps layer: built for the functions' runtime and architecture, small with its bytecode, without the AWS SDK."""

from __future__ import annotations

import tomllib
from importlib import metadata

import pytest
from packaging.utils import canonicalize_name

from infra.config import ROOT
from infra.constructs.functions import DEPS_LAYER, RUNTIME
from tests.infra.conftest import Synthesis

pytestmark = pytest.mark.slow

BUDGET_BYTES = 30 * 1024 * 1024
AARCH64 = 183  # an ELF header's e_machine for arm64
PROVIDED_BY_THE_RUNTIME = ("boto3", "botocore", "s3transfer")


def test_deps_layer_as_deployed_with_its_bytecode_is_under_30_mb_unzipped(dev: Synthesis) -> None:
    [layer] = [
        dev.asset(logical_id)
        for logical_id, layer in dev.of_type("AWS::Lambda::LayerVersion").items()
        if layer["Metadata"]["aws:cdk:path"].endswith("/DepsLayer/Resource")
    ]
    size = sum(path.stat().st_size for path in layer.rglob("*") if path.is_file())
    assert any(layer.rglob("*.pyc"))
    assert 0 < size < BUDGET_BYTES, f"{size / 1024 / 1024:.1f} MB"


def test_deps_layer_leaves_the_sdk_to_the_runtime() -> None:
    assert [name for name in PROVIDED_BY_THE_RUNTIME if (DEPS_LAYER / "python" / name).exists()] == []


def test_native_extensions_are_for_the_runtimes_python_on_arm64() -> None:
    """Built for the runtime's CPython, or for CPython's stable ABI (cryptography's Rust core); all for arm64."""
    version = RUNTIME.name.removeprefix("python").replace(".", "")
    libraries = list((DEPS_LAYER / "python").rglob("*.so"))
    assert {path.name.split(".")[1] for path in libraries} <= {f"cpython-{version}-aarch64-linux-gnu", "abi3"}
    for library in libraries:
        header = library.read_bytes()[:20]
        assert header[:4] == b"\x7fELF" and int.from_bytes(header[18:20], "little") == AARCH64, library


def _pins() -> dict[str, str]:
    lines = (DEPS_LAYER.parent / "requirements.txt").read_text().splitlines()
    pins = dict(line.split("==") for line in lines if line and not line.startswith("#"))
    return {canonicalize_name(name): version for name, version in pins.items()}


def test_layer_pins_what_the_project_declares_and_the_tests_run() -> None:
    declared = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["dependencies"]
    declared_pins = {canonicalize_name(name): version for name, version in (d.split("==") for d in declared)}
    pins = _pins()
    assert {name: pins.get(name) for name in declared_pins if name not in PROVIDED_BY_THE_RUNTIME} == {
        name: version for name, version in declared_pins.items() if name not in PROVIDED_BY_THE_RUNTIME
    }
    assert {name: metadata.version(name) for name in pins} == pins
