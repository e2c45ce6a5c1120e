"""`rapport import FILE`: a CSV file imported into the running `rapport local` through its API, as a user would do
it (POST /imports, the file PUT to its upload link, POST /imports/{id}/start or /validate), with a progress bar
until it ends, then its counts and the links to its reports.

Columns are mapped by `--map COLUMN=FIELD`; a column not named is mapped to the field its header names, when it
names one (`email`, `First name` → `first_name`). The request is made as a staff user with a token minted for the
runtime (`--tenant`, `--user`, `--groups`: an admin by default).
"""

from __future__ import annotations

import argparse
import json
import re
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Mapping
from pathlib import Path
from typing import Any, TextIO

from local.runtime.runtime import REGION
from local.runtime.store import DataDir
from local.runtime.tokens import TokenIssuer

ENDED = frozenset({"completed", "validated", "failed", "cancelled", "reverted"})
BAR_WIDTH = 30
POLL_SECONDS = 0.5


class ImportRefused(Exception):
    """What the API or the file refused: printed as is."""


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("file", type=Path, help="the CSV file (UTF-8; `,` or `;`)")
    parser.add_argument("--entity", required=True, help="contacts, accounts, leads or products")
    parser.add_argument("--mode", choices=["create", "update", "upsert"], default="create")
    parser.add_argument("--match", help="the unique field rows are matched by (update, upsert): email, domain, sku...")
    parser.add_argument("--map", action="append", default=[], metavar="COLUMN=FIELD", help="map a column to a field")
    parser.add_argument("--validate", action="store_true", help="a dry run: report what each row would do")
    parser.add_argument("--tenant", default="demo")
    parser.add_argument("--user", default="importer")
    parser.add_argument("--groups", default="admin")


def run(arguments: argparse.Namespace, api_url: str) -> int:
    """Import as `arguments` say into the runtime answering at `api_url`: 0 once completed (or validated)."""
    from rapport.imports.rows import header

    try:
        content = arguments.file.read_bytes()
        mapping = mapping_of(arguments.entity, header([content]).names, arguments.map)
        issuer = TokenIssuer.of(DataDir(arguments.data_dir.resolve()), REGION)
        token = issuer.mint(tenant=arguments.tenant, user=arguments.user, groups=arguments.groups.split(","))
        api = Api(api_url, token)
        plan = {"entity": arguments.entity, "mode": arguments.mode, "mapping": mapping}
        if arguments.match:
            plan["match"] = arguments.match
        ended = import_file(api, arguments.file.name, content, plan, validate=arguments.validate, out=sys.stderr)
    except (ImportRefused, OSError, ValueError) as error:
        print(f"rapport import: {error}", file=sys.stderr)
        return 1
    print(json.dumps(ended, indent=2))
    return 0 if ended["status"] in ("completed", "validated") else 1


def mapping_of(entity: str, columns: list[str], asked: list[str]) -> dict[str, str]:
    """`--map COLUMN=FIELD`s, then each other column whose header names a field of the entity."""
    from rapport.imports.entities import importables

    found = importables().get(entity)
    if found is None:
        raise ImportRefused(f"--entity {entity}: imports write {', '.join(sorted(importables()))}")
    fields = found.model.model_fields
    mapping: dict[str, str] = {}
    for pair in asked:
        column, separator, field = pair.partition("=")
        if not separator or column not in columns:
            raise ImportRefused(f"--map {pair}: the file's columns are {', '.join(columns)}")
        mapping[column] = field
    for column in columns:
        named = re.sub(r"[^a-z0-9]+", "_", column.strip().lower()).strip("_")
        if column not in mapping and named in fields and named not in mapping.values():
            mapping[column] = named
    if not mapping:
        raise ImportRefused(f"no column names a field of {entity}: map them with --map COLUMN=FIELD")
    return mapping


class Api:
    def __init__(self, base: str, token: str) -> None:
        self._base = base
        self._token = token

    def call(self, method: str, path: str, body: Mapping[str, Any] | None = None) -> dict[str, Any]:
        data = json.dumps(body).encode() if body is not None else None
        headers = {"Authorization": f"Bearer {self._token}", "Content-Type": "application/json"}
        request = urllib.request.Request(f"{self._base}{path}", data=data, method=method, headers=headers)  # noqa: S310
        try:
            with urllib.request.urlopen(request, timeout=60) as response:  # noqa: S310 - the local runtime
                answer: dict[str, Any] = json.loads(response.read())
                return answer
        except urllib.error.HTTPError as error:
            raise ImportRefused(_problem(json.loads(error.read() or b"{}"))) from None

    @staticmethod
    def upload(url: str, content: bytes) -> None:
        request = urllib.request.Request(url, data=content, method="PUT", headers={"Content-Type": "text/csv"})  # noqa: S310
        with urllib.request.urlopen(request, timeout=300):  # noqa: S310 - the local runtime's S3
            pass


def _problem(body: Mapping[str, Any]) -> str:
    faults = "; ".join(f"{error.get('field')}: {error.get('message')}" for error in body.get("errors") or [])
    return f"{body.get('detail') or body.get('message') or body}" + (f" ({faults})" if faults else "")


def import_file(
    api: Api, filename: str, content: bytes, plan: Mapping[str, Any], *, validate: bool, out: TextIO
) -> dict[str, Any]:
    """The import made, its file uploaded, run (or validated) to its end, with a progress bar on `out`."""
    made = api.call("POST", "/imports", {"filename": filename})
    api.upload(made["upload_url"], content)
    api.call("POST", f"/imports/{made['id']}/{'validate' if validate else 'start'}", plan)
    while True:
        now = api.call("GET", f"/imports/{made['id']}")
        out.write("\r" + progress_line(now))
        out.flush()
        if now["status"] in ENDED:
            out.write("\n")
            return now
        time.sleep(POLL_SECONDS)


def progress_line(state: Mapping[str, Any]) -> str:
    percent = state.get("percent") or 0.0
    filled = int(BAR_WIDTH * percent / 100)
    counts = state["counts"]
    rate = f" · {state['rows_per_second']:,.0f} rows/s" if state.get("rows_per_second") else ""
    return (
        f"[{'#' * filled}{'.' * (BAR_WIDTH - filled)}] {percent:5.1f}% {counts['read']:,} rows "
        f"({counts['created']:,} created, {counts['updated']:,} updated, {counts['failed']:,} failed){rate} "
        f"{state['status']}"
    )
