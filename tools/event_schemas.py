"""Writes the JSON Schema of Rapport's domain events: `python -m tools.event_schemas [--check]`.

Consumers (rules, webhooks, analytics) code against `events/schemas/domain-event.json`, the schema of an
EventBridge event's `detail` whose `source` is `rapport`; it is generated from `rapport.events.models`.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

from rapport.events.models import SOURCE, DomainEvent
from rapport.events.publisher import detail_types

ROOT = Path(__file__).resolve().parent.parent
DOCUMENT = ROOT / "events" / "schemas" / "domain-event.json"


def build() -> dict[str, Any]:
    schema = DomainEvent.model_json_schema()
    schema["$schema"] = "https://json-schema.org/draft/2020-12/schema"
    schema["title"] = f"Rapport domain event (EventBridge detail, source {SOURCE!r})"
    schema["properties"]["detail_type"]["enum"] = detail_types()
    return schema


def render() -> str:
    return json.dumps(build(), indent=2, sort_keys=True) + "\n"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--check", action="store_true", help="fail if the committed schema is stale")
    if parser.parse_args().check:
        if DOCUMENT.read_text() != render():
            print(f"{DOCUMENT} is stale: run `make event-schemas`", file=sys.stderr)
            return 1
        return 0
    DOCUMENT.write_text(render())
    print(f"wrote {DOCUMENT}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
