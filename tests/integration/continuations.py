"""The bus a background worker puts its continuation on (an export's writer, an import's runner), kept in memory:
a test takes what was put and delivers it as the rule would."""

from __future__ import annotations

import json
from typing import Any


class Bus:
    """The events put, as PutEvents entries; `take` hands them over as the bus delivers them."""

    def __init__(self) -> None:
        self.entries: list[dict[str, Any]] = []

    def __call__(self, entries: list[dict[str, Any]]) -> dict[str, Any]:
        self.entries += entries
        return {"Entries": [{"EventId": str(n)} for n in range(len(entries))], "FailedEntryCount": 0}

    def take(self) -> list[dict[str, Any]]:
        taken, self.entries = self.entries, []
        return [
            {"detail-type": entry["DetailType"], "source": entry["Source"], "detail": json.loads(entry["Detail"])}
            for entry in taken
        ]
