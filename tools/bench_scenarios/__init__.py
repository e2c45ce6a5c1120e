"""The bench's request-count scenarios, one a context: `tools/bench_scenarios/<context>.py`, named after its
context, defines `operations(account_id)`: it makes the records it needs (under the bench's account, `ACCOUNT`,
whose id it is given, where it needs one) and returns the labelled operations `make bench` counts the DynamoDB
requests of (tools.bench), which run after every scenario is set up, the contexts' in name order.

The scenarios live with the tooling, not in the context's folder or its manifest: the core layer deploys, and a
bench scenario in it (or a manifest naming one) would ship code that only runs on a developer's machine.
"""

from __future__ import annotations

import importlib
import pkgutil
from collections.abc import Callable
from typing import Any

from tools.lambda_api import Staff, call

Operation = tuple[str, Callable[[], Any]]
ACCOUNT: dict[str, Any] = {"name": "Bench Co", "domain": "bench.example"}
MARKETING_SETTINGS = {"topics": ["newsletter", "offers"], "postal_address": "1 Bench Street, Springfield"}


def save_marketing_settings() -> None:
    """The bench tenant's marketing settings, whichever scenario saves them first (over the version there is)."""
    manager = Staff().as_("manager")
    version = call("getMarketingSettings", manager).etag
    assert call("putMarketingSettings", manager, body=MARKETING_SETTINGS, headers={"If-Match": version}).status == 200


def names() -> list[str]:
    """The contexts that bring a scenario, by name."""
    return sorted(module.name for module in pkgutil.iter_modules(__path__))


def operations(account_id: str) -> list[Operation]:
    """Every scenario's operations, the contexts' in name order."""
    found: list[Operation] = []
    for name in names():
        found += importlib.import_module(f"{__name__}.{name}").operations(account_id)
    return found
