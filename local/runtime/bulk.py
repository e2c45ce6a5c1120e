"""`rapport seed --scale N`: a company's worth of records in the running `rapport local`, in minutes.

N contacts with their accounts, leads, deals, activities and tasks (`PER_CONTACT`), created by the domain
services themselves (`<service>.create(caller, payload)`: what every API create runs once its handler has parsed
the request), so the items, guards, summaries and counters are the API's. Only the transport differs
(`BulkDynamoDB`): the services' writes are committed straight into moto's tables in this process, their
conditions not evaluated (moto's expression parsing cost more than the rest of a write), and their item reads
answered there too, instead of going over HTTP through botocore and moto's request parser. That is sound only
for a tenant that holds nothing yet, whose writes hold by construction: a seed into a tenant that has records is
refused (`tenant_is_new`). The writes stream like any other, so the publisher turns them into the same domain
events and the bus delivers those to the rules' functions. The seed waits while more than `BACKLOG` stream
records and deliveries are still to run, so that no stream record is dropped and the queue of deliveries stays
small, and at its end until all have run: when it answers, the company is in place, and what is measured next
is not the seed's tail. The data folder commits the seed's writes in batches.

tests/local/test_bulk.py shows that the items and events equal those of the same records created through the
API's handlers.
"""

from __future__ import annotations

import importlib
import logging
import os
import random
import time
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from datetime import UTC, date, datetime, timedelta
from typing import Any

from moto.dynamodb.models import DynamoDBBackend
from moto.dynamodb.models.table import Table

from local.awsmock import commit_unchecked, has_key_prefix

log = logging.getLogger("rapport.local")
BACKLOG = 5_000
SETTLE_WAIT = 900.0  # seconds the seed waits at its end for the publisher and the bus to run what is left
PER_CONTACT = {"accounts": 0.1, "leads": 0.1, "deals": 0.04, "activities": 0.2, "tasks": 0.1}
SEED_USER = "seed-admin"
OWNERS = ("rep-1", "rep-2", "rep-3", "rep-4")
_FIRST = ("Ada", "Grace", "Alan", "Edsger", "Barbara", "Donald", "Frances", "Ken", "Margaret", "Tim", "Radia", "Linus")
_LAST = ("Lovelace", "Hopper", "Turing", "Dijkstra", "Liskov", "Knuth", "Allen", "Thompson", "Hamilton", "Lee")
_INDUSTRIES = ("Software", "Manufacturing", "Healthcare", "Logistics", "Retail", "Finance")


class BulkDynamoDB:
    """A botocore DynamoDB client's stand-in for a bulk load: the writes the services send (TransactWriteItems,
    PutItem) are committed straight into moto's tables in this process, no expression evaluated
    (`commit_unchecked`); item reads are answered by moto's backend in this process; every other call goes to the
    real client."""

    def __init__(self, client: Any, backend: DynamoDBBackend) -> None:
        self._client = client
        self._backend = backend

    def __getattr__(self, name: str) -> Any:
        return getattr(self._client, name)

    def _make_api_call(self, operation: str, parameters: dict[str, Any]) -> dict[str, Any]:
        if operation == "TransactWriteItems":
            commit_unchecked(self._backend, parameters["TransactItems"])
            return {}
        if operation == "PutItem" and "ReturnValues" not in parameters:
            commit_unchecked(self._backend, [{"Put": parameters}])
            return {}
        if operation == "GetItem" and "ProjectionExpression" not in parameters:
            found = self._item(parameters["TableName"], parameters["Key"])
            return {"Item": found} if found is not None else {}
        requested = parameters.get("RequestItems", {})
        if operation == "BatchGetItem" and not any("ProjectionExpression" in keys for keys in requested.values()):
            found_in = {table: [self._item(table, key) for key in keys["Keys"]] for table, keys in requested.items()}
            responses = {table: [item for item in found if item is not None] for table, found in found_in.items()}
            return {"Responses": responses, "UnprocessedKeys": {}}
        result: dict[str, Any] = self._client._make_api_call(operation, parameters)
        return result

    def _item(self, table_name: str, key: dict[str, Any]) -> dict[str, Any] | None:
        found = self._backend.get_item(table_name, key)
        return None if found is None else dict(found.to_json()["Attributes"])


@contextmanager
def bulk_writes(backend: DynamoDBBackend) -> Iterator[None]:
    """Within it, every PynamoDB model of the domain core sends its writes and item reads to `backend` in bulk."""
    from pynamodb.models import Model

    importlib.import_module("rapport.dal.models")  # defines the models: a model not yet defined is not found below
    connections = [model._get_connection().connection for model in _models(Model)]
    clients = [connection.client for connection in connections]
    for connection, client in zip(connections, clients, strict=True):
        connection._client = BulkDynamoDB(client, backend)
    try:
        yield
    finally:
        for connection, client in zip(connections, clients, strict=True):
            connection._client = client


@contextmanager
def fields_read_once() -> Iterator[None]:
    """Within it, the custom field definitions are read once (`custom_fields.read_once`), not at each record: a new
    tenant's seed defines none, and reading them again was a tenth of a seeded record's time."""
    from rapport.custom_fields.service import read_once

    with read_once():
        yield


def _models(base: type[Any]) -> Iterator[type[Any]]:
    for model in base.__subclasses__():
        if getattr(getattr(model, "Meta", None), "table_name", None):
            yield model
        yield from _models(model)


def use_environment(variables: Mapping[str, str]) -> None:
    """The functions' configuration (table names, endpoint...) for the services in this process; the domain core
    reads it when first imported."""
    os.environ.update(variables)


class Company:
    """The records of one tenant's company, made `contacts` at a time with their share of the rest."""

    def __init__(self, tenant: str, seed: int = 7, today: date | None = None) -> None:
        self.tenant = tenant
        self._random = random.Random(seed)  # noqa: S311 - sample data, reproducible
        self._today = today or datetime.now(UTC).date()
        self.counts = dict.fromkeys(["accounts", "contacts", *list(PER_CONTACT)[1:], "pipelines"], 0)
        self._accounts: list[str] = []
        self._contacts: list[str] = []
        self._pipeline: str | None = None
        self._owed = dict.fromkeys(PER_CONTACT, 0.0)

    def requests(self, contacts: int) -> Iterator[tuple[str, dict[str, Any]]]:
        """(kind, create payload) for `contacts` contacts and their share of accounts, leads, deals, activities,
        tasks, in the order a company's data grows (an account before its contacts, a contact before its deals)."""
        if self._pipeline is None:
            yield "pipelines", _PIPELINE
        for _ in range(contacts):
            self._owed["accounts"] += PER_CONTACT["accounts"]
            if not self._accounts or self._owed["accounts"] >= 1:
                self._owed["accounts"] = max(0.0, self._owed["accounts"] - 1)
                yield "accounts", self._account()
            yield "contacts", self._contact()
            for kind in ("leads", "deals", "activities", "tasks"):
                self._owed[kind] += PER_CONTACT[kind]
                while self._owed[kind] >= 1:
                    self._owed[kind] -= 1
                    yield kind, getattr(self, f"_{kind[:-1] if kind != 'activities' else 'activity'}")()

    def created(self, kind: str, record_id: str) -> None:
        self.counts[kind] += 1
        if kind == "accounts":
            self._accounts.append(record_id)
        elif kind == "contacts":
            self._contacts.append(record_id)
        elif kind == "pipelines":
            self._pipeline = record_id

    def _number(self, kind: str) -> int:
        return self.counts[kind] + 1

    def _name(self) -> tuple[str, str]:
        return self._random.choice(_FIRST), self._random.choice(_LAST)

    def _account(self) -> dict[str, Any]:
        number = self._number("accounts")
        return {
            "name": f"Company {number:06d}",
            "domain": f"company-{number:06d}.{self.tenant}.example",
            "industry": self._random.choice(_INDUSTRIES),
        }

    def _contact(self) -> dict[str, Any]:
        number = self._number("contacts")
        first, last = self._name()
        return {
            "first_name": first,
            "last_name": last,
            "email": f"{first}.{last}.{number}@{self.tenant}.example".lower(),
            "phone": f"+1415{number:07d}",
            "job_title": "Buyer",
            "account_id": self._accounts[-1],
        }

    def _lead(self) -> dict[str, Any]:
        number = self._number("leads")
        first, last = self._name()
        return {
            "first_name": first,
            "last_name": last,
            "email": f"lead.{number}@prospect-{number}.{self.tenant}.example",
            "company": f"Prospect {number}",
            "title": "Head of Operations",
            "source": "event",
            "owner_id": self._random.choice(OWNERS),
        }

    def _deal(self) -> dict[str, Any]:
        number = self._number("deals")
        close = self._today + timedelta(days=self._random.randrange(7, 180))
        return {
            "name": f"Deal {number}",
            "amount": f"{self._random.randrange(1, 500) * 100}.00",
            "pipeline_id": self._pipeline,
            "close_date": close.isoformat(),
            "owner_id": self._random.choice(OWNERS),
            "contact_ids": [self._contacts[-1]],
        }

    def _activity(self) -> dict[str, Any]:
        return {
            "type": self._random.choice(["call", "email", "meeting", "note"]),
            "subject": "Catch-up",
            "contact_id": self._random.choice(self._contacts[-50:]),
        }

    def _task(self) -> dict[str, Any]:
        due = datetime.combine(self._today + timedelta(days=self._random.randrange(1, 60)), datetime.min.time())
        return {
            "title": "Follow up",
            "due_at": due.replace(hour=9, tzinfo=UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
            "assignee_id": self._random.choice(OWNERS),
            "contact_id": self._contacts[-1],
        }


_PIPELINE = {
    "name": "Seeded pipeline",
    "stages": [
        {"name": "Qualified", "probability": 10},
        {"name": "Proposal", "probability": 60},
        {"name": "Won", "probability": 100, "status": "won"},
        {"name": "Lost", "probability": 0, "status": "lost"},
    ],
    "rotting_days": 14,
}


def creators() -> dict[str, Callable[[Any, dict[str, Any]], str]]:
    """kind -> a function that creates a record of that kind with the domain service, as an admin; its id."""
    from rapport.accounts.models import AccountCreate
    from rapport.accounts.service import accounts
    from rapport.activities.models import ActivityCreate
    from rapport.activities.service import activities
    from rapport.contacts.models import ContactCreate
    from rapport.contacts.service import contacts
    from rapport.deals.models import DealCreate, PipelineCreate
    from rapport.deals.pipelines import pipelines
    from rapport.deals.service import deals
    from rapport.leads.models import LeadCreate
    from rapport.leads.service import leads
    from rapport.tasks.models import TaskCreate
    from rapport.tasks.service import tasks

    services: dict[str, tuple[Any, Any]] = {
        "pipelines": (pipelines, PipelineCreate),
        "accounts": (accounts, AccountCreate),
        "contacts": (contacts, ContactCreate),
        "leads": (leads, LeadCreate),
        "deals": (deals, DealCreate),
        "activities": (activities, ActivityCreate),
        "tasks": (tasks, TaskCreate),
    }

    def creator(service: Any, model: Any) -> Callable[[Any, dict[str, Any]], str]:
        return lambda caller, payload: str(service.create(caller, model.model_validate(payload)).id)

    return {kind: creator(service, model) for kind, (service, model) in services.items()}


def admin(tenant: str) -> Any:
    from rapport.auth import Caller, Role

    return Caller(tenant, SEED_USER, frozenset({Role.ADMIN}))


def seed_company(
    contacts: int,
    tenant: str,
    create: Mapping[str, Callable[[Any, dict[str, Any]], str]],
    backlog: Callable[[], int],
) -> dict[str, int]:
    """Creates `contacts` contacts and their share of the rest in `tenant`; returns how many of each. `backlog`
    counts the stream records and deliveries the writes made that have not run yet."""
    company, caller = Company(tenant), admin(tenant)
    started = time.monotonic()
    for kind, payload in company.requests(contacts):
        while backlog() > BACKLOG:
            time.sleep(0.05)
        company.created(kind, create[kind](caller, payload))
        if kind == "contacts" and company.counts["contacts"] % 5_000 == 0:
            log.info("seed: %d contacts in %.0f s", company.counts["contacts"], time.monotonic() - started)
    settled_by = time.monotonic() + SETTLE_WAIT
    while backlog() and time.monotonic() < settled_by:
        time.sleep(0.1)
    if backlog():
        log.warning("seed: %d changes and deliveries still to run after %.0f s", backlog(), SETTLE_WAIT)
    return company.counts


def tenant_is_new(table: Table, tenant: str) -> bool:
    """Whether the table holds nothing of `tenant` (the domain core must be importable: `use_environment`)."""
    from rapport.dal.keys import tenant_prefix

    return not has_key_prefix(table, tenant_prefix(tenant))


def stream_backlog(table: Table) -> int:
    """How many records the table's stream holds (the publisher releases what it has read)."""
    return len(table.stream_shard.items) if table.stream_shard is not None else 0
