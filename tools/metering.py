"""Counts the DynamoDB requests an operation makes (for tests and `make bench`)."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from pynamodb.connection.base import Connection


@contextmanager
def dynamodb_requests() -> Iterator[list[str]]:
    """Yields a list that fills with the name of every DynamoDB API call made inside the block."""
    calls: list[str] = []
    original = Connection._make_api_call

    def counting(self: Connection, operation_name: str, operation_kwargs: dict[str, Any]) -> Any:
        calls.append(operation_name)
        return original(self, operation_name, operation_kwargs)

    Connection._make_api_call = counting  # type: ignore[method-assign]
    try:
        yield calls
    finally:
        Connection._make_api_call = original  # type: ignore[method-assign]
