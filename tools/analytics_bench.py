"""`make bench`'s analytics case: a tenant of N customers with 24 months of orders, and the three jobs that keep its
analytics, each timed at two scales side by side:

- value refresh: each customer's value computed again from its orders (what the customer value worker does after an
  order: rapport.orders.service.refresh_value), for every contact and account once;
- detection: the daily ranking, with churn assessed against the clock (rapport.orders.reports.rank_tenant);
- export: the hourly export of every dataset as Parquet, with the headline figures (rapport.analytics.export).

The company (contacts in accounts of ten, products, orders: `Company`) is written by the domain services straight
into moto in this process (local.runtime.bulk), each customer's orders as one back-office batch (the service of
`POST /orders/batch`); moto then serves it as the local runtime's endpoint does (local.runtime.aws.EmbeddedAws).
Each job runs in a process of its own against that endpoint (`python -m tools.analytics_bench <job> <tenant>`), so
the memory it reports is its own: its peak resident size (VmHWM) over the size it had when the job began (the
interpreter and its imports). Its DynamoDB requests are counted in that process (tools.metering), per customer
(contacts and accounts). A job whose memory grew with the tenant would show it between the two scales; its time
should grow with the customers, no faster.
"""

from __future__ import annotations

import json
import os
import random
import subprocess
import sys
import time
from collections import Counter
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

from tools.loadtest import free_port, print_side_by_side, status_kb

ROOT = Path(__file__).resolve().parent.parent
SCALES = (1_000, 10_000)  # customers (contacts), in accounts of ACCOUNT_SIZE
ACCOUNT_SIZE = 10
MONTHS = 24
PRODUCTS = 40
NOW = datetime(2026, 11, 30, 6, 0, tzinfo=UTC)  # the ranking's daily run
BUCKET = "rapport-bench-analytics"
JOBS = ("value", "detect", "export")
REGION = "eu-west-1"
ENVIRONMENT = {
    "AWS_DEFAULT_REGION": REGION,
    "AWS_REGION": REGION,
    "AWS_ACCESS_KEY_ID": "bench",
    "AWS_SECRET_ACCESS_KEY": "bench",
    "TABLE_NAME": "rapport-bench",
    "IDEMPOTENCY_TABLE_NAME": "rapport-bench-idempotency",
    "TENANTS_TABLE_NAME": "rapport-bench-tenants",
    "ANALYTICS_BUCKET": BUCKET,
    "CURSOR_SECRET": "bench",
    "POWERTOOLS_SERVICE_NAME": "rapport-bench",
    "POWERTOOLS_TRACE_DISABLED": "1",
    "PYTHONPATH": "layers/core/python:functions:.",
}
# How often a customer buys over the 24 months (its share of the company, then months between its orders),
# and the patterns that churn detection must tell apart: a customer that halved its buying 4 months ago
# (the seeds' deserting customer), a late one that stopped, a new one with three months of history.
PATTERNS: tuple[tuple[str, float, int], ...] = (
    ("monthly", 0.55, 1),
    ("bimonthly", 0.15, 2),
    ("quarterly", 0.10, 3),
    ("halving", 0.10, 1),
    ("stopped", 0.05, 1),
    ("new", 0.05, 1),
)


class Company:
    """The payloads of one tenant's customers: products, then accounts, each followed by its contacts and their
    orders (one to three lines from the customer's own basket of two to five products, 3 % cancelled),
    deterministic for a seed."""

    def __init__(self, customers: int, seed: int = 12) -> None:
        self.customers = customers
        self.patterns: Counter[str] = Counter()  # contacts by how they buy, as their orders were drawn
        self._random = random.Random(seed)  # noqa: S311 - sample data, reproducible

    def products(self) -> Iterator[dict[str, Any]]:
        for number in range(1, PRODUCTS + 1):
            price = Decimal(self._random.randrange(10, 400)) * 5
            yield {"sku": f"SKU-{number:03d}", "name": f"Product {number}", "category": "kit", "unit_price": f"{price}"}

    def account(self, number: int) -> dict[str, Any]:
        return {
            "name": f"Customer {number:05d}",
            "domain": f"customer-{number:05d}.example",
            "industry": ("Retail", "Wholesale", "Logistics")[number % 3],
            "size": ("11-50", "51-200")[number % 2],
        }

    def contact(self, number: int, account_id: str) -> dict[str, Any]:
        return {
            "first_name": "Buyer",
            "last_name": f"{number:05d}",
            "email": f"buyer.{number:05d}@customer.example",
            "account_id": account_id,
        }

    def orders(self, number: int, contact_id: str, account_id: str) -> Iterator[dict[str, Any]]:
        pattern, every = self._pattern()
        self.patterns[pattern] += 1
        first = MONTHS - 3 if pattern == "new" else 0
        last = MONTHS - 5 if pattern == "stopped" else MONTHS
        monthly = Decimal(self._random.randrange(200, 2000))
        basket = self._random.sample(range(1, PRODUCTS + 1), self._random.randrange(2, 6))  # what it buys again
        cancelled_before = False  # a halving contact's cancelled month before the drop: its drop is under half
        for month in range(first, last, every):
            quantity = 1 if pattern == "halving" and month >= MONTHS - 4 else 2
            ordered_at = _months_before(NOW, MONTHS - month).replace(day=self._random.randrange(1, 28))
            status = "cancelled" if self._random.random() < 0.03 else self._random.choice(["paid", "fulfilled"])
            if pattern == "halving" and status == "cancelled" and month < MONTHS - 4:
                cancelled_before = True
            lines = [
                {"sku": f"SKU-{sku:03d}", "quantity": quantity}
                for sku in self._random.sample(basket, self._random.randrange(1, min(3, len(basket)) + 1))
            ]
            for line in lines:
                line["unit_price"] = f"{(monthly / 2 / len(lines)).quantize(Decimal('0.01'))}"
            yield {
                "number": f"B{number:05d}-{month:02d}",
                "contact_id": contact_id,
                "account_id": account_id,
                "ordered_at": ordered_at.strftime("%Y-%m-%dT%H:%M:%SZ"),
                "status": status,
                "lines": lines,
            }
        self.patterns["halving, an order cancelled before"] += cancelled_before

    def _pattern(self) -> tuple[str, int]:
        draw, share = self._random.random(), 0.0
        for name, part, every in PATTERNS:
            share += part
            if draw < share:
                return name, every
        return PATTERNS[0][0], PATTERNS[0][2]


def _months_before(when: datetime, months: int) -> datetime:
    index = when.year * 12 + when.month - 1 - months
    return when.replace(year=index // 12, month=index % 12 + 1, day=1, hour=10)


def load(company: Company, tenant: str) -> dict[str, int]:
    """Write the company into the tenant with the domain services (bulk, in this process); how many of each."""
    from local.runtime.bulk import admin
    from rapport.accounts.models import AccountCreate
    from rapport.accounts.service import accounts
    from rapport.contacts.models import ContactCreate
    from rapport.contacts.service import contacts
    from rapport.followups.store import register_tenant
    from rapport.orders.service import orders
    from rapport.products.models import ProductCreate
    from rapport.products.service import products

    caller = admin(tenant)
    register_tenant(tenant, NOW.isoformat())
    counts = {"accounts": 0, "contacts": 0, "orders": 0}
    for product in company.products():
        products.create(caller, ProductCreate.model_validate(product))
    account_id = ""
    for number in range(1, company.customers + 1):
        if number % ACCOUNT_SIZE == 1:
            account_id = accounts.create(caller, AccountCreate.model_validate(company.account(number))).id
            counts["accounts"] += 1
        contact_id = contacts.create(caller, ContactCreate.model_validate(company.contact(number, account_id))).id
        counts["contacts"] += 1
        results = orders.receive(caller, list(company.orders(number, contact_id, account_id)))
        if failed := [result.error for result in results if result.error is not None]:
            raise SystemExit(f"the bench's orders were refused: {failed[0]}")
        counts["orders"] += len(results)
    return counts


# The jobs, each run in a process of its own (`main` with a job's name).


def run_job(job: str, tenant: str) -> dict[str, float]:
    """Run `job` for `tenant` in this process: its time, requests per customer and memory."""
    from rapport.accounts.manifest import ACCOUNT
    from rapport.analytics.bucket import S3Bucket
    from rapport.analytics.export import export_tenant
    from rapport.contacts.manifest import CONTACT
    from rapport.dal import access, repository
    from rapport.dal.repository import Parent
    from rapport.orders.churn import ChurnStatus, PersonalFields
    from rapport.orders.reports import rank_tenant
    from rapport.orders.service import orders
    from rapport.orders.standing import CustomerStanding
    from rapport.orders.store import walked
    from tools.metering import dynamodb_requests

    customers = [
        Parent(kind, record.id)
        for kind in (CONTACT, ACCOUNT)
        for record in repository.records(access.listed(tenant, kind))
    ]

    jobs: dict[str, Callable[[], Any]] = {
        "value": lambda: orders.refresh_value(tenant, customers, now=NOW, as_of=NOW.isoformat()),
        "detect": lambda: rank_tenant(tenant, NOW),
        "export": lambda: export_tenant(tenant, NOW, PersonalFields.HASH, S3Bucket(BUCKET)),
    }
    before = status_kb("VmRSS") / 1024
    started = time.perf_counter()
    with dynamodb_requests() as requests:
        jobs[job]()
    seconds = time.perf_counter() - started
    peak = status_kb("VmHWM") / 1024
    figures = {
        "seconds": seconds,
        "ms per customer": seconds * 1000 / len(customers),
        "requests per customer": len(requests) / len(customers),
        "peak memory (MB)": peak - before,
    }
    if job == "detect":
        found = Counter(
            CustomerStanding.model_validate(standing).churn.status
            for _, _, standing in walked(tenant, CONTACT)
            if standing
        )
        figures.update({f"contacts found {status.replace('_', ' ')}": found[status] for status in ChurnStatus})
    return figures


def measure(scales: tuple[int, ...] = SCALES) -> dict[int, dict[str, float]]:
    """The company at each scale written to moto, then each job run over it in a process of its own."""
    from moto.dynamodb.models import dynamodb_backends

    from local.runtime.aws import EmbeddedAws
    from local.runtime.bulk import bulk_writes
    from local.runtime.template import ACCOUNT_ID

    aws = EmbeddedAws(free_port(), REGION)
    aws.start()
    os.environ.update({**ENVIRONMENT, "AWS_ENDPOINT_URL": aws.endpoint})
    from rapport.dal.models import TABLE_MODELS  # its table names are read from the environment when imported

    for model in TABLE_MODELS:
        model.create_table(wait=True)
    aws.client("s3").create_bucket(Bucket=BUCKET, CreateBucketConfiguration={"LocationConstraint": REGION})
    results: dict[int, dict[str, float]] = {}
    try:
        for scale in scales:
            tenant = f"bench-{scale}"
            started = time.perf_counter()
            company = Company(scale)
            with bulk_writes(dynamodb_backends[ACCOUNT_ID][REGION]):
                counts = load(company, tenant)
            figures: dict[str, float] = {
                "orders": counts["orders"],
                "load (s)": time.perf_counter() - started,
                "contacts that halved their buying": company.patterns["halving"],
                "  of which one cancelled an order before": company.patterns["halving, an order cancelled before"],
            }
            for job in JOBS:
                figures.update({f"{job}: {name}": found for name, found in _in_own_process(job, tenant).items()})
            results[scale] = figures
    finally:
        aws.stop()
    return results


def _in_own_process(job: str, tenant: str) -> dict[str, float]:
    done = subprocess.run(  # noqa: S603 - this interpreter, this module
        [sys.executable, "-W", "ignore", "-m", "tools.analytics_bench", job, tenant],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=False,
    )
    if done.returncode:
        raise SystemExit(f"the {job} job failed:\n{done.stderr}")
    figures: dict[str, float] = json.loads(done.stdout.splitlines()[-1])
    return figures


def main(arguments: list[str]) -> None:
    """`<job> <tenant>`: run one job (the bench's own processes); else the bench at the scales given, or SCALES."""
    if arguments and arguments[0] in JOBS:
        print(json.dumps(run_job(*arguments)))
        return
    scales = tuple(int(scale) for scale in arguments) or SCALES
    print(f"Analytics jobs over a tenant's customers with {MONTHS} months of orders (each job in its own process)")
    print_side_by_side(measure(scales), unit="customers")


if __name__ == "__main__":
    main(sys.argv[1:])
