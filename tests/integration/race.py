"""Races service calls on threads, as concurrent Lambda invocations would (each invocation is its own process
in Lambda, so the race is on DynamoDB, not on a shared handler: the Powertools resolver is per-invocation state).
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from typing import TypeVar

T = TypeVar("T")


def race(calls: Sequence[Callable[[], T]]) -> list[T | Exception]:
    """Start every call at the same moment; each result is its return value or the exception it raised."""
    start = threading.Barrier(len(calls))

    def run(call: Callable[[], T]) -> T | Exception:
        start.wait()
        try:
            return call()
        except Exception as error:  # the outcome under test
            return error

    with ThreadPoolExecutor(max_workers=len(calls)) as pool:
        return list(pool.map(run, calls))


def outcome(result: object) -> str:
    return type(result).__name__
