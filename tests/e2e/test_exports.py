"""Exports over HTTP on the local runtime: a manager asks for a filtered export, the writer the bus starts writes
it, and the link downloads the CSV as a spreadsheet would open it; a bad request is named; a sales rep may not."""

from __future__ import annotations

import csv
import io
import time
from typing import Any

import requests

from tests.e2e.conftest import Client, Staff, problem


def _when_ended(client: Client, export_id: str) -> dict[str, Any]:
    for _ in range(120):
        export: dict[str, Any] = client.get(f"/exports/{export_id}").json()
        if export["status"] not in ("queued", "running"):
            return export
        time.sleep(0.5)
    raise AssertionError(f"export {export_id} never ended")


def test_a_manager_exports_the_tagged_contacts_and_downloads_the_file(staff: Staff) -> None:
    manager = staff("manager")
    kept = manager.create("contacts", first_name="Ellen", last_name="Ripley", email="ripley@example.com", tags=["crew"])
    manager.create("contacts", last_name="Burke", tags=["company"])
    asked = manager.post("/exports", json={"entity": "contacts", "filter": {"tag": "crew"}, "columns": ["id", "email"]})
    assert asked.status_code == 201, asked.text
    export = _when_ended(manager, asked.json()["id"])
    assert (export["status"], export["rows"]) == ("completed", 1), export
    downloaded = requests.get(export["download_url"], timeout=30)
    assert downloaded.status_code == 200, downloaded.text
    assert export["filename"] in downloaded.headers["Content-Disposition"]
    rows = list(csv.DictReader(io.StringIO(downloaded.content.decode("utf-8-sig"))))
    assert rows == [{"id": kept["id"], "email": "ripley@example.com"}]
    listed = manager.get("/exports").json()["items"]
    assert [each["id"] for each in listed][:1] == [export["id"]]


def test_a_bad_export_is_named_and_a_sales_rep_may_not_export(staff: Staff) -> None:
    bad = staff("manager").post("/exports", json={"entity": "contacts", "filter": {"colour": "red"}})
    assert problem(bad, 422)["errors"][0]["field"] == "filter.colour"
    assert staff("sales").post("/exports", json={"entity": "contacts"}).status_code == 403


def test_a_person_asks_what_is_kept_about_them_and_gets_one_json_file(staff: Staff) -> None:
    manager = staff("manager")
    person = manager.create("contacts", first_name="Ellen", last_name="Ripley", tags=["crew"])
    manager.create("cases", subject="The cat is missing", contact_id=person["id"])
    asked = manager.post(f"/contacts/{person['id']}/privacy-export")
    assert asked.status_code == 201, asked.text
    assert asked.headers["Location"].endswith(f"/exports/{asked.json()['id']}")
    export = _when_ended(manager, asked.json()["id"])
    assert export["status"] == "completed", export
    downloaded = requests.get(export["download_url"], timeout=30)
    assert downloaded.status_code == 200 and downloaded.headers["Content-Type"] == "application/json"
    bundle = downloaded.json()
    assert bundle["contact"][0]["id"] == person["id"]
    assert [case["subject"] for case in bundle["cases"]] == ["The cat is missing"]
