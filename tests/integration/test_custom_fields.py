"""Custom fields: the tenant defines them per record family (one settings document); values live under `custom`,
checked on create and PATCH with errors naming `custom.<key>`; unique ones guarded like emails; a field's type,
uniqueness, existence and chosen options are kept while records use them (ONE Query of the usage counts)."""

from __future__ import annotations

import uuid
from typing import Any

import boto3  # type: ignore[import-untyped]
import pytest

from rapport import config
from tools.lambda_api import Reply, Staff, call
from tools.metering import dynamodb_requests

ADMIN = Staff().as_("admin")
SALES = Staff()
OTHER_TENANT = Staff(tenant="tenant-b", user="user-9", groups=("admin",))
NO_KEY: dict[str, str | None] = {"Idempotency-Key": None}
ANY_VERSION: dict[str, str | None] = {"If-Match": None}
FIELDS: dict[str, Any] = {
    "contacts": [
        {"key": "customer_code", "label": "Customer code", "type": "text", "unique": True},
        {"key": "segment", "label": "Segment", "type": "enum", "options": ["smb", "enterprise"]},
        {"key": "interests", "label": "Interests", "type": "multi_enum", "options": ["crm", "erp", "bi"]},
        {"key": "seats", "label": "Seats", "type": "number"},
        {"key": "budget", "label": "Budget", "type": "decimal"},
        {"key": "renewal", "label": "Renewal", "type": "date"},
        {"key": "last_seen", "label": "Last seen", "type": "datetime"},
        {"key": "vip", "label": "VIP", "type": "boolean"},
        {"key": "site", "label": "Site", "type": "url"},
        {"key": "billing_email", "label": "Billing email", "type": "email", "unique": True},
        {"key": "hotline", "label": "Hotline", "type": "phone"},
    ],
    "deals": [{"key": "region", "label": "Region", "type": "enum", "options": ["emea", "apac"], "required": True}],
}


def define(fields: dict[str, Any], version: int = 0, staff: Staff = ADMIN) -> Reply:
    return call("putCustomFields", staff, body=fields, headers={"If-Match": f'"{version}"'})


@pytest.fixture
def defined() -> dict[str, Any]:
    reply = define(FIELDS)
    assert reply.status == 200, reply.body
    return dict(reply.body)


def new_contact(**custom: Any) -> Reply:
    return call("createContact", body={"last_name": "Lovelace", "custom": custom}, headers=NO_KEY)


def patch(record_id: str, version: int, body: dict[str, Any], operation: str = "updateContact") -> Reply:
    return call(operation, record_id=record_id, body=body, headers={"If-Match": f'"{version}"'})


def fields_at_fault(reply: Reply) -> list[str]:
    return sorted(error["field"] for error in reply.body["errors"])


def test_no_fields_until_defined_and_only_an_admin_defines_them():
    assert call("getCustomFields", SALES).body["contacts"] == []
    assert define(FIELDS, staff=SALES).status == 403
    assert define(FIELDS).status == 200
    assert call("getCustomFields", SALES).body["contacts"][0]["key"] == "customer_code"
    assert call("getCustomFields", OTHER_TENANT).body["contacts"] == []
    [save] = call("listCustomFieldsHistory", ADMIN).body["items"]
    assert save["version"] == 1 and save["updated_by"] == ADMIN.user


@pytest.mark.parametrize(
    ("field", "at_fault"),
    [
        ({"key": "a", "label": "A", "type": "enum"}, "contacts[0]"),
        ({"key": "a", "label": "A", "type": "text", "options": ["x"]}, "contacts[0]"),
        ({"key": "a", "label": "A", "type": "boolean", "unique": True}, "contacts[0]"),
        ({"key": "A-b", "label": "A", "type": "text"}, "contacts[0].key"),
        ({"key": "a", "label": "A", "type": "colour"}, "contacts[0].type"),
        ({"key": "a", "label": "A", "type": "enum", "options": ["x", "x"]}, "contacts[0].options"),
    ],
)
def test_a_bad_definition_is_refused_naming_it(field: dict[str, Any], at_fault: str):
    reply = define({"contacts": [field]})
    assert reply.status == 422, reply.body
    assert at_fault in fields_at_fault(reply)


def test_a_key_defined_twice_is_refused():
    twice = {"key": "a", "label": "A", "type": "text"}
    reply = define({"contacts": [twice, twice]})
    assert reply.status == 422 and fields_at_fault(reply) == ["contacts"]


def test_values_are_kept_in_canonical_form(defined):
    reply = new_contact(
        customer_code="C-1",
        segment="smb",
        interests=["crm", "bi"],
        seats=12,
        budget=1200.5,
        renewal="2027-01-31",
        last_seen="2026-11-30T10:00:00+01:00",
        vip=True,
        site="https://acme.example/about",
        billing_email="Billing@Acme.Example",
        hotline="+44 20 7946 0958",
    )
    assert reply.status == 201, reply.body
    assert reply.body["custom"] == {
        "customer_code": "C-1",
        "segment": "smb",
        "interests": ["crm", "bi"],
        "seats": 12,
        "budget": "1200.5",
        "renewal": "2027-01-31",
        "last_seen": "2026-11-30T09:00:00Z",
        "vip": True,
        "site": "https://acme.example/about",
        "billing_email": "billing@acme.example",
        "hotline": "+442079460958",
    }
    assert call("getContact", record_id=reply.body["id"]).body["custom"] == reply.body["custom"]


@pytest.mark.parametrize(
    ("key", "value"),
    [
        ("segment", "mid"),
        ("interests", ["crm", "hr"]),
        ("interests", ["crm", "crm"]),
        ("interests", "crm"),
        ("seats", 1.5),
        ("seats", "12"),
        ("seats", True),
        ("budget", "12,50"),
        ("budget", True),
        ("renewal", "31/01/2027"),
        ("last_seen", "2026-11-30T10:00:00"),
        ("vip", "yes"),
        ("vip", 1),
        ("site", "ftp://acme.example"),
        ("billing_email", "not an email"),
        ("hotline", "020 7946 0958"),
        ("customer_code", 7),
        ("nickname", "Ada"),
        ("segment", {"tier": "smb"}),
        ("interests", ["crm", 5]),
        ("customer_code", "x" * 2001),
    ],
)
def test_a_wrong_value_is_refused_naming_its_field_on_create_and_patch(defined, key: str, value: Any):
    created = new_contact(**{key: value})
    assert created.status == 422, created.body
    assert fields_at_fault(created) == [f"custom.{key}"]
    contact = new_contact()
    assert contact.status == 201, contact.body
    patched = patch(contact.body["id"], 1, {"custom": {key: value}})
    assert patched.status == 422, patched.body
    assert fields_at_fault(patched) == [f"custom.{key}"]


def test_a_required_field_is_required_on_create_and_cannot_be_removed(defined):
    pipeline = call("createPipeline", Staff().as_("manager"), headers=NO_KEY)
    assert pipeline.status == 201, pipeline.body
    body = {"name": "Big one", "amount": "1000.00", "pipeline_id": pipeline.body["id"], "close_date": "2027-01-31"}
    missing = call("createDeal", body=body, headers=NO_KEY)
    assert missing.status == 422 and fields_at_fault(missing) == ["custom.region"]
    deal = call("createDeal", body={**body, "custom": {"region": "emea"}}, headers=NO_KEY)
    assert deal.status == 201, deal.body
    removed = patch(deal.body["id"], 1, {"custom": {"region": None}}, "updateDeal")
    assert removed.status == 422 and fields_at_fault(removed) == ["custom.region"]
    assert patch(deal.body["id"], 1, {"name": "Bigger one"}, "updateDeal").status == 200


def test_a_merge_patch_changes_one_value_and_null_removes_it(defined):
    contact = new_contact(segment="smb", seats=3).body
    changed = patch(contact["id"], 1, {"custom": {"seats": 4}})
    assert changed.status == 200 and changed.body["custom"] == {"segment": "smb", "seats": 4}
    cleared = patch(contact["id"], 2, {"custom": {"segment": None, "seats": None}})
    assert cleared.status == 200 and cleared.body["custom"] is None


def test_unique_values_collide_like_emails_and_empty_ones_never(defined):
    first = new_contact(customer_code="C-1")
    assert first.status == 201, first.body
    taken = new_contact(customer_code="C-1")
    assert taken.status == 409, taken.body
    assert fields_at_fault(taken) == ["custom.customer_code"]
    assert taken.body["existing"] == {"type": "contact", "id": first.body["id"]}
    assert new_contact().status == new_contact(customer_code="").status == 201
    second = new_contact(customer_code="C-2").body
    assert patch(second["id"], 1, {"custom": {"customer_code": "C-1"}}).status == 409
    assert patch(first.body["id"], 1, {"custom": {"customer_code": "C-3"}}).status == 200
    assert patch(second["id"], 1, {"custom": {"customer_code": "C-1"}}).status == 200  # freed by the change
    assert call("createContact", OTHER_TENANT, body={"last_name": "Other"}, headers=NO_KEY).status == 201


def test_an_erased_record_frees_its_unique_values_and_its_usage(defined):
    contact = new_contact(customer_code="C-1", segment="smb").body
    erase = {"permanent": "true"}
    assert call("deleteContact", ADMIN, record_id=contact["id"], query=erase, headers=ANY_VERSION).status == 204
    assert new_contact(customer_code="C-1").status == 201
    without_segment = [
        field if field["key"] != "segment" else {**field, "options": ["enterprise"]} for field in FIELDS["contacts"]
    ]
    assert define({**FIELDS, "contacts": without_segment}, version=1).status == 200


def test_while_records_use_a_field_its_type_uniqueness_options_and_existence_stay(defined):
    contact = new_contact(segment="smb", seats=3, interests=["erp"]).body
    changed = [dict(field) for field in FIELDS["contacts"]]
    changed[3]["type"] = "text"  # seats
    changed[0]["unique"] = False  # customer_code: no values yet, free to change
    changed[1]["options"] = ["enterprise", "mid"]  # segment: smb is in use
    changed[2]["options"] = ["crm", "erp"]  # interests: bi is not in use
    with dynamodb_requests() as requests:
        refused = define({**FIELDS, "contacts": changed}, version=1)
    assert refused.status == 409, refused.body
    assert fields_at_fault(refused) == ["contacts[1].options", "contacts[3].type"]
    assert requests == ["GetItem", "Query"]
    dropped = define({**FIELDS, "contacts": [field for field in FIELDS["contacts"] if field["key"] != "seats"]}, 1)
    assert dropped.status == 409 and fields_at_fault(dropped) == ["contacts"]
    cleared = patch(contact["id"], 1, {"custom": {"segment": None, "seats": None}})
    assert cleared.status == 200, cleared.body
    assert define({**FIELDS, "contacts": changed}, version=1).status == 200


def test_trashing_keeps_values_in_use_and_restoring_keeps_them(defined):
    contact = new_contact(seats=3).body
    assert call("deleteContact", ADMIN, record_id=contact["id"], headers=ANY_VERSION).status == 204
    changed = [dict(field, type="text") if field["key"] == "seats" else field for field in FIELDS["contacts"]]
    assert define({**FIELDS, "contacts": changed}, version=1).status == 409
    restored = call("restoreContact", ADMIN, record_id=contact["id"], headers=ANY_VERSION)
    assert restored.status == 200 and restored.body["custom"] == {"seats": 3}


def test_a_patch_without_custom_reads_no_definitions(defined):
    contact = new_contact(seats=3).body
    with dynamodb_requests() as requests:
        assert patch(contact["id"], 1, {"first_name": "Ada"}).status == 200
    assert requests == ["GetItem", "TransactWriteItems"]


CONTACT_ID = "<a contact>"
FAMILIES: dict[str, tuple[str, str, dict[str, Any]]] = {
    "accounts": ("createAccount", "updateAccount", {"name": "Acme"}),
    "contacts": ("createContact", "updateContact", {"last_name": "Lovelace"}),
    "leads": ("createLead", "updateLead", {"last_name": "Hopper"}),
    "tasks": ("createTask", "updateTask", {"title": "Call back"}),
    "cases": ("createCase", "updateCase", {"subject": "Broken", "channel": "phone", "contact_id": CONTACT_ID}),
}


@pytest.mark.parametrize("family", FAMILIES)
def test_every_family_checks_requires_and_guards_its_values(family: str):
    create_op, update_op, body = FAMILIES[family]
    contact = call("createContact", body={"last_name": "Rosen"}, headers=NO_KEY).body["id"]  # before any field
    body = {name: contact if value == CONTACT_ID else value for name, value in body.items()}
    code = {"key": "code", "label": "Code", "type": "text", "required": True, "unique": True}
    assert define({family: [code]}).status == 200
    staff = Staff().as_("admin")
    missing = call(create_op, staff, body=body, headers=NO_KEY)
    assert missing.status == 422 and fields_at_fault(missing) == ["custom.code"], missing.body
    first = call(create_op, staff, body={**body, "custom": {"code": "X-1"}}, headers=NO_KEY)
    assert first.status == 201, first.body
    taken = call(create_op, staff, body={**body, "custom": {"code": "x-1"}}, headers=NO_KEY)
    assert taken.status == 409 and fields_at_fault(taken) == ["custom.code"], taken.body
    second = call(create_op, staff, body={**body, "custom": {"code": "X-2"}}, headers=NO_KEY).body
    moved = call(
        update_op, staff, record_id=second["id"], body={"custom": {"code": "X-1"}}, headers={"If-Match": '"1"'}
    )
    assert moved.status == 409 and fields_at_fault(moved) == ["custom.code"], moved.body
    wrong = call(update_op, staff, record_id=second["id"], body={"custom": {"code": 5}}, headers={"If-Match": '"1"'})
    assert wrong.status == 422 and fields_at_fault(wrong) == ["custom.code"], wrong.body
    other_family = next(name for name in ("accounts", "contacts") if name != family)
    elsewhere = call(FAMILIES[other_family][0], staff, body={**FAMILIES[other_family][2], "custom": {"code": "X"}})
    assert elsewhere.status == 422 and fields_at_fault(elsewhere) == ["custom.code"]  # not a field of theirs


SUBMISSION = {"email": "kj@orbit.example", "consent": {"email": {"status": "opted_in", "at": "2026-11-22T08:59:30Z"}}}
REQUIRED = {"key": "code", "label": "Code", "type": "text", "required": True}


def test_what_no_person_fills_in_needs_no_required_field_but_its_values_are_checked(monkeypatch: pytest.MonkeyPatch):
    """A conversion (contact, account, deal) and a web form's lead are made by Rapport, not typed by someone who
    could fill the tenant's required fields in: those are asked of people creating through the API only."""
    families = ("accounts", "contacts", "leads", "deals", "tasks", "cases")
    assert define({family: [REQUIRED] for family in families}).status == 200
    pipeline = call("createPipeline", Staff().as_("manager"), headers=NO_KEY).body
    lead = call("createLead", body={"last_name": "Hopper", "company": "Navy", "custom": {"code": "L-1"}})
    assert lead.status == 201, lead.body
    deal = {"name": "First order", "amount": "100.00", "pipeline_id": pipeline["id"], "close_date": "2027-01-31"}
    converted = call("convertLead", record_id=lead.body["id"], body={"deal": deal})
    assert converted.status == 200, converted.body
    plan = f"web-forms-{uuid.uuid4()}"  # the plan id is cached per process by name
    boto3.client("apigateway").create_usage_plan(name=plan)
    monkeypatch.setenv("USAGE_PLAN_NAME", plan)
    config.reload()
    try:
        form = call("createWebForm", ADMIN, body={"name": "Demo request"}, headers=NO_KEY).body
        key = {"apiKeyId": form["api_key_id"]}
        submitted = call("createPublicLead", None, body=SUBMISSION, identity=key)
    finally:
        monkeypatch.undo()
        config.reload()
    assert submitted.status == 202, submitted.body["errors"]
    assert call("createTask", body={"title": "Call"}, headers=NO_KEY).status == 422  # a person: asked


def test_a_document_too_large_for_one_item_is_refused_naming_its_largest_family():
    options = [f"option {number:03d} " + "x" * 80 for number in range(200)]
    fields = [{"key": f"f{number}", "label": "F", "type": "enum", "options": options} for number in range(10)]
    reply = define({"contacts": fields, "tasks": fields[:1]})
    assert reply.status == 422, reply.body
    assert fields_at_fault(reply) == ["contacts"]
    assert call("getCustomFields", ADMIN).body["version"] == 0
