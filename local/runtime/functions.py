"""The template's Lambda functions, each turned into what a local worker process needs to run it."""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from local.runtime.aws import CREDENTIALS, function_arn
from local.runtime.template import CloudAssembly, Physical, Resolver


@dataclass(frozen=True)
class FunctionConfig:
    logical_id: str
    name: str
    label: str
    arn: str
    code_dir: Path
    handler: str
    environment: dict[str, str]
    timeout: float
    memory_mb: int


def function_name(assembly: CloudAssembly, logical_id: str) -> str:
    name = assembly.properties(logical_id).get("FunctionName")
    return str(name) if isinstance(name, str) else f"{assembly.stack_name}-{logical_id}"[:64]


def function_resources(assembly: CloudAssembly, region: str) -> dict[str, Physical]:
    """Each function's `Ref` (its name) and `Arn`, for the template's references to it."""
    resources = {}
    for logical_id, _ in assembly.of_type("AWS::Lambda::Function"):
        name = function_name(assembly, logical_id)
        resources[logical_id] = Physical(name, {"Arn": function_arn(region, name)})
    return resources


def function_config(
    assembly: CloudAssembly,
    resolver: Resolver,
    aws_endpoint: str,
    logical_id: str,
    provided: Mapping[str, str] | None = None,
) -> FunctionConfig:
    """The function's configuration from the template. `provided`: environment variables whose values the runtime
    gives itself (the local API's URL for links in messages) instead of the template's, which may name resources
    that do not run locally (the REST API)."""
    properties = assembly.properties(logical_id)
    if properties.get("PackageType", "Zip") != "Zip" or "Handler" not in properties:
        raise ValueError(f"{logical_id} is not a zip-packaged function with a handler")
    name = function_name(assembly, logical_id)
    code_dir = assembly.asset_path(logical_id)
    memory_mb = int(properties.get("MemorySize", 128))
    declared = properties.get("Environment", {}).get("Variables", {})
    given = {name: value for name, value in (provided or {}).items() if name in declared}
    variables = {**resolver.resolve({name: v for name, v in declared.items() if name not in given}), **given}
    lambda_environment = {
        "PYTHONPATH": os.pathsep.join(str(path) for path in _python_path(assembly, logical_id)),
        "LAMBDA_TASK_ROOT": str(code_dir),
        "_HANDLER": str(properties["Handler"]),
        "AWS_EXECUTION_ENV": f"AWS_Lambda_{properties.get('Runtime', 'python')}",
        "AWS_LAMBDA_FUNCTION_NAME": name,
        "AWS_LAMBDA_FUNCTION_VERSION": "$LATEST",
        "AWS_LAMBDA_FUNCTION_MEMORY_SIZE": str(memory_mb),
        "AWS_LAMBDA_LOG_GROUP_NAME": f"/aws/lambda/{name}",
        "AWS_LAMBDA_LOG_FORMAT": str(properties.get("LoggingConfig", {}).get("LogFormat", "Text")),
        "AWS_REGION": resolver.region,
        "AWS_DEFAULT_REGION": resolver.region,
        "AWS_ACCESS_KEY_ID": CREDENTIALS["aws_access_key_id"],
        "AWS_SECRET_ACCESS_KEY": CREDENTIALS["aws_secret_access_key"],
        "AWS_ENDPOINT_URL": aws_endpoint,
    }
    return FunctionConfig(
        logical_id=logical_id,
        name=name,
        label=assembly.label(logical_id),
        arn=function_arn(resolver.region, name),
        code_dir=code_dir,
        handler=str(properties["Handler"]),
        environment={**_host_environment(), **lambda_environment, **{k: str(v) for k, v in variables.items()}},
        timeout=float(properties.get("Timeout", 3)),
        memory_mb=memory_mb,
    )


def _host_environment() -> dict[str, str]:
    """The little a process needs from the machine; nothing else leaks in (no AWS settings, no test env)."""
    return {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "LANG": "C.UTF-8", "TZ": ":UTC", "PYTHONUNBUFFERED": "1"}


def _python_path(assembly: CloudAssembly, logical_id: str) -> list[Path]:
    """The function's code, then its layers' `python/` folders, as Lambda's /var/task and /opt/python.

    A layer of installed distributions (the deps layer, built for Lambda's architecture) is stood in for by
    this virtual environment's site-packages, which installs the same pinned requirements for this machine.
    """
    path = [assembly.asset_path(logical_id)]
    for layer in assembly.properties(logical_id).get("Layers", []):
        layer_id = _layer_logical_id(layer)
        if layer_id is None:
            raise ValueError(f"{logical_id} uses a layer from outside the stack: {layer}")
        content = assembly.asset_path(layer_id) / "python"
        if content.is_dir() and not _is_distributions(content):
            path.append(content)
    return path


def _layer_logical_id(layer: Any) -> str | None:
    if isinstance(layer, dict) and set(layer) == {"Ref"}:
        return str(layer["Ref"])
    return None


def _is_distributions(directory: Path) -> bool:
    return any(directory.glob("*.dist-info"))
