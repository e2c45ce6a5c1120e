"""`make bench`'s import case: a CSV file of N contacts imported (rapport.imports.runner, one invocation to the end)
beside a bare `batch_writer` loop writing the same items, at two scales side by side.

The file (first name, last name, email, phone, city, tags) is uploaded to moto's S3 and started as `POST
/imports/{id}/start` would (rapport.imports.service), then run in a process of its own against moto as the local
runtime serves it (local.runtime.aws.EmbeddedAws). The items it wrote (records, guards, search entries) are then
copied out of the table to a file, and a second process writes them to an empty table of the same schema with
boto3's `batch_writer`, the bare loop the issue measures against, reading them from that file as it goes. Each
process reports its seconds, rows a second, DynamoDB requests a row and its peak memory over its size before
(VmHWM): an import whose memory grew with the file would show it between the two scales.
"""

from __future__ import annotations

import csv
import io
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from tools.analytics_bench import ENVIRONMENT, REGION, ROOT
from tools.loadtest import free_port, print_side_by_side, status_kb

SCALES = (10_000, 100_000)
BUCKET = "rapport-bench-exports"
BARE_TABLE = "rapport-bench-bare"
BUDGET = 0.8  # the import's rows a second, at least this share of the bare loop's


def contacts_file(count: int) -> bytes:
    text = io.StringIO()
    writer = csv.writer(text, lineterminator="\r\n")
    writer.writerow(["First name", "Last name", "Email", "Phone", "City", "Tags"])
    for number in range(count):
        phone = f"+4420{number:08d}"
        writer.writerow([f"First{number}", f"Last{number}", f"person{number}@bench.example", phone, "Leeds", "a;b"])
    return text.getvalue().encode("utf-8")


def run_import(tenant: str, import_id: str) -> dict[str, float]:
    """The import's run in this process, to its end: its time, requests and memory."""
    from rapport.dal import tenancy
    from rapport.imports import runner
    from rapport.imports.files import S3_IMPORT_FILES
    from tools.metering import dynamodb_requests

    before = status_kb("VmRSS") / 1024
    started = time.perf_counter()
    with dynamodb_requests() as requests, tenancy.tenant_scope(tenant):
        runner.run(tenant, import_id, "bench", S3_IMPORT_FILES, lambda: True)
    seconds = time.perf_counter() - started
    from rapport.imports.service import imports

    counts = imports.get(_admin(tenant), import_id).counts
    return {
        "rows": counts.read,
        "created": counts.created,
        "seconds": seconds,
        "rows per second": counts.read / seconds,
        "requests per row": len(requests) / max(counts.read, 1),
        "peak memory (MB)": status_kb("VmHWM") / 1024 - before,
    }


def run_bare(items_file: str, rows: int) -> dict[str, float]:
    """The items of the file written with boto3's batch_writer, read from the file as they are written."""
    import boto3  # type: ignore[import-untyped]
    from boto3.dynamodb.types import TypeDeserializer  # type: ignore[import-untyped]

    table = boto3.resource("dynamodb", endpoint_url=os.environ["AWS_ENDPOINT_URL"]).Table(BARE_TABLE)
    requests: list[str] = []
    table.meta.client.meta.events.register("before-call.dynamodb.*", lambda **_: requests.append("call"))
    deserializer = TypeDeserializer()
    before = status_kb("VmRSS") / 1024
    started = time.perf_counter()
    written = 0
    with open(items_file) as lines, table.batch_writer() as batch:
        for line in lines:
            raw = json.loads(line)
            batch.put_item(Item={name: deserializer.deserialize(value) for name, value in raw.items()})
            written += 1
    seconds = time.perf_counter() - started
    return {
        "items": written,
        "seconds": seconds,
        "rows per second": rows / seconds,
        "requests per row": len(requests) / rows,
        "peak memory (MB)": status_kb("VmHWM") / 1024 - before,
    }


def measure(scales: tuple[int, ...] = SCALES) -> dict[int, dict[str, float]]:
    from local.runtime.aws import EmbeddedAws

    aws = EmbeddedAws(free_port(), REGION)
    aws.start()
    os.environ.update({**ENVIRONMENT, "AWS_ENDPOINT_URL": aws.endpoint, "EXPORTS_BUCKET": BUCKET})
    from rapport.dal.models import TABLE_MODELS, Item

    for model in TABLE_MODELS:
        model.create_table(wait=True)
    _bare_table(aws)
    aws.client("s3").create_bucket(Bucket=BUCKET, CreateBucketConfiguration={"LocationConstraint": REGION})
    results: dict[int, dict[str, float]] = {}
    try:
        for scale in scales:
            tenant = f"bench-{scale}"
            import_id = _started(aws, tenant, contacts_file(scale))
            imported = _in_own_process("import", tenant, import_id)
            with tempfile.NamedTemporaryFile("w", suffix=".jsonl", delete=False) as items:
                count = _copy_items(Item.Meta.table_name, tenant, items)
            bare = _in_own_process("bare", items.name, str(scale))
            Path(items.name).unlink()
            results[scale] = {
                **{f"import: {name}": figure for name, figure in imported.items()},
                "items written": count,
                **{f"batch_writer: {name}": figure for name, figure in bare.items() if name != "items"},
                "import / batch_writer throughput (%)": 100 * imported["rows per second"] / bare["rows per second"],
            }
    finally:
        aws.stop()
    return results


def _bare_table(aws: Any) -> None:
    from rapport.dal.models import Item

    described = aws.client("dynamodb").describe_table(TableName=Item.Meta.table_name)["Table"]
    aws.client("dynamodb").create_table(
        TableName=BARE_TABLE,
        KeySchema=described["KeySchema"],
        AttributeDefinitions=described["AttributeDefinitions"],
        GlobalSecondaryIndexes=[
            {"IndexName": index["IndexName"], "KeySchema": index["KeySchema"], "Projection": index["Projection"]}
            for index in described.get("GlobalSecondaryIndexes", [])
        ],
        BillingMode="PAY_PER_REQUEST",
    )


def _started(aws: Any, tenant: str, content: bytes) -> str:
    """An import of `content` into `tenant`, made, uploaded and started as the API does it: its id."""
    from rapport.dal import tenancy
    from rapport.imports import store
    from rapport.imports.models import ImportCreate, ImportPlan
    from rapport.imports.service import imports

    caller = _admin(tenant)
    with tenancy.tenant_scope(tenant):
        made = imports.create(caller, ImportCreate(filename="bench.csv"))
        aws.client("s3").put_object(Bucket=BUCKET, Key=store.file_key(tenant, made.id), Body=content)
        mapping = {"First name": "first_name", "Last name": "last_name", "Email": "email", "Phone": "phone"}
        plan = ImportPlan(entity="contacts", mode="upsert", match="email", mapping={**mapping, "Tags": "tags"})
        imports.start(caller, made.id, plan, None)
    return made.id


def _admin(tenant: str) -> Any:
    from rapport.auth import Caller, Role

    return Caller(tenant, "bench-admin", frozenset({Role.ADMIN}))


def _copy_items(table: str, tenant: str, out: Any) -> int:
    """Every item of the tenant's imported contacts (not the import's own), one JSON line each, read from moto's
    table in this process (a Scan through the endpoint reads the table again for each page): their count."""
    from moto.dynamodb.models import dynamodb_backends

    from local.runtime.template import ACCOUNT_ID

    count = 0
    for item in dynamodb_backends[ACCOUNT_ID][REGION].get_table(table).all_items():
        raw = item.to_json()["Attributes"]
        if raw.get("tenant_id") == {"S": tenant} and not raw["pk"]["S"].startswith(f"T#{tenant}#IMP#"):
            out.write(json.dumps(raw) + "\n")
            count += 1
    return count


def _in_own_process(*arguments: str) -> dict[str, float]:
    done = subprocess.run(  # noqa: S603 - this interpreter, this module
        [sys.executable, "-W", "ignore", "-m", "tools.import_bench", *arguments],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=False,
        env={**os.environ},
    )
    if done.returncode:
        raise SystemExit(f"the {arguments[0]} process failed:\n{done.stderr}")
    figures: dict[str, float] = json.loads(done.stdout.splitlines()[-1])
    return figures


def main(arguments: list[str]) -> None:
    """`import <tenant> <id>` or `bare <file> <rows>`: one side (the bench's own processes); else the bench at the
    scales given, or SCALES."""
    if arguments and arguments[0] == "import":
        print(json.dumps(run_import(arguments[1], arguments[2])))
        return
    if arguments and arguments[0] == "bare":
        print(json.dumps(run_bare(arguments[1], int(arguments[2]))))
        return
    scales = tuple(int(scale) for scale in arguments) or SCALES
    print(f"Contacts imported from a CSV file, beside a bare batch_writer of the same items (budget: {BUDGET:.0%})")
    print_side_by_side(measure(scales), unit="contacts")


if __name__ == "__main__":
    main(sys.argv[1:])
