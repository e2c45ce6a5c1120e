"""The seeds' deserting customer acted on, over HTTP on the local runtime: 12 months at 1,000 then 4 at 500, the
daily ranking (fired with `rapport schedule run`) finds the contact deserting, the retention state machine gives its
owner a task citing the figures and emails the offer with its coupon code (read from moto's SES); after the wait
(the tenant's setting, 0 days here) it has not bought again, so its owner's manager is told and given the task."""

from __future__ import annotations

import time
import uuid
from typing import Any

import requests

from tests.e2e.conftest import LocalRuntime, Staff, problem
from tests.e2e.test_customer_ranking import _lifetime_of, _month, _rank_now

AT = "2026-01-05T10:00:00Z"


def _sent(runtime: LocalRuntime) -> list[dict[str, Any]]:
    """The emails sent, as `rapport mail outbox` lists them."""
    emails: list[dict[str, Any]] = requests.get(f"{runtime.url}/_local/outbox", timeout=30).json()["emails"]
    return emails


def test_the_seeds_deserting_customer_gets_a_task_an_offer_and_then_the_managers_attention(
    staff: Staff, local_runtime: LocalRuntime
) -> None:
    admin, manager, sales = staff("admin"), staff("manager"), staff("sales")
    unique = uuid.uuid4().hex[:8]
    customer_email, boss_email = f"rachael-{unique}@tyrell.example", f"boss-{unique}@tyrell.example"
    rep = {"name": "Rita", "email": f"rep-{unique}@tyrell.example", "manager_id": "boss"}
    assert admin.put("/users/rep-1", json=rep).status_code == 201
    assert admin.put("/users/boss", json={"name": "Eldon", "email": boss_email}).status_code == 201
    marketing = {"topics": ["offers"], "postal_address": "1 Main St, Springfield"}
    assert manager.put("/marketing-settings", json=marketing, headers={"If-Match": '"0"'}).status_code == 200
    bad = manager.put("/analytics-settings", json={"retention_wait_days": 400}, headers={"If-Match": '"0"'})
    assert problem(bad, 422)["errors"][0]["field"] == "retention_wait_days"
    saved = manager.put("/analytics-settings", json={"retention_wait_days": 0}, headers={"If-Match": '"0"'})
    assert saved.status_code == 200 and saved.json()["retention_wait_days"] == 0, saved.text

    consent = {
        "email": {"status": "opted_in", "at": AT, "source": "web_form"},
        "topics": {"email": {"offers": {"status": "opted_in", "at": AT, "source": "web_form"}}},
    }
    contact = manager.create(
        "contacts", first_name="Rachael", last_name="Tyrell", email=customer_email, owner_id="rep-1", consent=consent
    )
    manager.create("products", sku="KIT-100", name="Equipment", unit_price="100.00")
    seeds = {back: 10 if back > 3 else 5 for back in range(15, -1, -1)}  # 12 months at 1,000, then 4 at 500
    orders = [
        {"number": f"R-{back}", "contact_id": contact["id"], "status": "paid", "ordered_at": _month(back)}
        | {"lines": [{"sku": "KIT-100", "quantity": kits}]}
        for back, kits in seeds.items()
    ]
    assert manager.post("/orders/batch", json={"orders": orders}).status_code == 200
    _lifetime_of(manager, f"/contacts/{contact['id']}/value", "14000.00")

    retention: dict[str, Any] | None = None
    for _ in range(60):  # the tenant registers from its first order's event; then the workflow runs its steps
        if retention is None or retention["status"] == "open":
            _rank_now(local_runtime)
        retention = sales.get(f"/contacts/{contact['id']}/value").json()["retention"]
        if retention is not None and retention["status"] == "escalated":
            break
        time.sleep(1)
    assert retention is not None and retention["status"] == "escalated", retention
    standing = sales.get(f"/contacts/{contact['id']}/value").json()["standing"]
    assert standing["churn"]["status"] == "deserting" and retention["since"] == standing["churn"]["since"]
    assert (retention["owner_id"], retention["escalated_to"], retention["offer_contact_id"]) == (
        "rep-1",
        "boss",
        contact["id"],
    )
    assert sales.get(f"/contacts/{contact['id']}/360").json()["retention"] == retention

    task = sales.get(f"/tasks/{retention['task_id']}").json()
    assert (task["assignee_id"], task["status"], task["contact_id"]) == ("boss", "open", contact["id"])
    assert "1000.00" in task["description"] and "500.00" in task["description"]
    assert retention["coupon_code"] in task["description"] and "to their manager boss" in task["description"]

    def offers_and_notices() -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
        sent = _sent(local_runtime)
        offers = [email for email in sent if any(customer_email in to for to in email["to"])]
        notices = [email for email in sent if email["to"] == [boss_email]]
        return offers, notices

    deadline = time.monotonic() + 30
    offers, notices = offers_and_notices()
    while (not offers or not notices) and time.monotonic() < deadline:
        time.sleep(1)
        offers, notices = offers_and_notices()
    [offer] = offers
    assert retention["coupon_code"] in offer["body"] and offer["headers"]["List-Unsubscribe"]
    [notice] = notices
    assert "Deserting customer not won back: Rachael Tyrell" in notice["subject"]

    _rank_now(local_runtime)  # detection fires again: the episode runs once
    time.sleep(2)
    assert sales.get(f"/contacts/{contact['id']}/value").json()["retention"] == retention
    assert len(offers_and_notices()[0]) == 1
