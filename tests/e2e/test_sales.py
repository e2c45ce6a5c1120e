"""Pipelines, deals, currency rates, the forecast and sales performance over HTTP: main paths and errors."""

from __future__ import annotations

import uuid
from typing import Any

from tests.e2e.conftest import Client, Staff, one_team, problem, sample

UNKNOWN = "01JD5Y7M7ZV1W4T5C9H2K3N4P6"


def _pipeline(manager: Client) -> dict[str, Any]:
    return manager.create("pipelines", **sample("createPipeline"))


def test_managers_set_up_pipelines_and_everyone_reads_them(staff: Staff) -> None:
    manager, sales = staff("manager"), staff("sales")
    created = manager.post("/pipelines", json=sample("createPipeline"))
    assert created.status_code == 201, created.text
    pipeline = created.json()
    assert [stage["name"] for stage in pipeline["stages"]][:2] == ["Qualified", "Demo"]
    assert created.headers["Location"] == f"/pipelines/{pipeline['id']}"
    assert sales.get(f"/pipelines/{pipeline['id']}").json() == pipeline
    assert [item["id"] for item in sales.get("/pipelines").json()["items"]] == [pipeline["id"]]
    path = f"/pipelines/{pipeline['id']}"
    updated = manager.patch(path, json={"rotting_days": 21}, headers={"If-Match": created.headers["ETag"]})
    assert (updated.status_code, updated.json()["rotting_days"]) == (200, 21), updated.text
    assert problem(manager.patch(path, json={"rotting_days": 7}, headers={"If-Match": created.headers["ETag"]}), 412)
    assert problem(sales.post("/pipelines", json=sample("createPipeline")), 403)
    assert problem(manager.post("/pipelines", json={"name": "No stages", "stages": []}), 422)
    assert problem(staff("admin", tenant=f"other-{uuid.uuid4().hex[:8]}").get(path), 404)


def test_a_deal_moves_through_its_pipeline_and_keeps_its_history(staff: Staff) -> None:
    sales, manager = staff("sales"), staff("manager")
    pipeline = _pipeline(manager)
    created = sales.post("/deals", json=sample("createDeal", pipeline_id=pipeline["id"], owner_id="sales-user"))
    assert created.status_code == 201, created.text
    deal = created.json()
    assert (deal["stage"], deal["status"], deal["amount"]) == ("Qualified", "open", "48000.00")
    path = f"/deals/{deal['id']}"
    moved = sales.patch(path, json=sample("updateDeal"), headers={"If-Match": '"1"'})
    assert moved.status_code == 200, moved.text
    assert (moved.json()["stage"], moved.json()["amount"]) == ("Proposal", "52000.00")
    assert problem(sales.patch(path, json={"stage": "Demo"}, headers={"If-Match": '"1"'}), 412)
    history = sales.get(f"{path}/stage-history")
    assert history.status_code == 200, history.text
    assert "Proposal" in history.text
    assert [item["id"] for item in sales.get("/deals", params={"status": "open"}).json()["items"]] == [deal["id"]]
    assert sales.get(f"{path}/timeline").status_code == 200
    assert sales.delete(path).status_code == 204
    assert problem(sales.post(f"{path}/restore"), 403)
    one_team(staff, "sales-user", "manager-user")
    assert manager.post(f"{path}/restore").status_code == 200


def test_invalid_deals_are_422_naming_the_field(staff: Staff) -> None:
    sales = staff("sales")
    pipeline = _pipeline(staff("manager"))
    for changes, field in (({"pipeline_id": UNKNOWN}, "pipeline_id"), ({"amount": "lots"}, "amount")):
        body = problem(sales.post("/deals", json={**sample("createDeal", pipeline_id=pipeline["id"]), **changes}), 422)
        assert body["errors"][0]["field"] == field


def test_only_admins_set_currency_rates_with_if_match(staff: Staff) -> None:
    admin, manager = staff("admin"), staff("manager")
    table = admin.get("/currency-rates")
    assert (table.status_code, table.json()["rates"], table.headers["ETag"]) == (200, {}, '"0"')
    assert problem(manager.put("/currency-rates", json=sample("putCurrencyRates")), 403)
    stored = admin.put("/currency-rates", json=sample("putCurrencyRates"), headers={"If-Match": '"0"'})
    assert (stored.status_code, stored.headers["ETag"]) == (200, '"1"'), stored.text
    assert problem(admin.put("/currency-rates", json=sample("putCurrencyRates"), headers={"If-Match": '"0"'}), 412)
    assert problem(admin.put("/currency-rates", json={"currency": "EURO", "rates": {}}), 422)


def test_the_forecast_and_sales_performance_of_a_period(staff: Staff) -> None:
    sales, manager = staff("sales"), staff("manager")
    pipeline = _pipeline(manager)
    sales.create("deals", **sample("createDeal", pipeline_id=pipeline["id"], owner_id="sales-user"))
    forecast = manager.get("/forecast", params={"period": "2026-Q4"})
    assert forecast.status_code == 200, forecast.text
    assert forecast.json()["totals"]["open_deals"] == 1
    assert sales.get("/forecast", params={"period": "2026-12"}).status_code == 200
    assert problem(manager.get("/forecast", params={"period": "2026-Q5"}), 400)
    assert problem(staff("support").get("/forecast", params={"period": "2026-Q4"}), 403)
    performance = manager.get("/reports/sales-performance", params={"period": "2026-Q4"})
    assert performance.status_code == 200, performance.text
    assert problem(manager.get("/reports/sales-performance", params={"period": "soon"}), 400)
