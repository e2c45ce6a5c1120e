"""Imports under moto: a CSV uploaded to the import's key, validated or started through the API, run by the runner
(driven by hand, as the bus drives it), read back through the API, the records' routes and the reports. The
combinations an admin makes: each mode with new and existing records, with and without a match, repeats inside the
file (in one batch and across batches), bad rows among good ones, `;` files with a byte order mark, custom fields
and paths, a run cut short and going on, delivered twice, cancelled between batches, reverted (with a record
changed since); and every bad request named."""

from __future__ import annotations

import csv
import io
from collections.abc import Callable
from typing import Any

import boto3  # type: ignore[import-untyped]
import pytest
from import_runner import handler as runner_handler

from rapport.imports import store
from rapport.imports.files import S3_IMPORT_FILES
from rapport.imports.runner import BATCH_ROWS, CONTINUED, SOURCE
from tests.integration.continuations import Bus
from tools.lambda_api import Reply, Staff, call, create

BUCKET = "rapport-test-exports"
MANAGER = Staff().as_("manager")
ADMIN = Staff().as_("admin")
SALES = Staff().as_("sales")


@pytest.fixture(autouse=True)
def bucket(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("EXPORTS_BUCKET", BUCKET)
    monkeypatch.setenv("EVENT_BUS_NAME", "rapport-test")
    boto3.client("s3").create_bucket(Bucket=BUCKET, CreateBucketConfiguration={"LocationConstraint": "eu-west-1"})


def uploaded(text: str | bytes, filename: str = "people.csv", staff: Staff = ADMIN) -> dict[str, Any]:
    made = call("createImport", staff, body={"filename": filename}, headers={"Idempotency-Key": None})
    assert made.status == 201, made.body
    assert made.body["status"] == "awaiting_upload"
    key = store.file_key("tenant-a", made.body["id"])
    assert key in made.body["upload_url"]
    body = text.encode("utf-8") if isinstance(text, str) else text
    boto3.client("s3").put_object(Bucket=BUCKET, Key=key, Body=body)
    return dict(made.body)


def plan(entity: str = "contacts", mode: str = "create", match: str | None = None, **mapping: str) -> dict[str, Any]:
    body: dict[str, Any] = {"entity": entity, "mode": mode, "mapping": mapping}
    if match:
        body["match"] = match
    return body


def started(import_id: str, body: dict[str, Any], verb: str = "startImport", staff: Staff = ADMIN) -> Reply:
    return call(verb, staff, record_id=import_id, body=body, headers={"If-Match": None})


def run(import_id: str, run_id: str = "run-1", go_on: Callable[[], bool] = lambda: True, bus: Bus | None = None) -> int:
    """The runner from the start event to the end, continuations followed: how many invocations it took."""
    bus = bus or Bus()
    detail = {"tenant_id": "tenant-a", "import_id": import_id, "run": run_id}
    pending = [{"detail-type": CONTINUED, "source": SOURCE, "detail": detail}]
    invocations = 0
    while pending:
        runner_handler.handle(pending.pop(0), go_on, S3_IMPORT_FILES, bus)
        invocations += 1
        pending += bus.take()
    return invocations


def read(import_id: str) -> dict[str, Any]:
    reply = call("getImport", ADMIN, record_id=import_id)
    assert reply.status == 200, reply.body
    return dict(reply.body)


def report(import_id: str, suffix: str = "-report") -> list[dict[str, str]]:
    key = store.file_key("tenant-a", import_id, suffix)
    text = boto3.client("s3").get_object(Bucket=BUCKET, Key=key)["Body"].read().decode("utf-8")
    return list(csv.DictReader(io.StringIO(text.removeprefix("\ufeff"))))


def contacts(**query: str) -> list[dict[str, Any]]:
    reply = call("listContacts", MANAGER, query={"limit": "100", **query})
    assert reply.status == 200, reply.body
    return list(reply.body["items"])


def test_a_create_import_makes_a_contact_per_row_and_reports_each_row() -> None:
    made = uploaded("First,Last,E-mail,City,Tags\r\nAnn,Lee,ANN@example.com,Leeds,vip;eu\r\nBo,,bo@example.com,,\r\n")
    mapping = {"First": "first_name", "Last": "last_name", "E-mail": "email", "City": "address.city", "Tags": "tags"}
    reply = started(made["id"], plan(**mapping))
    assert reply.status == 200, reply.body
    assert reply.body["status"] == "queued" and reply.body["plan"]["match"] == "email"
    run(made["id"])
    done = read(made["id"])
    assert done["status"] == "completed", done
    assert done["counts"]["read"] == 2 and done["counts"]["created"] == 2 and done["counts"]["failed"] == 0
    ann = contacts(email="ann@example.com")
    assert len(ann) == 1 and ann[0]["address"]["city"] == "Leeds" and ann[0]["tags"] == ["vip", "eu"]
    assert [row["outcome"] for row in report(made["id"])] == ["created", "created"]
    assert done["report_url"] and done["errors_url"]


PEOPLE = {"First": "first_name", "Last": "last_name", "Email": "email"}


def csv_of(header: list[str], lines: list[list[str]], delimiter: str = ",") -> str:
    text = io.StringIO()
    writer = csv.writer(text, delimiter=delimiter, lineterminator="\r\n")
    writer.writerow(header)
    writer.writerows(lines)
    return text.getvalue()


def outcomes(import_id: str) -> dict[str, str]:
    return {row["row"]: row["outcome"] for row in report(import_id)}


def test_an_upsert_updates_the_matched_contacts_creates_the_rest_and_merges_repeats_in_and_across_batches() -> None:
    known = create(
        "createContact", first_name="Old", last_name="Name", email="known@example.com", phone="+442071234567"
    )
    lines = [
        ["Known", "Person", "KNOWN@example.com"],
        ["Ann", "Lee", "ann@example.com"],
        ["Ann", "Leigh", "ann@example.com"],
    ]
    lines += [[f"P{n}", "Filler", f"p{n}@example.com"] for n in range(BATCH_ROWS)]
    lines += [["Ann", "Last", "ann@example.com"]]  # a repeat in a later batch
    made = uploaded(csv_of(["First", "Last", "Email"], lines))
    assert started(made["id"], plan(mode="upsert", match="email", **PEOPLE)).status == 200
    run(made["id"])
    done = read(made["id"])
    counts = done["counts"]
    assert done["status"] == "completed"
    assert (counts["read"], counts["updated"], counts["merged"], counts["failed"]) == (len(lines), 2, 1, 0)
    assert counts["created"] == 1 + BATCH_ROWS
    assert [c["first_name"] for c in contacts(email="known@example.com")] == ["Known"]
    ann = contacts(email="ann@example.com")
    assert len(ann) == 1 and ann[0]["last_name"] == "Last", "never two records; the last row's values win"
    assert ann[0]["version"] == 2
    seen = outcomes(made["id"])
    assert (seen["2"], seen["3"], seen["4"], seen[str(len(lines) + 1)]) == ("updated", "created", "merged", "updated")
    assert {row["id"] for row in report(made["id"]) if row["row"] in ("3", "4")} == {ann[0]["id"]}
    assert contacts(email="known@example.com")[0]["phone"] == known["phone"], "an unmapped field is kept"


def test_a_create_import_refuses_taken_and_repeated_emails_and_bad_rows_and_writes_the_rest() -> None:
    create("createContact", first_name="Held", last_name="Already", email="held@example.com")
    lines = [
        ["Ok", "One", "ok1@example.com"],
        ["Held", "Again", "held@example.com"],
        ["Ok", "Two", "ok2@example.com"],
        ["Repeat", "Two", "OK2@example.com"],
        ["Bad", "Email", "not-an-email"],
        ["Short", "Row"],
        ["", "", ""],
    ]
    made = uploaded(csv_of(["First", "Last", "Email"], lines))
    assert started(made["id"], plan(**PEOPLE)).status == 200
    run(made["id"])
    counts = read(made["id"])["counts"]
    assert (counts["created"], counts["failed"], counts["skipped"]) == (2, 4, 1)
    failed = {row["row"]: row for row in report(made["id"]) if row["outcome"] == "failed"}
    assert "already belongs to contact" in failed["3"]["reason"] and failed["3"]["field"] == "email"
    assert failed["5"]["reason"] == "repeats row 4's email"
    assert failed["6"]["field"] == "email"
    assert "has 2 cells" in failed["7"]["reason"]
    errors = report(made["id"], "-errors")
    assert [row["import_row"] for row in errors] == ["3", "5", "6", "7"]
    assert errors[0]["Email"] == "held@example.com" and errors[0]["First"] == "Held", "the row as it was, to fix"
    assert len(contacts()) == 3


def test_an_update_import_skips_rows_that_match_nothing_and_keeps_what_a_row_leaves_empty() -> None:
    create("createContact", first_name="Kept", last_name="Name", email="kept@example.com", job_title="CTO")
    made = uploaded(
        csv_of(["Email", "Title", "First"], [["kept@example.com", "CEO", ""], ["nobody@example.com", "X", "N"]])
    )
    mapping = {"Email": "email", "Title": "job_title", "First": "first_name"}
    assert started(made["id"], plan(mode="update", match="email", **mapping)).status == 200
    run(made["id"])
    counts = read(made["id"])["counts"]
    assert (counts["updated"], counts["skipped"], counts["created"]) == (1, 1, 0)
    kept = contacts(email="kept@example.com")[0]
    assert (kept["job_title"], kept["first_name"]) == ("CEO", "Kept")


def test_a_semicolon_file_with_a_byte_order_mark_quoted_line_breaks_and_custom_fields_imports() -> None:
    fields = {
        "contacts": [
            {"key": "seats", "label": "Seats", "type": "number"},
            {"key": "regions", "label": "Regions", "type": "multi_enum", "options": ["eu", "us"]},
        ]
    }
    assert call("putCustomFields", ADMIN, body=fields, headers={"If-Match": '"0"'}).status == 200
    lines = [
        ["Zoë", "zoe@example.com", "12", "eu;us", "1 High St, Flat 2"],
        ["Al", "al@example.com", "", "", "Two\nlines"],
        ["Bea", "bea@example.com", "x", "", ""],
    ]
    text = csv_of(["Name", "Mail", "Seats", "Regions", "Street"], lines, ";")
    made = uploaded("\ufeff" + text)
    mapping = {
        "Name": "first_name",
        "Mail": "email",
        "Seats": "custom.seats",
        "Regions": "custom.regions",
        "Street": "address.line1",
    }
    reply = started(made["id"], plan(**mapping))
    assert reply.status == 200, reply.body
    assert reply.body["headers"] == ["Name", "Mail", "Seats", "Regions", "Street"]
    run(made["id"])
    assert read(made["id"])["counts"]["created"] == 1
    zoe = contacts(email="zoe@example.com")[0]
    assert zoe["custom"] == {"seats": 12, "regions": ["eu", "us"]}
    assert zoe["address"]["line1"] == "1 High St, Flat 2" and zoe["first_name"] == "Zoë"
    failed = {row["row"]: row["field"] for row in report(made["id"]) if row["outcome"] == "failed"}
    assert failed == {"3": "address.line1", "4": "custom.seats"}, "a quoted line break is inside its row"


def test_a_validation_writes_nothing_reports_what_each_row_would_do_and_can_then_be_started() -> None:
    create("createContact", first_name="Known", last_name="One", email="known@example.com")
    lines = [["Known", "Two", "known@example.com"], ["New", "One", "new@example.com"], ["Bad", "One", "bad"]]
    made = uploaded(csv_of(["First", "Last", "Email"], lines))
    checking = started(made["id"], plan(mode="upsert", match="email", **PEOPLE), verb="validateImport")
    assert checking.status == 200 and checking.body["status"] == "validating"
    run(made["id"])
    validated = read(made["id"])
    assert validated["status"] == "validated" and validated["dry_run"] is True
    counts = validated["counts"]
    assert (counts["updated"], counts["created"], counts["failed"]) == (1, 1, 1)
    assert outcomes(made["id"]) == {"2": "updated", "3": "created", "4": "failed"}
    assert [c["last_name"] for c in contacts()] == ["One"], "a validation writes no record"
    assert started(made["id"], plan(mode="upsert", match="email", **PEOPLE)).status == 200
    run(made["id"], run_id="run-2")
    done = read(made["id"])
    assert done["status"] == "completed" and done["dry_run"] is False and done["counts"]["created"] == 1
    assert sorted(c["last_name"] for c in contacts()) == ["One", "Two"]


def test_a_run_cut_short_goes_on_from_its_last_batch_and_a_second_delivery_writes_nothing() -> None:
    lines = [[f"P{n}", "Many", f"p{n}@example.com"] for n in range(3 * BATCH_ROWS + 4)]
    made = uploaded(csv_of(["First", "Last", "Email"], lines))
    assert started(made["id"], plan(**PEOPLE)).status == 200
    invocations = run(made["id"], go_on=lambda: False)
    assert invocations == 5, "a batch an invocation, and one that finds the end"
    assert run(made["id"], run_id="another-delivery") == 1
    done = read(made["id"])
    assert done["counts"]["created"] == len(lines) and done["counts"]["read"] == len(lines)
    assert len(contacts(limit="100")) == len(lines)


def test_a_cancelled_import_stops_at_its_next_batch_and_keeps_what_it_wrote() -> None:
    lines = [[f"P{n}", "Many", f"p{n}@example.com"] for n in range(3 * BATCH_ROWS)]
    made = uploaded(csv_of(["First", "Last", "Email"], lines))
    assert started(made["id"], plan(**PEOPLE)).status == 200
    calls = []

    def cancel_after_one() -> bool:
        calls.append(1)
        if len(calls) == 1:
            assert call("cancelImport", ADMIN, record_id=made["id"], headers={"If-Match": None}).status == 200
        return True

    run(made["id"], go_on=cancel_after_one)
    done = read(made["id"])
    assert done["status"] == "cancelled"
    assert done["counts"]["created"] == BATCH_ROWS == len(contacts())


def test_a_revert_erases_what_the_import_created_and_puts_back_what_it_updated_unless_changed_since() -> None:
    a = create("createContact", first_name="A", last_name="Before", email="a@example.com")
    b = create("createContact", first_name="B", last_name="Before", email="b@example.com")
    lines = [["A", "After", "a@example.com"], ["B", "After", "b@example.com"], ["C", "New", "c@example.com"]]
    made = uploaded(csv_of(["First", "Last", "Email"], lines))
    assert started(made["id"], plan(mode="upsert", match="email", **PEOPLE)).status == 200
    run(made["id"])
    changed = call(
        "updateContact", MANAGER, record_id=b["id"], body={"job_title": "Edited"}, headers={"If-Match": '"2"'}
    )
    assert changed.status == 200, changed.body
    reverting = call("revertImport", ADMIN, record_id=made["id"], headers={"If-Match": None})
    assert reverting.status == 200 and reverting.body["status"] == "reverting"
    run(made["id"], run_id="revert-1")
    done = read(made["id"])
    assert done["status"] == "reverted"
    assert (done["counts"]["reverted"], done["counts"]["kept"]) == (2, 1)
    by_email = {c["email"]: c for c in contacts()}
    assert set(by_email) == {"a@example.com", "b@example.com"}, "the created contact is erased"
    assert by_email["a@example.com"]["last_name"] == "Before"
    assert by_email["b@example.com"]["last_name"] == "After", "changed since the import: kept as it is"
    assert call("revertImport", ADMIN, record_id=made["id"], headers={"If-Match": None}).status == 409
    assert a["id"] == by_email["a@example.com"]["id"]


def test_accounts_upsert_by_domain_and_products_by_sku() -> None:
    create("createAccount", name="Acme", domain="acme.com")
    made = uploaded(csv_of(["Name", "Web"], [["Acme Corp", "https://www.ACME.com/"], ["Initech", "initech.com"]]))
    assert started(made["id"], plan("accounts", "upsert", "domain", Name="name", Web="domain")).status == 200
    run(made["id"])
    assert read(made["id"])["counts"] | {} == read(made["id"])["counts"]
    names = sorted(a["name"] for a in call("listAccounts", MANAGER, query={"limit": "10"}).body["items"])
    assert names == ["Acme Corp", "Initech"]
    made = uploaded(csv_of(["SKU", "Name", "Price"], [["W-1", "Widget", "12.50"]]))
    mapping = {"SKU": "sku", "Name": "name", "Price": "unit_price"}
    reply = started(made["id"], plan("products", "upsert", "sku", **mapping))
    assert reply.status == 200, reply.body
    run(made["id"])
    assert read(made["id"])["counts"]["created"] == 1, [(row["field"], row["reason"]) for row in report(made["id"])]


@pytest.mark.parametrize(
    ("body", "field"),
    [
        (plan("widgets", First="first_name"), "entity"),
        (plan(Missing="first_name"), "mapping.Missing"),
        (plan(First="nickname"), "mapping.First"),
        (plan(First="address"), "mapping.First"),
        (plan(First="address.city.name"), "mapping.First"),
        (plan(mode="update", First="first_name"), "match"),
        (plan(mode="upsert", match="phone", First="first_name", Email="email"), "match"),
        (plan(mode="upsert", match="domain", Email="email"), "match"),
        (plan(First="custom.nope"), "mapping.First"),
    ],
)
def test_a_plan_that_cannot_run_is_a_422_naming_its_field(body: dict[str, Any], field: str) -> None:
    made = uploaded(csv_of(["First", "Last", "Email"], [["A", "B", "a@example.com"]]))
    reply = started(made["id"], body)
    assert reply.status == 422, reply.body
    assert field in [error["field"] for error in reply.body["errors"]], reply.body
    assert read(made["id"])["status"] == "awaiting_upload"


def test_starting_before_the_upload_twice_or_without_the_rights_is_refused() -> None:
    made = call("createImport", ADMIN, body={"filename": "x.csv"}, headers={"Idempotency-Key": None}).body
    assert started(made["id"], plan(First="first_name")).status == 409
    made = uploaded(csv_of(["First", "Last", "Email"], [["A", "B", "a@example.com"]]))
    assert started(made["id"], plan(**PEOPLE), staff=SALES).status == 403
    assert started(made["id"], plan(**PEOPLE)).status == 200
    assert started(made["id"], plan(**PEOPLE)).status == 409
    assert call("createImport", SALES, body={"filename": "x.csv"}, headers={"Idempotency-Key": None}).status == 403
    empty = uploaded(b"")
    assert started(empty["id"], plan(First="first_name")).body["errors"][0]["field"] == "file"


def test_imported_records_are_read_by_every_read_path_and_tell_their_events_like_the_api() -> None:
    from tests.integration.outbox import published

    account = create("createAccount", name="Acme", domain="acme.com")
    lines = [["Ann", "Lee", "ann@acme.com", account["id"], "+44 20 7946 0018"], ["Bo", "Ray", "bo@acme.com", "", ""]]
    made = uploaded(csv_of(["First", "Last", "Email", "Account", "Phone"], lines))
    mapping = {**PEOPLE, "Account": "account_id", "Phone": "phone"}
    assert started(made["id"], plan(**mapping)).status == 200
    run(made["id"])
    assert read(made["id"])["counts"]["created"] == 2
    [ann] = contacts(email="ann@acme.com")
    assert ann["phone"] == "+442079460018"
    assert call("getContact", MANAGER, record_id=ann["id"]).body["account_id"] == account["id"]
    view = call("getContact360", MANAGER, record_id=ann["id"])
    assert view.status == 200 and view.body["contact"]["id"] == ann["id"]
    of_account = call("listAccountContacts", MANAGER, record_id=account["id"])
    assert [c["id"] for c in of_account.body["items"]] == [ann["id"]]
    assert [c["id"] for c in contacts(q="Lee")] == [ann["id"]]
    kinds = [(event.detail_type, event.entity_id) for event in published()]
    assert ("contact.created", ann["id"]) in kinds
    assert ("import.queued", made["id"]) in kinds and ("import.completed", made["id"]) in kinds


def test_a_manager_imports_and_reverts_what_the_import_made_though_erasing_is_otherwise_an_admins() -> None:
    made = uploaded(csv_of(["First", "Last", "Email"], [["M", "One", "m1@example.com"]]), staff=MANAGER)
    assert started(made["id"], plan(**PEOPLE), staff=MANAGER).status == 200
    run(made["id"])
    [created] = contacts()
    assert created["created_by"] == MANAGER.user
    erase = call(
        "deleteContact", MANAGER, record_id=created["id"], query={"permanent": "true"}, headers={"If-Match": None}
    )
    assert erase.status == 403
    reverting = call("revertImport", MANAGER, record_id=made["id"], headers={"If-Match": None})
    assert reverting.status == 200, reverting.body
    run(made["id"], run_id="revert-1")
    assert read(made["id"])["counts"]["reverted"] == 1 and contacts() == []
