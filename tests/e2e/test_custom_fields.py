"""Custom fields over HTTP on the running stack: an admin defines them, values are written, wrong ones refused
naming `custom.<key>`, a unique value collides, and a used field's type stays."""

from __future__ import annotations

from typing import Any

from tests.e2e.conftest import Staff, problem

FIELDS: dict[str, list[dict[str, Any]]] = {
    "contacts": [
        {"key": "customer_code", "label": "Customer code", "type": "text", "required": True, "unique": True},
        {"key": "segment", "label": "Segment", "type": "enum", "options": ["smb", "enterprise"]},
        {"key": "seats", "label": "Seats", "type": "number"},
    ]
}


def test_a_field_defined_written_refused_and_colliding(staff: Staff) -> None:
    admin, sales = staff("admin"), staff("sales")
    problem(sales.put("/custom-fields", json=FIELDS, headers={"If-Match": '"0"'}), 403)
    saved = admin.put("/custom-fields", json=FIELDS, headers={"If-Match": '"0"'})
    assert saved.status_code == 200 and saved.headers["ETag"] == '"1"', saved.text

    created = sales.post("/contacts", json={"last_name": "Lovelace", "custom": {"customer_code": "C-1", "seats": 3}})
    assert created.status_code == 201, created.text
    assert created.json()["custom"] == {"customer_code": "C-1", "seats": 3}
    missing = problem(sales.post("/contacts", json={"last_name": "Babbage"}), 422)
    assert [error["field"] for error in missing["errors"]] == ["custom.customer_code"]
    wrong = problem(
        sales.post("/contacts", json={"last_name": "B", "custom": {"customer_code": "C-2", "seats": "3"}}), 422
    )
    assert [error["field"] for error in wrong["errors"]] == ["custom.seats"]
    taken = problem(sales.post("/contacts", json={"last_name": "Babbage", "custom": {"customer_code": "C-1"}}), 409)
    assert taken["existing"] == {"type": "contact", "id": created.json()["id"]}
    assert [error["field"] for error in taken["errors"]] == ["custom.customer_code"]

    retyped = {
        "contacts": [dict(field, type="text") if field["key"] == "seats" else field for field in FIELDS["contacts"]]
    }
    refused = problem(admin.put("/custom-fields", json=retyped, headers={"If-Match": '"1"'}), 409)
    assert [error["field"] for error in refused["errors"]] == ["contacts[2].type"]
    path = f"/contacts/{created.json()['id']}"
    assert sales.patch(path, json={"custom": {"seats": None}}, headers={"If-Match": '"1"'}).status_code == 200
    assert admin.put("/custom-fields", json=retyped, headers={"If-Match": '"1"'}).status_code == 200
