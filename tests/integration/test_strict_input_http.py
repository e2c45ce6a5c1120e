"""Garbage that used to be stored with a 2xx is a 422 naming the field, over HTTP."""

from typing import Any

import pytest

from tools.lambda_api import Reply, Staff, call, create

SALES = Staff()


def create_reply(operation: str, **fields: Any) -> Reply:
    return call(operation, body=fields, headers={"Idempotency-Key": None})


@pytest.mark.parametrize(
    ("operation", "fields", "field"),
    [
        ("createAccount", {"name": "Acme\x00"}, "name"),
        ("createAccount", {"name": "Acme", "tags": ["a\x1b[31m"]}, "tags[0]"),
        ("createAccount", {"name": "Acme", "address": {"country": "XX"}}, "address.country"),
        ("createContact", {"last_name": "Lovelace", "email": "x@x..com"}, "email"),
        ("createContact", {"last_name": "Lovelace", "email": "x@-x.com"}, "email"),
        ("createContact", {"last_name": "Lovelace", "email": "x@x.com;drop"}, "email"),
        (
            "createContact",
            {
                "last_name": "Lovelace",
                "consent": {"email": {"status": "opted_in", "at": "2100-01-01T00:00:00Z", "source": "form"}},
            },
            "consent.email.at",
        ),
        ("createTask", {"title": "Call", "due_at": -1}, "due_at"),
        ("createTask", {"title": "Call\nback"}, "title"),
        ("createActivity", {"type": "call", "contact_id": "x", "duration_s": True}, "duration_s"),
        (
            "createAppointment",
            {"title": "Demo", "starts_at": "9999-12-31T23:45:00Z", "ends_at": "9999-12-31T23:59:00Z"},
            "starts_at",
        ),
        ("createAppointment", {"title": "Demo", "starts_at": 1_800_000_000, "ends_at": 1_800_003_600}, "starts_at"),
    ],
)
def test_garbage_is_a_422_naming_the_field_and_nothing_is_stored(operation, fields, field):
    reply = create_reply(operation, **fields)
    assert reply.status == 422, reply.body
    assert field in [error["field"] for error in reply.body["errors"]]


@pytest.mark.parametrize("amount", ["-0.00", "1_000", "\u0661\u0660\u0660", True, "1e3"])
def test_amounts_are_canonical_decimals(amount):
    pipeline = create(
        "createPipeline",
        SALES.as_("admin"),
        name="Sales",
        stages=[{"name": "Open", "probability": 10}, {"name": "Won", "probability": 100, "status": "won"}],
    )
    reply = create_reply("createDeal", name="x", amount=amount, pipeline_id=pipeline["id"], close_date="2026-12-15")
    assert reply.status == 422, reply.body
    assert [error["field"] for error in reply.body["errors"]] == ["amount"]


def test_an_idn_email_is_stored_with_its_domain_encoded_and_found_either_way():
    contact = create("createContact", last_name="Müller", email="Jan@Bücher.example")
    assert contact["email"] == "jan@xn--bcher-kva.example"
    found = call("listContacts", query={"email": "jan@bücher.example"}).body["items"]
    assert [item["id"] for item in found] == [contact["id"]]


def test_long_text_keeps_line_breaks_and_tabs():
    task = create("createTask", title="Call back", description="First line\n\tSecond line\r\n")
    assert task["description"] == "First line\n\tSecond line"
