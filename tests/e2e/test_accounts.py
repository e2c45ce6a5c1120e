"""Accounts over HTTP: every route's main path and its errors."""

from __future__ import annotations

import uuid

from tests.e2e.conftest import Staff, problem

ACME = {"name": "Acme Corporation", "domain": "https://www.Acme.example/", "industry": "Manufacturing"}


def test_create_answers_201_with_location_and_etag_and_read_returns_it(staff: Staff) -> None:
    sales = staff("sales")
    created = sales.post("/accounts", json=ACME)
    assert created.status_code == 201, created.text
    account = created.json()
    assert account["domain"] == "acme.example"
    assert account["created_by"] == account["updated_by"] == "sales-user"
    assert account["version"] == 1
    assert created.headers["Location"] == f"/accounts/{account['id']}"
    assert created.headers["ETag"] == '"1"'
    read = sales.get(created.headers["Location"])
    assert read.status_code == 200
    assert read.json() == account
    assert read.headers["ETag"] == '"1"'


def test_a_retried_create_with_an_idempotency_key_replays_the_first_response(staff: Staff) -> None:
    sales = staff("sales")
    key = {"Idempotency-Key": str(uuid.uuid4())}
    first = sales.post("/accounts", json=ACME, headers=key)
    retry = sales.post("/accounts", json=ACME, headers=key)
    assert (first.status_code, retry.status_code) == (201, 201)
    assert retry.json()["id"] == first.json()["id"]
    assert retry.headers["Idempotency-Replayed"] == "true"
    reused = problem(sales.post("/accounts", json={**ACME, "name": "Other"}, headers=key), 422)
    assert reused["errors"][0]["field"] == "idempotency-key"
    assert len(sales.get("/accounts").json()["items"]) == 1


def test_an_invalid_body_is_a_422_naming_the_fields(staff: Staff) -> None:
    sales = staff("sales")
    body = problem(sales.post("/accounts", json={"domain": "not a domain", "size": "huge"}), 422)
    assert {error["field"] for error in body["errors"]} >= {"name", "domain", "size"}
    assert problem(sales.post("/accounts", data="{not json", headers={"Content-Type": "application/json"}), 422)
    assert problem(sales.post("/accounts", json={**ACME, "surprise": 1}), 422)


def test_a_duplicate_domain_is_a_409_naming_the_existing_account(staff: Staff) -> None:
    sales = staff("sales")
    first = sales.create("accounts", **ACME)
    body = problem(sales.post("/accounts", json={"name": "Acme again", "domain": "ACME.example"}), 409)
    assert body["existing"] == {"type": "account", "id": first["id"]}


def test_list_pages_by_name_with_signed_cursors(staff: Staff) -> None:
    sales = staff("sales")
    for name in ("Cobalt", "Amber", "Beryl"):
        sales.create("accounts", name=name)
    first = sales.get("/accounts", params={"limit": 2})
    assert first.status_code == 200
    page = first.json()
    assert [item["name"] for item in page["items"]] == ["Amber", "Beryl"]
    rest = sales.get("/accounts", params={"limit": 2, "cursor": page["next_cursor"]}).json()
    assert [item["name"] for item in rest["items"]] == ["Cobalt"]
    assert rest["next_cursor"] is None
    tampered = page["next_cursor"][:-2] + ("AA" if not page["next_cursor"].endswith("AA") else "BB")
    assert problem(sales.get("/accounts", params={"limit": 2, "cursor": tampered}), 400)
    assert problem(sales.get("/accounts", params={"q": "b", "cursor": page["next_cursor"]}), 400)


def test_find_by_name_prefix_and_exact_domain(staff: Staff) -> None:
    sales = staff("sales")
    acme = sales.create("accounts", **ACME)
    sales.create("accounts", name="Acorn Ltd")
    sales.create("accounts", name="Zenith")
    assert [item["name"] for item in sales.get("/accounts", params={"q": "ac"}).json()["items"]] == [
        "Acme Corporation",
        "Acorn Ltd",
    ]
    by_domain = sales.get("/accounts", params={"domain": "www.acme.example"}).json()["items"]
    assert [item["id"] for item in by_domain] == [acme["id"]]
    assert problem(sales.get("/accounts", params={"domain": "not a domain"}), 400)


def test_bad_query_parameters_are_400s(staff: Staff) -> None:
    sales = staff("sales")
    for params in ({"limit": 0}, {"limit": 101}, {"limit": "many"}, {"deleted": "perhaps"}):
        body = problem(sales.get("/accounts", params=params), 400)
        assert body["errors"][0]["in"] == "query"


def test_update_needs_the_current_version(staff: Staff) -> None:
    sales = staff("sales")
    account = sales.create("accounts", **ACME)
    path = f"/accounts/{account['id']}"
    assert problem(sales.patch(path, json={"industry": "Retail"}), 428)
    assert problem(sales.patch(path, json={"industry": "Retail"}, headers={"If-Match": "yesterday"}), 400)
    updated = sales.patch(path, json={"industry": "Retail", "domain": None}, headers={"If-Match": '"1"'})
    assert updated.status_code == 200, updated.text
    assert updated.json()["industry"] == "Retail"
    assert "domain" not in updated.json() or updated.json()["domain"] is None
    assert updated.headers["ETag"] == '"2"'
    assert problem(sales.patch(path, json={"industry": "Mining"}, headers={"If-Match": '"1"'}), 412)
    assert problem(sales.patch(path, json={"name": ""}, headers={"If-Match": '"2"'}), 422)


def test_delete_trashes_and_a_manager_restores(staff: Staff) -> None:
    sales, manager = staff("sales"), staff("manager")
    account = sales.create("accounts", **ACME)
    path = f"/accounts/{account['id']}"
    assert sales.delete(path).status_code == 204
    assert sales.get("/accounts").json()["items"] == []
    assert [item["id"] for item in sales.get("/accounts", params={"deleted": "true"}).json()["items"]] == [
        account["id"]
    ]
    assert sales.get(path).json()["deleted_by"] == "sales-user"
    assert problem(sales.patch(path, json={"name": "x"}, headers={"If-Match": '"2"'}), 409)
    assert problem(sales.post(f"{path}/restore"), 403)
    restored = manager.post(f"{path}/restore", headers={"If-Match": '"2"'})
    assert restored.status_code == 200, restored.text
    assert restored.json()["deleted_at"] is None
    assert problem(manager.post(f"{path}/restore"), 409)


def test_only_an_admin_erases_and_not_while_contacts_remain(staff: Staff) -> None:
    sales, admin = staff("sales"), staff("admin")
    account = sales.create("accounts", **ACME)
    contact = sales.create("contacts", last_name="Road Runner", account_id=account["id"])
    path = f"/accounts/{account['id']}"
    assert problem(staff("manager").delete(path, params={"permanent": "true"}), 403)
    assert problem(admin.delete(path, params={"permanent": "true"}), 409)
    assert admin.delete(f"/contacts/{contact['id']}", params={"permanent": "true"}).status_code == 204
    assert admin.delete(path, params={"permanent": "true"}).status_code == 204
    assert problem(admin.get(path), 404)
    assert sales.create("accounts", **ACME)["domain"] == "acme.example"  # the domain is free again


def test_roles_limit_what_staff_may_do(staff: Staff) -> None:
    account = staff("marketing").create("accounts", name="Campaign Target")
    support = staff("support")
    assert problem(support.post("/accounts", json=ACME), 403)
    assert support.get(f"/accounts/{account['id']}").status_code == 200
    edited = support.patch(f"/accounts/{account['id']}", json={"tags": ["vip"]}, headers={"If-Match": '"1"'})
    assert edited.status_code == 200
    assert problem(support.delete(f"/accounts/{account['id']}"), 403)


def test_another_tenants_account_is_a_404(staff: Staff) -> None:
    account = staff("admin").create("accounts", **ACME)
    outsider = staff("admin", tenant=f"other-{uuid.uuid4().hex[:8]}")
    path = f"/accounts/{account['id']}"
    assert problem(outsider.get(path), 404)
    assert problem(outsider.patch(path, json={"name": "Mine"}, headers={"If-Match": '"1"'}), 404)
    assert problem(outsider.delete(path), 404)
    assert outsider.get("/accounts").json()["items"] == []
    assert outsider.create("accounts", **ACME)["domain"] == "acme.example"  # uniqueness is per tenant


def test_unknown_and_malformed_ids(staff: Staff) -> None:
    sales = staff("sales")
    assert problem(sales.get("/accounts/01J00000000000000000000000"), 404)
    assert problem(sales.get("/accounts/not*an*id"), 400)
    assert problem(sales.get("/accounts/01J00000000000000000000000/contacts"), 404)


def test_an_accounts_contacts_by_name(staff: Staff) -> None:
    sales = staff("sales")
    account = sales.create("accounts", **ACME)
    for last_name in ("Coyote", "Bunny"):
        sales.create("contacts", first_name="W", last_name=last_name, account_id=account["id"])
    sales.create("contacts", last_name="Elsewhere")
    listed = sales.get(f"/accounts/{account['id']}/contacts", params={"limit": 1})
    assert listed.status_code == 200
    page = listed.json()
    assert [item["last_name"] for item in page["items"]] == ["Bunny"]
    rest = sales.get(f"/accounts/{account['id']}/contacts", params={"cursor": page["next_cursor"]}).json()
    assert [item["last_name"] for item in rest["items"]] == ["Coyote"]
