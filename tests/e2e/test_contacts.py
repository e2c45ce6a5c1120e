"""Contacts over HTTP: every route's main path and its errors."""

from __future__ import annotations

import uuid
from concurrent.futures import ThreadPoolExecutor

from tests.e2e.conftest import Staff, problem

ADA = {"first_name": "Ada", "last_name": "Lovelace", "email": "Ada@Example.com", "phone": "+44 20 7946 0958"}


def test_create_normalizes_and_read_returns_it(staff: Staff) -> None:
    sales = staff("sales")
    created = sales.post("/contacts", json={**ADA, "emails": ["ada@work.example"], "tags": ["vip"]})
    assert created.status_code == 201, created.text
    contact = created.json()
    assert (contact["email"], contact["phone"]) == ("ada@example.com", "+442079460958")
    assert created.headers["Location"] == f"/contacts/{contact['id']}"
    read = sales.get(created.headers["Location"])
    assert (read.status_code, read.json(), read.headers["ETag"]) == (200, contact, '"1"')


def test_a_contact_needs_a_name_and_valid_fields(staff: Staff) -> None:
    sales = staff("sales")
    assert problem(sales.post("/contacts", json={"email": "x@example.com"}), 422)
    body = problem(sales.post("/contacts", json={"last_name": "X", "email": "nope", "phone": "123"}), 422)
    assert {error["field"] for error in body["errors"]} == {"email", "phone"}
    assert problem(sales.post("/contacts", json={"last_name": "X", "account_id": "01J00000000000000000000000"}), 422)
    assert problem(sales.post("/contacts", data=b"", headers={"Content-Type": "application/json"}), 422)


def test_emails_and_phones_are_unique_per_tenant(staff: Staff) -> None:
    sales = staff("sales")
    ada = sales.create("contacts", **ADA)
    duplicate_email = problem(sales.post("/contacts", json={"last_name": "B", "emails": ["ADA@example.com"]}), 409)
    assert duplicate_email["existing"] == {"type": "contact", "id": ada["id"]}
    assert problem(sales.post("/contacts", json={"last_name": "B", "phone": "0044 20 7946 0958"}), 409)
    other_tenant = staff("sales", tenant=f"other-{uuid.uuid4().hex[:8]}")
    assert other_tenant.post("/contacts", json=ADA).status_code == 201


def test_find_by_email_phone_account_and_name(staff: Staff) -> None:
    sales = staff("sales")
    account = sales.create("accounts", name="Analytical Engines")
    ada = sales.create("contacts", **ADA, account_id=account["id"])
    sales.create("contacts", first_name="Charles", last_name="Babbage", account_id=account["id"])
    sales.create("contacts", first_name="Alan", last_name="Turing")

    def names(**params: str) -> list[str]:
        response = sales.get("/contacts", params=params)
        assert response.status_code == 200, response.text
        return [item["last_name"] for item in response.json()["items"]]

    assert names(email="ADA@example.com") == ["Lovelace"]
    assert names(phone="+442079460958") == ["Lovelace"]
    assert names(account_id=account["id"]) == ["Lovelace", "Babbage"]
    assert names(q="a") == ["Lovelace", "Turing"]
    assert names() == ["Lovelace", "Turing", "Babbage"]
    assert names(email="nobody@example.com") == []
    assert problem(sales.get("/contacts", params={"email": "not-an-email"}), 400)
    assert ada["account_id"] == account["id"]


def test_update_with_if_match_moves_unique_values(staff: Staff) -> None:
    sales = staff("sales")
    ada = sales.create("contacts", **ADA)
    path = f"/contacts/{ada['id']}"
    updated = sales.patch(
        path, json={"email": "countess@example.com", "job_title": "Analyst"}, headers={"If-Match": '"1"'}
    )
    assert updated.status_code == 200, updated.text
    assert updated.headers["ETag"] == '"2"'
    assert sales.post("/contacts", json={"last_name": "B", "email": "ada@example.com"}).status_code == 201
    assert problem(sales.patch(path, json={"job_title": "Poet"}, headers={"If-Match": '"1"'}), 412)
    assert problem(sales.patch(path, json={"job_title": "Poet"}), 428)
    taken = sales.patch(path, json={"email": "ada@example.com"}, headers={"If-Match": '"2"'})
    assert problem(taken, 409)["errors"][0]["field"] == "email"
    assert problem(sales.patch(path, json={"phones": ["+442079460958"]}, headers={"If-Match": '"2"'}), 422)


def test_delete_restore_and_erase(staff: Staff) -> None:
    sales, manager, admin = staff("sales"), staff("manager"), staff("admin")
    ada = sales.create("contacts", **ADA)
    path = f"/contacts/{ada['id']}"
    assert problem(sales.delete(path, headers={"If-Match": '"7"'}), 412)
    assert sales.delete(path, headers={"If-Match": '"1"'}).status_code == 204
    assert sales.get("/contacts", params={"email": "ada@example.com"}).json()["items"] == []
    assert [c["id"] for c in sales.get("/contacts", params={"deleted": "true"}).json()["items"]] == [ada["id"]]
    assert problem(sales.post("/contacts", json=ADA), 409)  # a trashed contact keeps its email
    assert problem(staff("support").post(f"{path}/restore"), 403)
    assert manager.post(f"{path}/restore").status_code == 200
    assert problem(manager.delete(path, params={"permanent": "true"}), 403)
    assert admin.delete(path, params={"permanent": "true"}).status_code == 204
    assert problem(admin.get(path), 404)
    assert sales.post("/contacts", json=ADA).status_code == 201  # erased: its email is free


def test_another_tenants_contact_is_a_404(staff: Staff) -> None:
    ada = staff("sales").create("contacts", **ADA)
    outsider = staff("admin", tenant=f"other-{uuid.uuid4().hex[:8]}")
    assert problem(outsider.get(f"/contacts/{ada['id']}"), 404)
    assert problem(outsider.post(f"/contacts/{ada['id']}/restore"), 404)
    assert outsider.get("/contacts", params={"email": "ada@example.com"}).json()["items"] == []


def test_concurrent_creates_of_one_email_make_one_contact(staff: Staff) -> None:
    sales = staff("sales")

    def create(index: int) -> int:
        return sales.post("/contacts", json={"last_name": f"Racer {index}", "email": "race@example.com"}).status_code

    with ThreadPoolExecutor(max_workers=6) as pool:
        statuses = sorted(pool.map(create, range(6)))
    assert statuses == [201, 409, 409, 409, 409, 409]
    assert len(sales.get("/contacts", params={"email": "race@example.com"}).json()["items"]) == 1
