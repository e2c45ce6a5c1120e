"""Powertools' REST event handler without the resolvers a REST function never uses.

`aws_lambda_powertools.event_handler`'s `__init__` imports every resolver Powertools has (AppSync, Bedrock, VPC
Lattice, ...) and asyncio with them: about a third of what the event handler costs a cold start. Registered
without its `__init__`, the package loads each submodule when it is imported, gets from the REST resolver's module
the names Powertools' own modules import from the package, and runs the real `__init__` the first time any other
name is asked for.
"""

from __future__ import annotations

import importlib
import importlib.util
import sys
from typing import Any

PACKAGE = "aws_lambda_powertools.event_handler"
_REST_NAMES = ("ALBResolver", "APIGatewayHttpResolver", "ApiGatewayResolver", "APIGatewayRestResolver", "CORSConfig")


def narrow_event_handler() -> None:
    """Before anything imports the event handler package (else it is whole already, and stays so)."""
    if PACKAGE in sys.modules:
        return
    spec = importlib.util.find_spec(PACKAGE)
    if spec is None or spec.loader is None:
        raise ModuleNotFoundError(PACKAGE)
    loader = spec.loader
    package = importlib.util.module_from_spec(spec)

    def attribute(name: str) -> Any:
        if name.startswith("__"):
            raise AttributeError(name)
        if importlib.util.find_spec(f"{PACKAGE}.{name}") is not None:
            return importlib.import_module(f"{PACKAGE}.{name}")
        del package.__dict__["__getattr__"]
        loader.exec_module(package)
        return getattr(package, name)

    package.__dict__["__getattr__"] = attribute
    sys.modules[PACKAGE] = package
    api_gateway = importlib.import_module(f"{PACKAGE}.api_gateway")
    for name in (*_REST_NAMES, "Response"):
        setattr(package, name, getattr(api_gateway, name))
