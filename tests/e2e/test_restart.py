"""`rapport local` keeps its data across restarts: records, versions, indexes, uniqueness, idempotency keys,
cursors and tokens; it seeds the demo tenant into an empty data folder only."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from tests.e2e.conftest import Client, LocalRuntime, local_tokens, problem


@pytest.fixture
def runtime(cdk_out: Path, tmp_path: Path) -> LocalRuntime:
    if os.environ.get("RAPPORT_API_URL"):
        pytest.skip("restarts the local runtime")
    return LocalRuntime(cdk_out, tmp_path / "data", seed=True)


def _demo_accounts(runtime: LocalRuntime) -> int:
    admin = Client(runtime.url, local_tokens(runtime.data_dir)("demo", "ada", "admin"))
    return len(admin.get("/accounts", params={"limit": 100}).json()["items"])


def test_a_restart_keeps_the_data(runtime: LocalRuntime) -> None:
    runtime.start()
    try:
        seeded = _demo_accounts(runtime)
        token = local_tokens(runtime.data_dir)("acme", "ada", "sales")
        sales = Client(runtime.url, token)
        account = sales.create("accounts", name="Acme", domain="acme.example")
        for index in range(3):
            sales.create("contacts", last_name=f"Contact {index}", email=f"c{index}@acme.example")
        updated = sales.patch(f"/accounts/{account['id']}", json={"industry": "Retail"}, headers={"If-Match": '"1"'})
        assert updated.status_code == 200
        first_page = sales.get("/contacts", params={"limit": 2}).json()
        once = sales.post("/accounts", json={"name": "Once"}, headers={"Idempotency-Key": "restart-key"}).json()
    finally:
        assert runtime.stop() == 0, runtime.output()
    assert "stopped; data saved" in runtime.output()

    runtime.start()
    try:
        assert seeded >= 6
        assert _demo_accounts(runtime) == seeded  # not seeded twice
        sales = Client(runtime.url, token)  # the token is still good
        read = sales.get(f"/accounts/{account['id']}")
        assert (read.json()["industry"], read.headers["ETag"]) == ("Retail", '"2"')
        rest = sales.get("/contacts", params={"limit": 2, "cursor": first_page["next_cursor"]})
        assert [item["last_name"] for item in rest.json()["items"]] == ["Contact 2"]
        assert [item["id"] for item in sales.get("/accounts", params={"domain": "acme.example"}).json()["items"]] == [
            account["id"]
        ]
        assert problem(sales.post("/contacts", json={"last_name": "X", "email": "c0@acme.example"}), 409)
        replay = sales.post("/accounts", json={"name": "Once"}, headers={"Idempotency-Key": "restart-key"})
        assert (replay.json()["id"], replay.headers["Idempotency-Replayed"]) == (once["id"], "true")
    finally:
        assert runtime.stop() == 0, runtime.output()
