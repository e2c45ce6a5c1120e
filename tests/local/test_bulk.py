"""`rapport seed`'s bulk path writes what the API writes: the same items, and so the same stream records (events)."""

from __future__ import annotations

import os
import re
import subprocess
import sys
import textwrap
from collections.abc import Callable, Iterator
from datetime import date
from typing import Any

import pytest
from moto import mock_aws
from moto.core.models import DEFAULT_ACCOUNT_ID
from moto.dynamodb.models import dynamodb_backends
from ulid import ULID

from local.awsmock import patch_dynamodb
from local.runtime.bulk import (
    SEED_USER,
    Company,
    admin,
    bulk_writes,
    creators,
    fields_read_once,
    seed_company,
    tenant_is_new,
)
from rapport.dal.keys import INTERACTION_PREFIX, entry_sk
from tools.lambda_api import Staff, create

REGION = "eu-west-1"
OPERATIONS = {
    "pipelines": "createPipeline",
    "accounts": "createAccount",
    "contacts": "createContact",
    "leads": "createLead",
    "deals": "createDeal",
    "activities": "createActivity",
    "tasks": "createTask",
}
_TIMESTAMP = re.compile(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?(Z|\+00:00)")
# Ids made while writing, beside the records' own (a stage move's timeline entry): named by their place, not value.
_OTHER_ID = re.compile(r"(?<=E#)[0-9A-Z]{26}|\b[0-9A-HJKMNP-TV-Z]{26}\b")


@pytest.fixture
def backend() -> Iterator[Any]:
    from rapport.dal.models import TABLE_MODELS

    patch_dynamodb()
    with mock_aws():
        for model in TABLE_MODELS:
            model.create_table(wait=True)
        table = dynamodb_backends[DEFAULT_ACCOUNT_ID][REGION].get_table("rapport-test")
        table.set_stream_specification({"StreamEnabled": True, "StreamViewType": "NEW_AND_OLD_IMAGES"})
        yield dynamodb_backends[DEFAULT_ACCOUNT_ID][REGION]


def _through_the_api(tenant: str) -> Callable[[str], Callable[[Any, dict[str, Any]], str]]:
    """kind -> a function creating a record of that kind through its API handler, as the seed's admin."""
    staff = Staff(tenant, SEED_USER, ("admin",))

    def create_record(kind: str) -> Callable[[Any, dict[str, Any]], str]:
        return lambda _caller, payload: str(create(OPERATIONS[kind], staff, **payload)["id"])

    return create_record


def _written(backend: Any, made: list[str]) -> tuple[list[str], list[str]]:
    """The table's items and its stream records, as text with the ids of `made` (in creation order) and every
    timestamp replaced: two runs that create the same records compare equal."""
    table = backend.get_table("rapport-test")
    names = {}
    for number, record_id in enumerate(made):
        names[record_id] = f"<id {number}>"
        logged_at = ULID.from_str(record_id).datetime.isoformat()  # an entry's key as logged: its id's time
        names[entry_sk(logged_at, record_id).removeprefix(INTERACTION_PREFIX)] = f"<inverted id {number}>"

    def normalized(text: str) -> str:
        for record_id, name in names.items():
            text = text.replace(record_id, name)
        return _OTHER_ID.sub("<other id>", _TIMESTAMP.sub("<time>", text))

    items = sorted(normalized(str(item.to_json()["Attributes"])) for item in table.all_items())
    changes = sorted(
        normalized(str({key: record.record["dynamodb"].get(key) for key in ("Keys", "NewImage", "OldImage")}))
        + record.record["eventName"]
        for record in table.stream_shard.items
    )
    return items, changes


def _seed(backend: Any, create: Callable[[str], Callable[[Any, dict[str, Any]], str]] | None) -> tuple[Any, Any]:
    made: list[str] = []
    company = Company("bulk", today=date(2026, 11, 30))
    caller = admin("bulk")
    makers = creators() if create is None else {kind: create(kind) for kind in OPERATIONS}
    for kind, payload in company.requests(40):
        made.append(makers[kind](caller, payload))
        company.created(kind, made[-1])
    return _written(backend, made)


def test_the_bulk_path_writes_the_items_and_events_the_api_writes(backend: Any) -> None:
    api_items, api_changes = _seed(backend, _through_the_api("bulk"))
    backend.get_table("rapport-test").items.clear()
    backend.get_table("rapport-test").stream_shard.items.clear()
    with bulk_writes(backend), fields_read_once():  # as the runtime seeds
        bulk_items, bulk_changes = _seed(backend, None)
    assert len(api_items) > 100
    assert bulk_items == api_items
    assert bulk_changes == api_changes


def test_seeding_waits_while_too_much_is_still_to_run_and_at_its_end_until_all_has_run(backend: Any) -> None:
    """The backlog is the stream's unread records and the bus's deliveries not yet run."""
    asked: list[int] = []
    backlog = iter([10_000, 10_000, 3, 1, 1, 0])

    def still_to_run() -> int:
        asked.append(next(backlog, 0))
        return asked[-1]

    with bulk_writes(backend):
        created = seed_company(1, "waits", creators(), still_to_run)
    assert created["contacts"] == 1
    assert created["accounts"] == 1
    assert asked[-1] == 0
    assert asked[:3] == [10_000, 10_000, 3]  # the first record waited for the first two answers


def test_only_a_tenant_that_holds_nothing_is_seeded(backend: Any) -> None:
    """The bulk path evaluates no condition: a second seed of a tenant would write over its records."""
    table = backend.get_table("rapport-test")
    assert tenant_is_new(table, "fresh")
    with bulk_writes(backend):
        seed_company(1, "fresh", creators(), lambda: 0)
    assert not tenant_is_new(table, "fresh")
    assert tenant_is_new(table, "fres")
    assert tenant_is_new(table, "other")


def test_the_bulk_path_holds_before_the_domain_core_is_imported() -> None:
    """The runtime imports the domain core only once it seeds: its models' connections were then not found, and
    every write of a seed went through botocore and moto's HTTP server (half an hour for 50,000 contacts)."""
    script = textwrap.dedent(
        """
        from moto import mock_aws
        from moto.dynamodb.models import dynamodb_backends

        from local.runtime.bulk import bulk_writes

        with mock_aws(), bulk_writes(dynamodb_backends["123456789012"]["eu-west-1"]):
            from rapport.dal.models import Item

            print(type(Item._get_connection().connection.client).__name__)
        """
    )
    settings = {"AWS_DEFAULT_REGION": REGION, "AWS_ACCESS_KEY_ID": "local", "AWS_SECRET_ACCESS_KEY": "local"}
    environment = {**os.environ, **settings, "TABLE_NAME": "rapport-test"}
    done = subprocess.run(  # noqa: S603 - our script
        [sys.executable, "-c", script], capture_output=True, text=True, env=environment, timeout=120, check=False
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.split() == ["BulkDynamoDB"]
