"""Runs in the background kept as records (an export, an import): their `started_at` and `finished_at`."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any


def rows_per_second(data: Mapping[str, Any], rows: int) -> float | None:
    """`rows` over the run's time so far (until it finished, else until now); None before it started."""
    started = data.get("started_at")
    if not started:
        return None
    ended = datetime.fromisoformat(data["finished_at"]) if data.get("finished_at") else datetime.now(UTC)
    seconds = (ended - datetime.fromisoformat(started)).total_seconds()
    return round(rows / seconds, 1) if seconds > 0 else None
