"""The committed KPI queries: each parses as Athena's (Trino) SQL, and each answers what is known of a generated
dataset, on DuckDB over Parquet files laid out as the bucket is, a second tenant's rows left out."""

from __future__ import annotations

import json
from datetime import date, datetime
from decimal import Decimal
from typing import Any

import pytest
import sqlglot
from sqlglot import exp
from sqlglot.errors import ErrorLevel

from rapport.analytics import parquet
from rapport.analytics.datasets import DATASETS
from rapport.analytics.export import object_key
from rapport.analytics.queries import queries
from rapport.analytics.sql import open_catalog, run

TENANT, OTHER, SELLER = "t1", "t2", "t3"
THIS_MONTH = date.today().replace(day=1)


def month(back: int) -> date:
    """The first day of the month `back` months before this one."""
    index = THIS_MONTH.year * 12 + THIS_MONTH.month - 1 - back
    return date(index // 12, index % 12 + 1, 1)


def ordered(back: int) -> str:
    return f"{month(back).replace(day=10).isoformat()} 12:00:00"


def order(customer: str, back: int, total: str, status: str = "paid") -> dict[str, Any]:
    return {"id": f"{customer}-{back}-{status}", "account_id": customer, "ordered_at": ordered(back),
            "status": status, "tenant_total": total, "currency": "USD", "total": total}  # fmt: skip


ORDERS = [
    *(order("steady", back, "1000.00") for back in range(1, 16)),
    order("steady", 1, "5000.00", status="cancelled"),
    # the seeds' deserting customer: 1,000 a month for a year, then 500 for the last three complete months
    *(order("deserter", back, "1000.00") for back in range(4, 16)),
    *(order("deserter", back, "500.00") for back in range(1, 4)),
    # it drops too, but below the least baseline worth a warning (100 a month)
    *(order("small", back, "50.00") for back in range(4, 16)),
    *(order("small", back, "10.00") for back in range(1, 4)),
    order("gone", 14, "300.00"),
    order("gone", 13, "300.00"),
]
DEALS = [
    {"id": "d1", "owner_id": "ann", "status": "won", "amount": "1000.00"},
    {"id": "d2", "owner_id": "bob", "status": "lost", "amount": "400.00"},
    {"id": "d3", "owner_id": "ann", "status": "open", "amount": "700.00"},
]
STAGES: list[dict[str, Any]] = [
    {"deal_id": "d1", "pipeline_id": "p1", "from_stage": None, "to_stage": "Qualified"},
    {"deal_id": "d1", "pipeline_id": "p1", "from_stage": "Qualified", "to_stage": "Demo", "days_in_previous_stage": 2},
    {"deal_id": "d1", "pipeline_id": "p1", "from_stage": "Demo", "to_stage": "Won", "days_in_previous_stage": 3},
    {"deal_id": "d2", "pipeline_id": "p1", "from_stage": None, "to_stage": "Qualified"},
    {"deal_id": "d2", "pipeline_id": "p1", "from_stage": "Qualified", "to_stage": "Demo", "days_in_previous_stage": 4},
    {"deal_id": "d2", "pipeline_id": "p1", "from_stage": "Demo", "to_stage": "Lost", "days_in_previous_stage": 1},
]
ACTIVITIES = [
    {"id": "a1", "owner_id": "ann", "type": "call", "occurred_at": ordered(1)},
    {"id": "a2", "owner_id": "ann", "type": "call", "occurred_at": ordered(1)},
    {"id": "a3", "owner_id": "ann", "type": "email", "occurred_at": ordered(1)},
    {"id": "a4", "owner_id": "bob", "type": "meeting", "occurred_at": ordered(1)},
]
GENERATED: dict[str, list[dict[str, Any]]] = {
    "orders": ORDERS,
    "deals": DEALS,
    "deal_stages": STAGES,
    "activities": ACTIVITIES,
}
# The other tenant's rows, which no query of the first tenant may count.
NOISE: dict[str, list[dict[str, Any]]] = {
    "orders": [order("steady", 1, "99999.00")],
    "deals": [
        {
            "id": "x",
            "owner_id": "ann",
            "status": "won",
            "amount": "5.00",
            "currency": "USD",
            "close_date": "2025-04-10",
            "closed_at": "2025-04-10 10:00:00",
        },
    ],
    "deal_stages": [{"deal_id": "x", "pipeline_id": "p1", "from_stage": "Demo", "days_in_previous_stage": 90}],
    "activities": [{"id": "x", "owner_id": "ann", "type": "call", "occurred_at": ordered(1)}],
}


def sold(deal_id: str, owner: str, amount: str, *, status: str, stage: str, probability: int, close: str,
         closed_at: str | None = None, currency: str = "USD") -> dict[str, Any]:  # fmt: skip
    return {"id": deal_id, "owner_id": owner, "amount": amount, "currency": currency, "pipeline_id": "p1",
            "status": status, "stage": stage, "probability": probability, "close_date": close,
            "closed_at": closed_at}  # fmt: skip


def moved(deal_id: str, at: str, to: str, status: str, probability: int | None) -> dict[str, Any]:
    return {"deal_id": deal_id, "pipeline_id": "p1", "to_stage": to, "status": status, "probability": probability,
            "at": at}  # fmt: skip


# A seller's year: the second quarter of 2025 starts on 1 April.
FORECAST_DEALS = [
    # open in Proposal (60 %) on 1 April, won in May: 600.00 of ann's forecast, 1,000.00 won
    sold(
        "f1",
        "ann",
        "1000.00",
        status="won",
        stage="Won",
        probability=100,
        close="2025-05-10",
        closed_at="2025-05-10 10:00:00",
    ),
    # open in Qualified (20 %) on 1 April, lost in June: 102.47 of ann's forecast
    sold(
        "f2",
        "ann",
        "512.35",
        status="lost",
        stage="Lost",
        probability=0,
        close="2025-06-01",
        closed_at="2025-06-01 10:00:00",
    ),
    # made after 1 April and won in June: no forecast, 2,000.00 won
    sold(
        "f3",
        "ann",
        "2000.00",
        status="won",
        stage="Won",
        probability=100,
        close="2025-06-20",
        closed_at="2025-06-20 10:00:00",
    ),
    # in Proposal since before probabilities were kept, and still there: its own 60 %, 480.00 of bob's forecast
    sold("f4", "bob", "800.00", status="open", stage="Proposal", probability=60, close="2025-05-31"),
    # in Demo on 1 April (kept without a probability), in Proposal since: open, but unweighted
    sold("f5", "bob", "300.00", status="open", stage="Proposal", probability=60, close="2025-06-15"),
    # in Negotiation (80 %) on 1 April, won on the 2nd: bob's euros, 800.00 forecast, 1,000.00 won
    sold(
        "f6",
        "bob",
        "1000.00",
        status="won",
        stage="Won",
        probability=100,
        close="2025-04-02",
        closed_at="2025-04-02 09:00:00",
        currency="EUR",
    ),
    # made on the first quarter's first day and won in it: no forecast, 400.00 won in the first quarter
    sold(
        "f7",
        "ann",
        "400.00",
        status="won",
        stage="Won",
        probability=100,
        close="2025-03-15",
        closed_at="2025-03-15 10:00:00",
    ),
    # won in March though to close in April: not open on 1 April, 250.00 won in the first quarter
    sold(
        "f8",
        "ann",
        "250.00",
        status="won",
        stage="Won",
        probability=100,
        close="2025-04-05",
        closed_at="2025-03-30 10:00:00",
    ),
]
FORECAST_STAGES = [
    moved("f1", "2025-03-01 09:00:00", "Qualified", "open", 20),
    moved("f1", "2025-03-20 09:00:00", "Proposal", "open", 60),
    moved("f1", "2025-05-10 10:00:00", "Won", "won", 100),
    moved("f2", "2025-02-01 09:00:00", "Qualified", "open", 20),
    moved("f2", "2025-06-01 10:00:00", "Lost", "lost", 0),
    moved("f3", "2025-04-15 09:00:00", "Qualified", "open", 20),
    moved("f3", "2025-06-20 10:00:00", "Won", "won", 100),
    moved("f4", "2025-01-10 09:00:00", "Proposal", "open", None),
    moved("f5", "2025-01-05 09:00:00", "Qualified", "open", None),
    moved("f5", "2025-03-01 09:00:00", "Demo", "open", None),
    moved("f5", "2025-04-20 09:00:00", "Proposal", "open", 60),
    moved("f6", "2025-03-01 09:00:00", "Negotiation", "open", 80),
    moved("f6", "2025-04-02 09:00:00", "Won", "won", 100),
    moved("f7", "2025-01-01 09:00:00", "Qualified", "open", 20),
    moved("f7", "2025-03-15 10:00:00", "Won", "won", 100),
    moved("f8", "2025-02-01 09:00:00", "Proposal", "open", 60),
    moved("f8", "2025-03-30 10:00:00", "Won", "won", 100),
]
SELLER_ROWS: dict[str, list[dict[str, Any]]] = {"deals": FORECAST_DEALS, "deal_stages": FORECAST_STAGES}


@pytest.fixture(scope="module")
def catalog(tmp_path_factory: pytest.TempPathFactory) -> Any:
    root = tmp_path_factory.mktemp("bucket")
    for tenant, rows_by_dataset in ((TENANT, GENERATED), (OTHER, NOISE), (SELLER, SELLER_ROWS)):
        for dataset in DATASETS:
            if dataset.name not in rows_by_dataset:
                continue
            rows = root / f"{tenant}-{dataset.name}.jsonl"
            rows.write_text("".join(json.dumps(row) + "\n" for row in rows_by_dataset[dataset.name]))
            target = root / object_key(dataset.name, tenant, date.today())
            target.parent.mkdir(parents=True)
            parquet.write(dataset.columns, rows, target, root)
    with open_catalog(root) as db:
        yield db


def answer(catalog: Any, name: str, tenant: str = TENANT) -> list[dict[str, Any]]:
    columns, rows = run(catalog, queries()[name], tenant)
    return [dict(zip(columns, row, strict=True)) for row in rows]


def test_the_queries_are_the_committed_kpis_each_described():
    assert set(queries()) == {
        "revenue_by_month",
        "new_and_lost_customers",
        "rfm_grid",
        "churn_list",
        "top_customers_by_revenue",
        "pipeline_velocity",
        "win_rate_by_owner",
        "activities_per_rep",
        "forecast_accuracy",
    }
    assert all(query.description and query.tenant_parameters for query in queries().values())


@pytest.mark.parametrize("name", sorted(queries()))
def test_each_query_is_athena_sql_and_filters_every_table_by_tenant(name: str):
    query = queries()[name]
    tree = sqlglot.parse_one(query.sql, read="trino", error_level=ErrorLevel.RAISE)
    placeholders = list(tree.find_all(exp.Placeholder))
    assert len(placeholders) == query.tenant_parameters
    tables = [table.name for table in tree.find_all(exp.Table) if table.name in {d.name for d in DATASETS}]
    assert len(tables) == query.tenant_parameters, "one tenant parameter per dataset read"


def test_revenue_by_month_counts_paid_and_fulfilled_orders(catalog):
    rows = answer(catalog, "revenue_by_month")
    assert len(rows) == 15
    assert rows[-1] == {"month": month(1), "orders": 3, "revenue": Decimal("1510.00")}
    assert rows[0] == {"month": month(15), "orders": 3, "revenue": Decimal("2050.00")}
    assert rows[1] == {"month": month(14), "orders": 4, "revenue": Decimal("2350.00")}


def test_new_and_lost_customers_by_month(catalog):
    rows = {
        row["month"]: (row["new_customers"], row["lost_customers"]) for row in answer(catalog, "new_and_lost_customers")
    }
    assert rows == {month(15): (3, 0), month(14): (1, 0), month(13): (0, 1)}


def test_the_churn_list_names_the_seeds_deserting_customer_with_its_figures(catalog):
    [row] = answer(catalog, "churn_list")
    assert (row["customer_id"], row["baseline"], row["recent"], row["drop_percent"]) == (
        "deserter",
        Decimal("1000.00"),
        Decimal("500.00"),
        Decimal("50.0"),
    )


def test_the_top_customers_by_revenue_say_which_are_deserting(catalog):
    rows = [
        (row["customer_id"], row["revenue_12m"], row["orders_12m"], row["deserting"])
        for row in answer(catalog, "top_customers_by_revenue")
    ]
    assert rows == [
        ("steady", Decimal("12000.00"), 12, False),
        ("deserter", Decimal("10500.00"), 12, True),
        ("small", Decimal("480.00"), 12, False),
    ]


def test_the_rfm_grid_scores_the_last_twelve_months_buyers(catalog):
    rows = [(row["r"], row["f"], row["customers"], row["revenue"]) for row in answer(catalog, "rfm_grid")]
    assert rows == [(3, 3, 1, Decimal("12000.00")), (2, 2, 1, Decimal("480.00")), (1, 1, 1, Decimal("10500.00"))]


def test_pipeline_velocity_averages_the_days_in_each_stage(catalog):
    rows = [(row["stage"], row["transitions"], row["average_days"]) for row in answer(catalog, "pipeline_velocity")]
    assert rows == [("Qualified", 2, 3.0), ("Demo", 2, 2.0)]


def test_win_rate_by_owner_counts_closed_deals_only(catalog):
    rows = [
        (r["owner_id"], r["won"], r["lost"], float(r["win_rate_percent"]), r["amount_won"])
        for r in answer(catalog, "win_rate_by_owner")
    ]
    assert rows == [("ann", 1, 0, 100.0, Decimal("1000.00")), ("bob", 0, 1, 0.0, Decimal("0.00"))]


def test_activities_per_rep_by_month(catalog):
    rows = [
        (row["owner_id"], row["activities"], row["calls"], row["emails"], row["meetings"])
        for row in answer(catalog, "activities_per_rep")
    ]
    assert rows == [("ann", 3, 2, 1, 0), ("bob", 1, 0, 0, 1)]


def test_forecast_accuracy_weighs_the_deals_open_at_the_quarter_s_start_against_those_won_in_it(catalog):
    rows = [
        (
            row["quarter"].isoformat(),
            row["owner_id"],
            row["currency"],
            row["forecast_deals"],
            row["unweighted_deals"],
            row["forecast"],
            row["won_deals"],
            row["closed_won"],
            row["accuracy_percent"],
        )
        for row in answer(catalog, "forecast_accuracy", SELLER)
    ]
    assert rows == [
        ("2025-01-01", "ann", "USD", 0, 0, Decimal("0.00"), 2, Decimal("650.00"), None),
        ("2025-04-01", "ann", "USD", 2, 0, Decimal("702.47"), 2, Decimal("3000.00"), 427.1),
        ("2025-04-01", "bob", "EUR", 1, 0, Decimal("800.00"), 1, Decimal("1000.00"), 125.0),
        ("2025-04-01", "bob", "USD", 2, 1, Decimal("480.00"), 0, Decimal("0.00"), 0.0),
    ]
    # the first tenant's deals have neither close dates nor closing times: no quarter to count them in
    assert answer(catalog, "forecast_accuracy") == []


def test_a_dataset_without_files_is_an_empty_table_with_its_columns(catalog):
    assert catalog.execute("SELECT count(*) FROM cases").fetchone() == (0,)
    names = [row[0] for row in catalog.execute("DESCRIBE cases").fetchall()]
    assert names == [column.name for column in DATASETS[-1].columns] + ["tenant", "dt"]


def test_the_exported_times_are_read_as_timestamps(catalog):
    [(when,)] = catalog.execute("SELECT max(ordered_at) FROM orders WHERE tenant = ?", [TENANT]).fetchall()
    assert when == datetime.fromisoformat(ordered(1))
