"""Field history over HTTP on the running stack: PATCHes of a contact, then trash and restore, kept by the worker
from the bus (stream, publisher, rule) and read newest first, nested fields by JSON pointer."""

from __future__ import annotations

from typing import Any

from tests.e2e.conftest import Staff, problem
from tests.e2e.test_assignment import eventually


def _history(client: Any, path: str, count: int) -> list[dict[str, Any]]:
    def read() -> list[dict[str, Any]] | None:
        items: list[dict[str, Any]] = client.get(f"{path}/history").json()["items"]
        return items if len(items) == count else None

    found: list[dict[str, Any]] = eventually(read)
    return found


def test_patches_trash_and_restore_show_newest_first(staff: Staff) -> None:
    sales, admin = staff("sales"), staff("admin")
    created = sales.post("/contacts", json={"last_name": "Lovelace", "address": {"city": "London", "country": "GB"}})
    assert created.status_code == 201, created.text
    path = f"/contacts/{created.json()['id']}"
    moved = sales.patch(path, json={"address": {"city": "Paris"}, "job_title": "CTO"}, headers={"If-Match": '"1"'})
    assert moved.status_code == 200, moved.text
    assert sales.patch(path, json={"job_title": None}, headers={"If-Match": '"2"'}).status_code == 200
    assert admin.delete(path).status_code == 204
    assert admin.post(f"{path}/restore").status_code == 200

    restored, trashed, cleared, changed, first = _history(sales, path, 5)
    assert [entry["action"] for entry in (restored, trashed, cleared, changed, first)] == [
        "restored",
        "deleted",
        "updated",
        "updated",
        "created",
    ]
    assert {c["field"]: (c["before"], c["after"]) for c in changed["changes"]} == {
        "/address/city": ("London", "Paris"),
        "/job_title": (None, "CTO"),
    }
    assert cleared["changes"] == [{"field": "/job_title", "before": "CTO", "after": None}]
    assert trashed["actor"] == "admin-user" and changed["actor"] == "sales-user"
    page = sales.get(f"{path}/history", params={"limit": 2}).json()
    assert [entry["version"] for entry in page["items"]] == [5, 4] and page["next_cursor"]
    problem(staff("admin", tenant="someone-else").get(f"{path}/history"), 404)
    problem(sales.get(f"{path}/history", params={"limit": 0}), 400)


def test_an_erased_record_s_history_goes_with_it(staff: Staff) -> None:
    admin = staff("admin")
    created = admin.post("/accounts", json={"name": "Acme"})
    assert created.status_code == 201, created.text
    path = f"/accounts/{created.json()['id']}"
    _history(admin, path, 1)
    assert admin.delete(path, params={"permanent": "true"}).status_code == 204
    eventually(lambda: admin.get(f"{path}/history").status_code == 404)  # once the worker has the erasure
