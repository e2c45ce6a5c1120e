"""The datasets of the analytics exports: one per entity, each a table of the Glue database (infra/constructs/
analytics.py builds the tables from these columns) and a Parquet file per tenant and refresh.

Each dataset reads a tenant's records through the entity's own list access pattern (ONE Query per page, no Scan:
`rapport.dal.repository.query`), and turns each record into one row (or, for orders' lines and deals' stage
history, several). Column types are Athena's (Glue's) names; the exporter writes them as the Parquet types Athena
and DuckDB read alike. `personal` columns (names, emails, phones, addresses) are hashed or dropped as the tenant's
analytics settings say (rapport.analytics.export).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from decimal import Decimal
from enum import StrEnum
from typing import Any, NamedTuple

from rapport.accounts.manifest import ACCOUNT
from rapport.activities import store as activities
from rapport.cases import store as cases
from rapport.contacts.manifest import CONTACT
from rapport.dal import access, repository
from rapport.dal.access import IndexQuery
from rapport.dal.repository import Record
from rapport.deals import store as deals
from rapport.leads import store as leads
from rapport.orders import store as orders
from rapport.tasks import store as tasks

PAGE_SIZE = 500  # records per Query: DynamoDB's 1 MB page usually ends a page first
MONEY = "decimal(18,2)"

Row = dict[str, Any]


class ColumnType(StrEnum):
    STRING = "string"
    BIGINT = "bigint"
    DOUBLE = "double"
    TIMESTAMP = "timestamp"
    DATE = "date"
    MONEY = MONEY


class Column(NamedTuple):
    name: str
    type: ColumnType = ColumnType.STRING
    personal: bool = False


class Dataset(NamedTuple):
    """`name`'s columns, and its rows for a tenant: each record of `listed` (paged) as `rows_of` makes them."""

    name: str
    description: str
    columns: tuple[Column, ...]
    listed: Callable[[str], IndexQuery]
    rows_of: Callable[[Record], Iterator[Row]]

    def rows(self, tenant_id: str) -> Iterator[Row]:
        for record in walk(self.listed(tenant_id)):
            yield from self.rows_of(record)


def walk(pattern: IndexQuery) -> Iterator[Record]:
    """Every record of `pattern`, a page (ONE Query) at a time, each record once."""
    position: repository.Position | None = None
    while True:
        page = repository.query(pattern, limit=PAGE_SIZE, position=position)
        yield from page.records
        if page.next_position is None:
            return
        position = page.next_position


def _columns(*specs: str | Column) -> tuple[Column, ...]:
    return tuple(spec if isinstance(spec, Column) else Column(spec) for spec in specs)


def _time(name: str) -> Column:
    return Column(name, ColumnType.TIMESTAMP)


def _personal(name: str) -> Column:
    return Column(name, personal=True)


RECORD_TIMES = (_time("created_at"), _time("updated_at"))


def _stamps(record: Record) -> Row:
    return {"id": record.id, "created_at": record.created_at, "updated_at": record.updated_at}


def _picked(data: Mapping[str, Any], *names: str) -> Row:
    return {name: data.get(name) for name in names}


def _address(data: Mapping[str, Any]) -> Row:
    address = data.get("address") or {}
    parts = [address.get(part) for part in ("line1", "line2", "city", "region", "postal_code")]
    return {"address": ", ".join(part for part in parts if part) or None, "country": address.get("country")}


def _one(make: Callable[[Record], Row]) -> Callable[[Record], Iterator[Row]]:
    def rows_of(record: Record) -> Iterator[Row]:
        yield make(record)

    return rows_of


def _account(record: Record) -> Row:
    data = record.data
    return {
        **_stamps(record),
        **_picked(data, "name", "domain", "industry", "size", "owner_id"),
        **_address(data),
    }


def _contact(record: Record) -> Row:
    data = record.data
    return {
        **_stamps(record),
        **_picked(data, "account_id", "owner_id", "job_title", "first_name", "last_name", "email", "phone"),
        **_address(data),
    }


def _lead(record: Record) -> Row:
    data = record.data
    converted = data.get("converted") or {}
    return {
        **_stamps(record),
        **_picked(data, "status", "source", "score", "owner_id", "company", "industry", "company_size", "country"),
        **_picked(data, "campaign_id", "first_name", "last_name", "email", "phone"),
        "converted_contact_id": converted.get("contact_id"),
        "converted_deal_id": converted.get("deal_id"),
        "converted_at": converted.get("at"),
    }


def _deal(record: Record) -> Row:
    data = record.data
    return {
        **_stamps(record),
        **_picked(data, "name", "amount", "currency", "pipeline_id", "stage", "status", "probability"),
        **_picked(data, "owner_id", "account_id", "close_date", "stage_entered_at", "closed_at", "lost_reason"),
    }


def _deal_stages(record: Record) -> Iterator[Row]:
    """The deal's stage transitions: ONE Query of its partition's history per deal."""
    for item in deals.history_items(record.tenant_id, record.id):
        change = repository.plain(item.data)
        yield {
            "deal_id": record.id,
            **_picked(change, "from_stage", "to_stage", "pipeline_id", "status", "probability", "at", "by"),
            "days_in_previous_stage": change.get("days_in_previous_stage"),
        }


def _activity(record: Record) -> Row:
    data = record.data
    return {
        **_stamps(record),
        **_picked(data, "type", "direction", "outcome", "owner_id", "occurred_at", "duration_s"),
        **_picked(data, "contact_id", "account_id", "lead_id", "deal_id"),
    }


def _task(record: Record) -> Row:
    data = record.data
    return {
        **_stamps(record),
        **_picked(data, "status", "priority", "assignee_id", "due_at", "contact_id", "account_id", "deal_id"),
    }


def _order(record: Record) -> Row:
    data = record.data
    tenant_total = data.get("tenant_total") or {}
    return {
        **_stamps(record),
        **_picked(data, "number", "contact_id", "account_id", "ordered_at", "status", "currency", "total"),
        **_picked(data, "deal_id", "campaign_id", "external_id"),
        "tenant_total": tenant_total.get("amount"),
        "tenant_currency": tenant_total.get("currency"),
    }


def _order_lines(record: Record) -> Iterator[Row]:
    data = record.data
    for number, line in enumerate(data.get("lines") or [], start=1):
        quantity, unit_price = line["quantity"], Decimal(str(line["unit_price"]))
        discount = Decimal(str(line.get("discount") or 0))
        yield {
            "order_id": record.id,
            "line": number,
            **_picked(data, "ordered_at", "status", "currency", "contact_id", "account_id"),
            "sku": line["sku"],
            "quantity": quantity,
            "unit_price": unit_price,
            "discount": discount,
            "amount": quantity * unit_price - discount,
        }


def _case(record: Record) -> Row:
    data = record.data
    return {
        **_stamps(record),
        **_picked(data, "number", "type", "priority", "status", "channel", "contact_id", "account_id", "queue"),
        **_picked(data, "owner_id", "first_response_at", "resolved_at", "closed_at"),
    }


ADDRESS = (_personal("address"), Column("country"))
PERSON = (_personal("first_name"), _personal("last_name"), _personal("email"), _personal("phone"))

DATASETS = (
    Dataset(
        "accounts",
        "Accounts (companies)",
        _columns("id", "name", "domain", "industry", "size", "owner_id", *ADDRESS, *RECORD_TIMES),
        lambda tenant: access.listed(tenant, ACCOUNT),
        _one(_account),
    ),
    Dataset(
        "contacts",
        "Contacts (people)",
        _columns("id", "account_id", "owner_id", "job_title", *PERSON, *ADDRESS, *RECORD_TIMES),
        lambda tenant: access.listed(tenant, CONTACT),
        _one(_contact),
    ),
    Dataset(
        "leads",
        "Leads, converted or not",
        _columns(
            "id",
            "status",
            "source",
            Column("score", ColumnType.BIGINT),
            "owner_id",
            "company",
            "industry",
            "company_size",
            "country",
            "campaign_id",
            *PERSON,
            "converted_contact_id",
            "converted_deal_id",
            _time("converted_at"),
            *RECORD_TIMES,
        ),
        leads.all_leads,
        _one(_lead),
    ),
    Dataset(
        "deals",
        "Deals, open, won and lost",
        _columns(
            "id",
            "name",
            Column("amount", ColumnType.MONEY),
            "currency",
            "pipeline_id",
            "stage",
            "status",
            Column("probability", ColumnType.BIGINT),
            "owner_id",
            "account_id",
            Column("close_date", ColumnType.DATE),
            _time("stage_entered_at"),
            _time("closed_at"),
            "lost_reason",
            *RECORD_TIMES,
        ),
        deals.deals_by_close_date,
        _one(_deal),
    ),
    Dataset(
        "deal_stages",
        "Each stage a deal entered (its creation included), with the stage's probability then and the days it spent "
        "in the stage before",
        _columns(
            "deal_id",
            "from_stage",
            "to_stage",
            "pipeline_id",
            "status",
            Column("probability", ColumnType.BIGINT),
            _time("at"),
            "by",
            Column("days_in_previous_stage", ColumnType.DOUBLE),
        ),
        deals.deals_by_close_date,
        _deal_stages,
    ),
    Dataset(
        "activities",
        "Calls, emails, meetings and notes logged",
        _columns(
            "id",
            "type",
            "direction",
            "outcome",
            "owner_id",
            _time("occurred_at"),
            Column("duration_s", ColumnType.BIGINT),
            "contact_id",
            "account_id",
            "lead_id",
            "deal_id",
            *RECORD_TIMES,
        ),
        lambda tenant: activities.listed(tenant, None, None, deleted=False, start=None, end=None),
        _one(_activity),
    ),
    Dataset(
        "tasks",
        "Tasks, open and done",
        _columns(
            "id",
            "status",
            "priority",
            "assignee_id",
            _time("due_at"),
            "contact_id",
            "account_id",
            "deal_id",
            *RECORD_TIMES,
        ),
        tasks.of_tenant,
        _one(_task),
    ),
    Dataset(
        "orders",
        "Orders, every status (revenue counts paid and fulfilled)",
        _columns(
            "id",
            "number",
            "contact_id",
            "account_id",
            _time("ordered_at"),
            "status",
            "currency",
            Column("total", ColumnType.MONEY),
            Column("tenant_total", ColumnType.MONEY),
            "tenant_currency",
            "deal_id",
            "campaign_id",
            "external_id",
            *RECORD_TIMES,
        ),
        lambda tenant: orders.listed(tenant, deleted=False),
        _one(_order),
    ),
    Dataset(
        "order_lines",
        "Orders' lines, with their order's time, status, currency and customer",
        _columns(
            "order_id",
            Column("line", ColumnType.BIGINT),
            _time("ordered_at"),
            "status",
            "currency",
            "contact_id",
            "account_id",
            "sku",
            Column("quantity", ColumnType.BIGINT),
            Column("unit_price", ColumnType.MONEY),
            Column("discount", ColumnType.MONEY),
            Column("amount", ColumnType.MONEY),
        ),
        lambda tenant: orders.listed(tenant, deleted=False),
        _order_lines,
    ),
    Dataset(
        "cases",
        "Service cases",
        _columns(
            "id",
            "number",
            "type",
            "priority",
            "status",
            "channel",
            "contact_id",
            "account_id",
            "queue",
            "owner_id",
            _time("first_response_at"),
            _time("resolved_at"),
            _time("closed_at"),
            *RECORD_TIMES,
        ),
        cases.of_tenant,
        _one(_case),
    ),
)
