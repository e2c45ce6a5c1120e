"""The analytics exports on the local runtime: the hourly export (fired with `rapport schedule run`) writes each
tenant's Parquet to the local S3, `rapport analytics kpi` and `rapport analytics query` answer with the committed
SQL over it, the seeds' deserting customer among the top customers; personal fields follow the tenant's setting."""

from __future__ import annotations

import json
import subprocess
import sys
import time
from datetime import UTC, datetime
from pathlib import Path

from tests.e2e.conftest import STACK, LocalRuntime, Staff

RAPPORT = str(Path(sys.executable).with_name("rapport"))


def _month(back: int) -> str:
    now = datetime.now(UTC)
    index = now.year * 12 + now.month - 1 - back
    return datetime(index // 12, index % 12 + 1, 10, tzinfo=UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _rapport(runtime: LocalRuntime, *arguments: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(  # noqa: S603 - the CLI under test
        [RAPPORT, *arguments, "--data-dir", str(runtime.data_dir)],
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )


def _export_now(runtime: LocalRuntime) -> None:
    template = json.loads((runtime.cdk_out / f"{STACK}.template.json").read_text())
    [rule] = [
        logical_id
        for logical_id, resource in template["Resources"].items()
        if logical_id.startswith("AnalyticsHourlyExport") and resource["Type"] == "AWS::Events::Rule"
    ]
    ran = _rapport(runtime, "schedule", "run", rule)
    assert ran.returncode == 0, ran.stderr


def _query(runtime: LocalRuntime, sql: str) -> str:
    ran = _rapport(runtime, "analytics", "query", sql)
    assert ran.returncode == 0, ran.stderr
    return ran.stdout


def test_the_top_customers_and_the_deserting_one_answered_with_sql(
    staff: Staff, tenant: str, local_runtime: LocalRuntime
) -> None:
    manager = staff("manager")
    manager.create("products", sku="KIT-100", name="Equipment", unit_price="100.00")
    deserting = manager.create("accounts", name="Deserting")
    steady = manager.create("accounts", name="Steady")
    manager.create("contacts", first_name="Ann", last_name="Ripley", email="ann@example.com", account_id=steady["id"])
    kits = {
        deserting["id"]: {back: 10 if back > 3 else 5 for back in range(15, 0, -1)},  # 1,000 a month, then 500
        steady["id"]: {back: 20 for back in range(15, 0, -1)},
    }
    orders = [
        {"number": f"{account_id[-6:]}-{back}", "account_id": account_id, "status": "paid", "ordered_at": _month(back)}
        | {"lines": [{"sku": "KIT-100", "quantity": quantity}]}
        for account_id, months in kits.items()
        for back, quantity in months.items()
    ]
    assert manager.post("/orders/batch", json={"orders": orders}).status_code == 200
    counted = f"SELECT count(*) AS orders FROM orders WHERE tenant = '{tenant}'"  # noqa: S608 - the test's tenant
    for _ in range(20):  # the follow-ups worker registers the tenant from its first order's event, a moment later
        _export_now(local_runtime)
        if "30" in _query(local_runtime, counted).splitlines()[-1]:
            break
        time.sleep(0.5)
    assert _query(local_runtime, counted).splitlines()[-1].strip() == "30"

    top = _rapport(local_runtime, "analytics", "kpi", "top_customers_by_revenue", "--tenant", tenant)
    assert top.returncode == 0, top.stderr
    rows = [line.split() for line in top.stdout.splitlines()[2:]]
    assert [(row[0], row[1], row[-1]) for row in rows] == [
        (steady["id"], "24000.00", "False"),
        (deserting["id"], "10500.00", "True"),
    ]

    last_month = _month(1)[:7]
    figures = manager.get("/reports/kpis", params={"period": last_month})
    assert figures.status_code == 200, figures.text
    assert (figures.json()["revenue"], figures.json()["orders"]) == ("2500.00", 2)  # 500 + 2,000
    assert figures.json()["deserting_customers"] == 1
    assert manager.get("/reports/kpis", params={"period": "2026-13"}).status_code == 400

    emails = f"SELECT count(email) AS emails, max(length(email)) AS size FROM contacts WHERE tenant = '{tenant}'"  # noqa: S608
    assert _query(local_runtime, emails).splitlines()[-1].split() == ["1", "64"]  # a keyed SHA-256, not the address
    settings = manager.get("/analytics-settings")
    dropped = manager.put(
        "/analytics-settings",
        json={**{k: v for k, v in settings.json().items() if k not in {"version", "updated_at", "updated_by"}}}
        | {"personal_fields": "drop"},
        headers={"If-Match": settings.headers["ETag"]},
    )
    assert dropped.status_code == 200, dropped.text
    _export_now(local_runtime)
    assert _query(local_runtime, emails).splitlines()[-1].split() == ["0"]


def test_bad_sql_is_a_clear_error_not_a_trace(local_runtime: LocalRuntime) -> None:
    ran = _rapport(local_runtime, "analytics", "query", "SELECT nothing FROM nowhere")
    assert ran.returncode == 1
    assert ran.stderr.startswith("rapport analytics:") and "Traceback" not in ran.stderr
