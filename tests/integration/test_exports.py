"""Exports under moto: asked for through the API, written by the writer (driven by hand, as the bus drives it) to
the exports bucket, read back as a spreadsheet would. The combinations a manager makes: every kind of record, with
and without a filter, default or chosen columns (custom fields and paths into records among them), small or many
parts, the writer cut short and going on, delivered twice, cancelled between parts; and every bad request named."""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Callable
from typing import Any

import boto3  # type: ignore[import-untyped]
import moto.s3.models
import pytest
from export_writer import handler as writer_handler

from rapport.exports import store
from rapport.exports.entities import exportables
from rapport.exports.files import S3_EXPORT_FILES
from rapport.exports.writer import BOM, CONTINUED, PART_SIZE, SOURCE, cell
from tests.integration.continuations import Bus
from tests.integration.outbox import published
from tests.integration.test_analytics_export import crm  # noqa: F401 (one record of each entity)
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


def ask(staff: Staff = MANAGER, **body: Any) -> Reply:
    return call("createExport", staff, body=body, headers={"Idempotency-Key": None})


def created_events() -> list[dict[str, Any]]:
    """The `export.created` events of the writes so far, as the bus delivers them."""
    return [
        {"detail-type": event.detail_type, "source": "rapport", "detail": event.model_dump(mode="json")}
        for event in published()
        if event.detail_type == "export.created"
    ]


def asked_event(export: dict[str, Any], run: str = "run-1") -> dict[str, Any]:
    """What starts the writer of `export` just asked for, as a continuation of run `run` (the stream of so many
    writes is longer than the outbox helper reads)."""
    detail = {"tenant_id": "tenant-a", "export_id": export["id"], "run": run}
    return {"detail-type": CONTINUED, "source": SOURCE, "detail": detail}


def run(
    event: dict[str, Any], bus: Bus, go_on: Callable[[], bool] = lambda: True, part_size: int = PART_SIZE
) -> dict[str, Any]:
    return writer_handler.handle(event, go_on, S3_EXPORT_FILES, bus, part_size=part_size)


def write_all(bus: Bus | None = None) -> None:
    """Every export asked for so far, written to the end (continuations followed)."""
    bus = bus or Bus()
    pending = created_events()
    while pending:
        event = pending.pop(0)
        run(event, bus)
        pending += bus.take()


def read(export_id: str) -> Reply:
    reply = call("getExport", MANAGER, record_id=export_id)
    assert reply.status == 200, reply.body
    return reply


def file_of(export_id: str, tenant: str = "tenant-a") -> str:
    body = boto3.client("s3").get_object(Bucket=BUCKET, Key=store.file_key(tenant, export_id))["Body"].read()
    text = str(body.decode("utf-8"))
    assert text.startswith(BOM), "spreadsheets read the file as UTF-8 by its byte order mark"
    return text.removeprefix(BOM)


def rows_of(export_id: str) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(file_of(export_id))))


def test_a_filtered_export_writes_the_listed_contacts_with_the_chosen_columns_custom_fields_and_paths() -> None:
    fields = {"contacts": [{"key": "industry", "label": "Industry", "type": "text"}]}
    assert call("putCustomFields", ADMIN, body=fields, headers={"If-Match": '"0"'}).status == 200
    create(
        "createContact",
        first_name='=HYPERLINK("http://evil")',
        last_name="Ripley",
        email="ripley@example.com",
        tags=["vip", "eu"],
        address={"city": "Leeds", "country": "GB"},
        custom={"industry": "Mining"},
    )
    create("createContact", first_name="Ann", last_name="Other", email="ann@example.com", tags=["eu"])
    columns = ["first_name", "last_name", "email", "address.city", "tags", "custom.industry"]
    asked = ask(entity="contacts", filter={"tag": "vip"}, columns=columns)
    assert asked.status == 201, asked.body
    assert asked.body["status"] == "queued" and asked.body["columns"] == columns
    assert asked.headers["location"].endswith(f"/exports/{asked.body['id']}")
    write_all()
    done = read(asked.body["id"]).body
    assert (done["status"], done["rows"]) == ("completed", 1)
    assert done["download_url"] and store.file_key("tenant-a", done["id"]) in done["download_url"]
    assert "response-content-disposition" in done["download_url"] and done["filename"].startswith("contacts-")
    assert done["bytes"] == len(file_of(done["id"]).encode()) + len(BOM.encode())
    assert done["rows_per_second"] is not None
    assert rows_of(done["id"]) == [
        {
            "first_name": '\'=HYPERLINK("http://evil")',
            "last_name": "Ripley",
            "email": "ripley@example.com",
            "address.city": "Leeds",
            "tags": '["vip","eu"]',
            "custom.industry": "Mining",
        }
    ]
    told = [event.detail_type for event in published() if event.detail_type.startswith("export.")]
    assert told == ["export.created", "export.updated", "export.updated", "export.completed"]


def test_every_kind_of_record_the_api_writes_an_export_writes_with_every_field_by_default(crm: dict[str, str]) -> None:  # noqa: F811
    asked = {entity: ask(entity=entity) for entity in exportables()}
    assert {entity: reply.status for entity, reply in asked.items()} == dict.fromkeys(exportables(), 201)
    write_all()
    for entity, reply in asked.items():
        export = read(reply.body["id"]).body
        assert export["status"] == "completed", (entity, export)
        listed = call(f"list{entity.title()}", MANAGER, query={"limit": "100"}).body["items"]
        rows = rows_of(export["id"])
        assert len(rows) == export["rows"] == len(listed) >= 1, entity
        model = exportables()[entity].service.out_model
        assert list(rows[0]) == [name for name in model.model_fields if name != "custom"], entity
        assert [row["id"] for row in rows] == [record["id"] for record in listed], entity


def test_a_large_export_is_written_in_parts_and_goes_on_where_an_invocation_stopped(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(moto.s3.models, "S3_UPLOAD_PART_MIN_SIZE", 1)  # S3's 5 MiB, at this test's scale
    names = [f"Person {n:03}" for n in range(250)]
    for name in names:
        create("createContact", last_name=name, tags=["bulk"])
    asked = ask(entity="contacts", filter={"tag": "bulk"}, columns=["last_name"]).body
    bus = Bus()
    event = asked_event(asked)
    first = run(event, bus, go_on=lambda: False, part_size=600)
    assert first == {"parts": 1, "done": False}
    other_run = asked_event(asked, run="run-2")
    assert run(other_run, bus) == {"parts": 0, "done": True}, "another run writes nothing"
    running = read(asked["id"]).body
    assert running["status"] == "running" and running["rows"] == 100 and running["download_url"] is None
    continuations = bus.take()
    assert continuations == [event], "the run goes on as itself"
    cut_short = run(continuations[0], bus, go_on=lambda: False, part_size=600)
    assert cut_short["parts"] == 1 and bus.take() == [event]
    assert read(asked["id"]).body["rows"] == 200
    result = run(event, bus, part_size=600)  # the invocation after, or the same continuation redelivered
    assert result["done"] and result["parts"] == 1 and not bus.take()
    done = read(asked["id"]).body
    assert (done["status"], done["rows"]) == ("completed", 250)
    assert [row["last_name"] for row in rows_of(asked["id"])] == sorted(names)


def test_a_cancelled_export_stops_at_its_next_part_and_leaves_no_file(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(moto.s3.models, "S3_UPLOAD_PART_MIN_SIZE", 1)
    for n in range(150):
        create("createContact", last_name=f"Person {n:03}", tags=["bulk"])
    asked = ask(entity="contacts", filter={"tag": "bulk"}).body
    bus = Bus()
    run(asked_event(asked), bus, go_on=lambda: False, part_size=100)
    running = read(asked["id"])
    cancelled = call("cancelExport", MANAGER, record_id=asked["id"], headers={"If-Match": running.etag})
    assert cancelled.status == 200 and cancelled.body["status"] == "cancelled"
    assert run(bus.take()[0], bus) == {"parts": 0, "done": True}
    assert not boto3.client("s3").list_multipart_uploads(Bucket=BUCKET).get("Uploads"), "its parts are forgotten"
    assert "Contents" not in boto3.client("s3").list_objects_v2(Bucket=BUCKET)
    assert read(asked["id"]).body["status"] == "cancelled"
    again = call("cancelExport", MANAGER, record_id=asked["id"], headers={"If-Match": None})
    assert again.status == 409, again.body


def test_exports_are_listed_newest_first_and_only_the_people_who_answer_for_the_data_may_ask() -> None:
    first = ask(entity="accounts").body["id"]
    second = ask(ADMIN, entity="products", columns=["sku", "name"]).body["id"]
    listed = call("listExports", MANAGER, query={"limit": "10"}).body
    assert [export["id"] for export in listed["items"]] == [second, first]
    assert ask(SALES, entity="contacts").status == 403
    assert call("listExports", SALES).status == 403


@pytest.mark.parametrize(
    ("body", "faults"),
    [
        ({"entity": "spaceships"}, ["entity"]),
        ({"entity": "contacts", "filter": {"colour": "red"}}, ["filter.colour"]),
        ({"entity": "contacts", "filter": {"tag": "vip", "email": "a@example.com"}}, ["filter.email", "filter.tag"]),
        ({"entity": "leads", "filter": {"min_score": "high"}}, ["filter.min_score"]),
        ({"entity": "activities", "filter": {"type_": "call"}}, ["filter.type_"]),
        (
            {"entity": "activities", "filter": {"from": "2026-12-01T00:00:00Z", "to": "2026-11-01T00:00:00Z"}},
            ["filter.to"],
        ),
        ({"entity": "contacts", "columns": ["email", "colour"]}, ["columns[1]"]),
        ({"entity": "contacts", "columns": ["email", "custom.nothing"]}, ["columns[1]"]),
        ({"entity": "contacts", "columns": ["email.domain"]}, ["columns[0]"]),
        ({"entity": "contacts", "columns": ["address.planet"]}, ["columns[0]"]),
        ({"entity": "contacts", "columns": ["email", "email"]}, ["columns"]),
        ({"entity": "contacts", "columns": []}, ["columns"]),
    ],
)
def test_a_bad_export_is_refused_naming_each_field_at_fault(body: dict[str, Any], faults: list[str]) -> None:
    reply = ask(**body)
    assert reply.status == 422, reply.body
    assert sorted(error["field"] for error in reply.body["errors"]) == faults
    assert call("listExports", MANAGER).body["items"] == [], "nothing asked for"


def test_filters_in_the_list_route_s_names_and_types_export_what_the_list_lists() -> None:
    contact = create("createContact", last_name="Ripley")["id"]
    create("createActivity", type="note", subject="Kept", contact_id=contact)
    reply = ask(entity="activities", filter={"type": "note", "from": "2020-01-01T00:00:00Z"}, columns=["subject"])
    assert reply.status == 201, reply.body
    write_all()
    assert rows_of(reply.body["id"]) == [{"subject": "Kept"}]


def test_a_cell_is_text_a_spreadsheet_shows_and_never_runs() -> None:
    assert [cell(None), cell(True), cell(3), cell(2.5), cell("plain")] == ["", "true", "3", "2.5", "plain"]
    formulas = ("=1+1", "+1", "-1", "@SUM(A1)", "\tx")
    assert [cell(text) for text in formulas] == [f"'{text}" for text in formulas]
    assert cell({"b": 1, "a": "é"}) == '{"a":"é","b":1}'


def test_forgetting_parts_already_gone_is_done() -> None:
    key = store.file_key("tenant-a", "gone")
    upload_id = S3_EXPORT_FILES.begin(key, "text/csv")
    S3_EXPORT_FILES.abort(key, upload_id)
    S3_EXPORT_FILES.abort(key, upload_id)  # a cancel that raced the last part: the upload is no more
    assert not boto3.client("s3").list_multipart_uploads(Bucket=BUCKET).get("Uploads")


def test_a_privacy_export_holds_what_every_area_keeps_about_the_person() -> None:
    lead = create("createLead", last_name="Ripley", email="ellen@nostromo.example", company="Weyland")
    create("createLead", last_name="Burke", email="burke@weyland.example")
    contact = create(
        "createContact",
        first_name="Ellen",
        last_name="Ripley",
        email="ripley@weyland.example",
        emails=["ellen@nostromo.example"],
        consent={"email": {"status": "opted_in", "at": "2026-01-05T10:00:00Z", "source": "web_form"}},
    )
    other = create("createContact", last_name="Burke", email="burke@weyland.example")
    edited = call(
        "updateContact", record_id=contact["id"], body={"job_title": "Warrant officer"}, headers={"If-Match": '"1"'}
    )
    assert edited.status == 200, edited.body
    create("createActivity", type="call", subject="Asked about the cargo", contact_id=contact["id"])
    case = create("createCase", subject="The cat is missing", contact_id=contact["id"])
    said = call(
        "addCaseMessage", record_id=case["id"], body={"body": "Jonesy was last seen on C deck", "visibility": "public"}
    )
    assert said.status == 201, said.body
    create("createProduct", MANAGER, sku="KIT", name="Kit", unit_price="100.00")
    order = create(
        "createOrder", number="A-7", contact_id=contact["id"], status="paid", ordered_at="2026-11-02T09:30:00Z",
        lines=[{"sku": "KIT", "quantity": 1}],
    )  # fmt: skip
    create("createCase", subject="Not hers", contact_id=other["id"])

    asked = call("exportContactData", MANAGER, record_id=contact["id"], headers={"Idempotency-Key": None})
    assert asked.status == 201, asked.body
    assert asked.headers["location"] == f"/exports/{asked.body['id']}"
    assert (asked.body["format"], asked.body["subject"], asked.body["columns"]) == ("json", contact["id"], None)
    write_all()
    done = read(asked.body["id"]).body
    assert done["status"] == "completed" and done["filename"].endswith(".json"), done
    text = boto3.client("s3").get_object(Bucket=BUCKET, Key=store.file_key("tenant-a", done["id"], "json"))["Body"]
    bundle = json.loads(text.read())
    assert bundle["contact_id"] == contact["id"] and bundle["contact"][0]["job_title"] == "Warrant officer"
    kept = json.dumps(bundle["kept_with_the_contact"])
    for held in ("Asked about the cargo", "The cat is missing", "Warrant officer", "web_form"):
        assert held in kept, held  # its timeline (activity, case), field history, consent ledger
    [its_case] = bundle["cases"]
    assert its_case["id"] == case["id"] and "Jonesy" in json.dumps(its_case["messages"])
    assert [each["id"] for each in bundle["orders"]] == [order["id"]]
    assert [each["id"] for each in bundle["leads"]] == [lead["id"]]
    assert "burke" not in json.dumps(bundle).lower(), "nobody else's data"
    assert done["rows"] == sum(
        len(bundle[name]) for name in ("contact", "kept_with_the_contact", "cases", "orders", "leads")
    )


def test_a_privacy_export_in_many_parts_is_one_json_document(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(moto.s3.models, "S3_UPLOAD_PART_MIN_SIZE", 1)
    emails = [f"ripley-{n}@weyland.example" for n in range(3)]
    for email in emails:
        create("createLead", last_name="Ripley", email=email)
    contact = create("createContact", last_name="Ripley", email=emails[0], emails=emails[1:])
    for n in range(30):
        create("createActivity", type="note", subject=f"Note {n:02}", contact_id=contact["id"])
    asked = call("exportContactData", MANAGER, record_id=contact["id"], headers={"Idempotency-Key": None}).body
    bus = Bus()
    event = asked_event(asked)
    while run(event, bus, part_size=50)["parts"]:
        pass
    done = read(asked["id"]).body
    assert done["status"] == "completed"
    body = boto3.client("s3").get_object(Bucket=BUCKET, Key=store.file_key("tenant-a", done["id"], "json"))["Body"]
    bundle = json.loads(body.read())
    notes = [item for item in bundle["kept_with_the_contact"] if "Note" in json.dumps(item)]
    assert len(notes) == 30 and len(bundle["leads"]) == 3


def test_a_privacy_export_is_for_a_contact_the_asker_may_export_and_read() -> None:
    assert call("exportContactData", MANAGER, record_id="01JD5Y7M7ZV1W4T5C9H2K3N4Q9").status == 404
    contact = create("createContact", last_name="Ripley")
    assert call("exportContactData", SALES, record_id=contact["id"]).status == 403
