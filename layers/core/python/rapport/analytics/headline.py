"""The headline figures `GET /reports/kpis` serves, computed by the exporter with the committed KPI queries over the
files it has just written (rapport.analytics.export.headline_of: the same SQL Athena runs), and kept beside them in
the bucket at `kpis/tenant=<id>/headline.json`: the API reads them with one GetObject and never loads DuckDB.

They are as fresh as the last export (`as_of`): the month's revenue and orders (`revenue_by_month`), its new and
lost customers (`new_and_lost_customers`), and the customers deserting now (`churn_list`).
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from typing import Protocol

from pydantic import Field

from rapport.auth import Action, Caller
from rapport.deals.money import Money
from rapport.orders.reports import RESOURCE
from rapport.types import LazyModel

HEADLINE_PREFIX = "kpis/"
PERIOD_PATTERN = r"^\d{4}-(0[1-9]|1[0-2])$"


class MonthFigures(LazyModel):
    revenue: Money = Decimal("0.00")
    orders: int = 0
    new_customers: int = 0
    lost_customers: int = 0


class Headline(LazyModel):
    """What the exporter keeps for a tenant."""

    as_of: datetime
    months: dict[str, MonthFigures] = Field(default_factory=dict)
    deserting_customers: int = 0


class KpiReport(MonthFigures):
    period: str = Field(description="The calendar month, YYYY-MM")
    as_of: datetime | None = Field(description="When the figures were computed (the last export); none before it")
    deserting_customers: int = Field(description="Customers deserting as of the last export (the churn list)")


class HeadlineStore(Protocol):
    def get(self, key: str) -> bytes | None: ...


def headline_key(tenant_id: str) -> str:
    return f"{HEADLINE_PREFIX}tenant={tenant_id}/headline.json"


def kpis(caller: Caller, period: str | None, store: HeadlineStore) -> KpiReport:
    """The headline figures of a calendar month (default: the last complete one) as of the last analytics export,
    for whoever reads the customer reports: ONE read."""
    caller.require(RESOURCE, Action.READ)
    return report(store, caller.tenant_id, period or last_complete_month(datetime.now(UTC).date()))


def report(store: HeadlineStore, tenant_id: str, period: str) -> KpiReport:
    """The figures of `period` from the tenant's last export (zeros, and no `as_of`, before the first)."""
    saved = store.get(headline_key(tenant_id))
    if saved is None:
        return KpiReport(period=period, as_of=None, deserting_customers=0)
    headline = Headline.model_validate_json(saved)
    figures = headline.months.get(period, MonthFigures())
    return KpiReport(
        **figures.model_dump(), period=period, as_of=headline.as_of, deserting_customers=headline.deserting_customers
    )


def month_of(day: date) -> str:
    return day.strftime("%Y-%m")


def last_complete_month(today: date) -> str:
    return month_of(today.replace(day=1) - timedelta(days=1))
