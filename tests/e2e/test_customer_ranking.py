"""The seeds' deserting customer over HTTP on the local runtime: a back office sends 16 months of orders, the value
worker counts them, the daily ranking (fired with `rapport schedule run`) catches the drop, and the customer report
and the account's value show it; the analytics settings change what counts as deserting."""

from __future__ import annotations

import json
import subprocess
import sys
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from tests.e2e.conftest import STACK, Client, LocalRuntime, Staff, problem

RAPPORT = str(Path(sys.executable).with_name("rapport"))


def _month(back: int) -> str:
    now = datetime.now(UTC)
    index = now.year * 12 + now.month - 1 - back
    return datetime(index // 12, index % 12 + 1, 1, tzinfo=UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _orders(account_id: str, prefix: str, kits: dict[int, int]) -> dict[str, Any]:
    lines = [{"sku": "KIT-100", "quantity": quantity} for quantity in kits.values()]
    return {
        "orders": [
            {"number": f"{prefix}-{back}", "account_id": account_id, "status": "paid", "ordered_at": _month(back)}
            | {"lines": [line]}
            for back, line in zip(kits, lines, strict=True)
        ]
    }


def _lifetime_of(client: Client, path: str, expected: str) -> None:
    """Waits for the value worker: the lifetime revenue `path` (a customer's value) answers reaches `expected`."""
    for _ in range(60):
        if client.get(path).json()["value"]["revenue_lifetime"] == expected:
            return
        time.sleep(0.5)
    raise AssertionError(f"{path} never reached {expected}")


def _rank_now(runtime: LocalRuntime) -> None:
    template = json.loads((runtime.cdk_out / f"{STACK}.template.json").read_text())
    [rule] = [
        logical_id
        for logical_id, resource in template["Resources"].items()
        if logical_id.startswith("CustomerValueDailyRanking") and resource["Type"] == "AWS::Events::Rule"
    ]
    ran = subprocess.run(  # noqa: S603 - the CLI under test
        [RAPPORT, "schedule", "run", rule, "--data-dir", str(runtime.data_dir)],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert ran.returncode == 0, ran.stderr


def test_the_seeds_deserting_customer_is_caught_and_reported(staff: Staff, local_runtime: LocalRuntime) -> None:
    manager, sales = staff("manager"), staff("sales")
    manager.create("products", sku="KIT-100", name="Equipment", unit_price="100.00")
    deserting = manager.create("accounts", name="Deserting")
    steady = manager.create("accounts", name="Steady")
    seeds = {back: 10 if back > 3 else 5 for back in range(15, -1, -1)}  # 12 months at 1,000, then 4 at 500
    assert manager.post("/orders/batch", json=_orders(deserting["id"], "D", seeds)).status_code == 200
    every_month = {back: 40 for back in range(15, -1, -1)}
    assert manager.post("/orders/batch", json=_orders(steady["id"], "S", every_month)).status_code == 200
    _lifetime_of(manager, f"/accounts/{deserting['id']}/value", "14000.00")
    _lifetime_of(manager, f"/accounts/{steady['id']}/value", "64000.00")
    assert sales.get("/reports/customers").json()["items"] == []  # not ranked yet

    for _ in range(20):  # the follow-ups worker registers the tenant from its first order's event, a moment later
        _rank_now(local_runtime)
        if sales.get("/reports/customers").json()["items"]:
            break
        time.sleep(0.5)
    by_risk = sales.get("/reports/customers", params={"sort": "churn_risk"}).json()["items"]
    assert [(item["id"], item["churn"]["status"]) for item in by_risk] == [
        (deserting["id"], "deserting"),
        (steady["id"], "active"),
    ]
    churn = by_risk[0]["churn"]
    assert (churn["baseline"], churn["recent"]) == ("1000.00", "500.00")
    assert "1000.00" in churn["reasons"][0]["detail"] and "500.00" in churn["reasons"][0]["detail"]
    by_value = sales.get("/reports/customers", params={"level": "account", "tier": "A"}).json()["items"]
    assert [item["id"] for item in by_value] == [steady["id"]]
    standing = sales.get(f"/accounts/{deserting['id']}/value").json()["standing"]
    assert (standing["rank"], standing["tier"], standing["churn"]["status"]) == (2, "B", "deserting")

    # staff say the deserting account could buy 25,000 a year: 15,000 more than its 12 months' 10,000
    path = f"/accounts/{deserting['id']}"
    refused = problem(manager.patch(path, json={"potential": "-1"}, headers={"If-Match": '"1"'}), 422)
    assert [error["field"] for error in refused["errors"]] == ["potential"]
    assert manager.patch(path, json={"potential": "25000.00"}, headers={"If-Match": '"1"'}).status_code == 200
    _rank_now(local_runtime)
    [first, *_] = sales.get("/reports/customers", params={"sort": "potential_gap"}).json()["items"]
    assert (first["id"], first["potential_gap"], first["potential_source"]) == (deserting["id"], "15000.00", "staff")
    segment = first["rfm"]["segment"]
    of_segment = sales.get("/reports/customers", params={"sort": "potential_gap", "segment": segment, "tier": "B"})
    assert [item["id"] for item in of_segment.json()["items"]] == [deserting["id"]]

    lenient = {"churn_drop_percent": 60, "churn_min_baseline": "100.00", "lost_after_days": 180}
    problem(sales.put("/analytics-settings", json=lenient, headers={"If-Match": '"0"'}), 403)
    saved = manager.put("/analytics-settings", json=lenient, headers={"If-Match": '"0"'})
    assert saved.status_code == 200, saved.text
    _rank_now(local_runtime)
    statuses = {item["id"]: item["churn"]["status"] for item in sales.get("/reports/customers").json()["items"]}
    assert statuses == {deserting["id"]: "active", steady["id"]: "active"}


def test_the_errors_a_client_makes_with_the_customer_report(staff: Staff) -> None:
    sales = staff("sales")
    for wrong in ({"sort": "potential"}, {"tier": "D"}, {"level": "lead"}, {"segment": "champion"}):
        [field] = wrong
        assert problem(sales.get("/reports/customers", params=wrong), 400)["errors"][0]["field"] == field
    problem(sales.get("/reports/customers", params={"cursor": "not-a-cursor"}), 400)
    bad = problem(
        staff("manager").put("/analytics-settings", json={"churn_drop_percent": 0}, headers={"If-Match": '"0"'}), 422
    )
    assert bad["errors"][0]["field"] == "churn_drop_percent"
