"""The headline figures as `GET /reports/kpis` reads them: a month's, with the export's time, zeros before any."""

from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import Decimal

import pytest

from rapport.analytics.headline import Headline, MonthFigures, headline_key, last_complete_month, report


class Saved:
    def __init__(self, documents: dict[str, bytes]) -> None:
        self.documents = documents

    def get(self, key: str) -> bytes | None:
        return self.documents.get(key)


AS_OF = datetime(2026, 11, 30, 10, tzinfo=UTC)
HEADLINE = Headline(
    as_of=AS_OF,
    months={"2026-10": MonthFigures(revenue=Decimal("1510.00"), orders=3, new_customers=1)},
    deserting_customers=2,
)


@pytest.mark.parametrize(
    ("today", "month"),
    [(date(2026, 11, 30), "2026-10"), (date(2026, 1, 1), "2025-12"), (date(2026, 3, 31), "2026-02")],
)
def test_the_default_period_is_the_last_complete_month(today: date, month: str):
    assert last_complete_month(today) == month


def test_a_month_of_the_last_export_with_the_deserting_customers_now():
    store = Saved({headline_key("t1"): HEADLINE.model_dump_json().encode()})
    figures = report(store, "t1", "2026-10")
    assert (figures.revenue, figures.orders, figures.new_customers, figures.lost_customers) == (
        Decimal("1510.00"),
        3,
        1,
        0,
    )
    assert (figures.as_of, figures.deserting_customers, figures.period) == (AS_OF, 2, "2026-10")
    quiet = report(store, "t1", "2026-09")
    assert (quiet.revenue, quiet.orders, quiet.as_of, quiet.deserting_customers) == (Decimal("0.00"), 0, AS_OF, 2)


def test_before_the_first_export_the_figures_are_zeros_without_a_time():
    store = Saved({headline_key("t1"): HEADLINE.model_dump_json().encode()})
    other = report(store, "t2", "2026-10")
    assert (other.revenue, other.orders, other.as_of, other.deserting_customers) == (Decimal("0.00"), 0, None, 0)
