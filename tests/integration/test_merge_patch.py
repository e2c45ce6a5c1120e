"""PATCH is a JSON merge patch (RFC 7396) on every route: for every object a PATCH body can hold, changing or
removing one member keeps every other member; on a record without the object, a partial one is checked whole."""

from __future__ import annotations

import importlib
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

import pytest

from tools.lambda_api import Customer, Reply, Staff, call, create
from tools.openapi import AREAS

ADMIN = Staff().as_("admin")
NO_KEY = {"Idempotency-Key": None}

CONSENT_EMAIL = {"status": "opted_in", "at": "2026-01-05T10:00:00Z", "source": "web_form"}
CONSENT_EMAIL_2 = {"status": "opted_out", "at": "2026-02-01T08:30:00Z", "source": "phone_call"}
CONSENT_SMS = {"status": "opted_in", "at": "2026-01-06T11:00:00Z", "source": "import"}
CONSENT_SMS_2 = {"status": "opted_out", "at": "2026-03-01T09:00:00Z", "source": "support"}


@dataclass(frozen=True)
class Nested:
    """An object a PATCH body may hold: a full value, another value for each member, and the members it cannot go
    without (which may not be removed, and which a new object must have)."""

    full: dict[str, Any]
    other: dict[str, Any]
    required: frozenset[str] = frozenset()


ADDRESS = Nested(
    {
        "line1": "1 Main St",
        "line2": "Suite 2",
        "city": "Springfield",
        "region": "OR",
        "postal_code": "97477",
        "country": "US",
    },
    {
        "line1": "2 Side St",
        "line2": "Floor 3",
        "city": "Toronto",
        "region": "ON",
        "postal_code": "M5V 2T6",
        "country": "CA",
    },
)
CONSENT = Nested({"email": CONSENT_EMAIL, "sms": CONSENT_SMS}, {"email": CONSENT_EMAIL_2, "sms": CONSENT_SMS_2})
CHANNEL = Nested(CONSENT_EMAIL, CONSENT_EMAIL_2, frozenset({"status", "at", "source"}))
SMS = Nested(CONSENT_SMS, CONSENT_SMS_2, frozenset({"status", "at", "source"}))
PROOF = {"form_id": "footer", "ip": "203.0.113.7", "user_agent": "Mozilla/5.0", "message_id": "m-1"}
PROOF_2 = {"form_id": "popup", "ip": "2001:db8::1", "user_agent": "curl/8.5.0", "message_id": "m-2"}
CONTACT_EMAIL = Nested(
    {**CONSENT_EMAIL, "basis": "consent", **PROOF},
    {**CONSENT_EMAIL_2, "basis": "legitimate_interest", **PROOF_2},
    frozenset({"status", "at", "source"}),
)
CONTACT_SMS = Nested(
    {**CONSENT_SMS, "basis": "contract", **PROOF},
    {**CONSENT_SMS_2, "basis": "consent", **PROOF_2},
    frozenset({"status", "at", "source"}),
)
TOPICS = Nested(
    {"email": {"newsletter": CONSENT_EMAIL}, "sms": {"newsletter": CONSENT_SMS}},
    {"email": {"newsletter": CONSENT_EMAIL_2}, "sms": {"newsletter": CONSENT_SMS_2}},
)
CONTACT_CONSENT = Nested({**CONSENT.full, "topics": TOPICS.full}, {**CONSENT.other, "topics": TOPICS.other})
EMAIL_STATUS = Nested(
    {"status": "invalid", "at": "2026-01-07T12:00:00Z", "reason": "Permanent: General"},
    {"status": "invalid", "at": "2026-04-01T12:00:00Z", "reason": "Permanent: NoEmail"},
    frozenset({"status", "at", "reason"}),
)
AWAY = Nested(
    {"from": "2026-12-20T00:00:00Z", "until": "2027-01-04T00:00:00Z"},
    {"from": "2026-12-21T00:00:00Z", "until": "2027-01-05T00:00:00Z"},
    frozenset({"from", "until"}),
)


CUSTOM = Nested({"tier": "gold", "seats": 10, "region": "emea"}, {"tier": "silver", "seats": 12, "region": "apac"})
CUSTOM_FIELDS = [
    {"key": "tier", "label": "Tier", "type": "text"},
    {"key": "seats", "label": "Seats", "type": "number"},
    {"key": "region", "label": "Region", "type": "enum", "options": ["emea", "apac"]},
]


@pytest.fixture(autouse=True)
def _custom_fields() -> None:
    """The tenant's custom fields, the same in every family that has them, for their `custom` objects."""
    families = ("accounts", "contacts", "leads", "deals", "tasks", "cases")
    document = {family: CUSTOM_FIELDS for family in families}
    assert call("putCustomFields", ADMIN, body=document, headers={"If-Match": '"0"'}).status == 200


@dataclass(frozen=True)
class Route:
    patch: str
    read: str
    objects: dict[tuple[str, ...], Nested]
    make: Callable[[dict[str, Any]], str] | None = None  # a record with these fields; returns its id
    # Who reads and patches the record: staff, or (the portal's own profile) the customer the record is
    who: Callable[[str], Staff | Customer] = lambda _: ADMIN
    # The objects every record has (required): never absent, and null is a 422 naming them
    kept: frozenset[tuple[str, ...]] = frozenset()


def account(fields: dict[str, Any]) -> str:
    return str(create("createAccount", name="Acme", **fields)["id"])


def contact(fields: dict[str, Any]) -> str:
    """A contact of a tenant that offers the topic `newsletter` (its marketing settings)."""
    settings = {"topics": ["newsletter"]}
    assert call("putMarketingSettings", ADMIN, body=settings, headers={"If-Match": '"0"'}).status == 200
    return str(create("createContact", last_name="Lovelace", email="ada@acme.example", **fields)["id"])


def lead(fields: dict[str, Any]) -> str:
    return str(create("createLead", last_name="Babbage", email="charles@engine.example", **fields)["id"])


def deal(fields: dict[str, Any]) -> str:
    stages = [{"name": "Open", "probability": 10}, {"name": "Won", "probability": 100, "status": "won"}]
    pipeline = create("createPipeline", ADMIN, name="Sales", stages=stages)["id"]
    contacts = [create("createContact", last_name=name)["id"] for name in ("One", "Two", "Three")]
    roles = {contacts[position]: role for position, role in enumerate(fields.get("contact_roles", {}).values())}
    body = {"name": "Deal", "amount": "100.00", "pipeline_id": pipeline, "close_date": "2026-12-15"}
    rest = {name: value for name, value in fields.items() if name != "contact_roles"}
    return str(create("createDeal", **body, **rest, contact_ids=contacts, contact_roles=roles)["id"])


def task(fields: dict[str, Any]) -> str:
    return str(create("createTask", title="Call back", **fields)["id"])


def case(fields: dict[str, Any]) -> str:
    customer = create("createContact", last_name="Rosen")["id"]
    return str(create("createCase", ADMIN, subject="Broken", channel="phone", contact_id=customer, **fields)["id"])


SEGMENTS: dict[str, str] = {}  # the segments a campaign's audience names, by their placeholders s0, s1, ...


def campaign(fields: dict[str, Any]) -> str:
    """An email campaign (its audience's segments named s0, s1, ... in the values below) of a tenant offering
    `offers`."""
    assert call("putMarketingSettings", ADMIN, body={"topics": ["offers"]}, headers={"If-Match": '"0"'}).status == 200
    SEGMENTS.clear()
    for index in range(4):
        SEGMENTS[f"s{index}"] = create("createSegment", ADMIN, name=f"List {index}", kind="static")["id"]
    body = {
        "name": "Spring offers",
        "channel": "email",
        "topic": "offers",
        "content": {"subject": "Hi", "text": "Hello"},
        "audience": {"segments": ["s0"]},
        **fields,
    }
    body["audience"] = _segments(body["audience"])
    return str(create("createCampaign", ADMIN, **body)["id"])


def _segments(audience: dict[str, Any]) -> dict[str, Any]:
    return {part: [SEGMENTS.get(name, name) for name in names] for part, names in audience.items()}


CONTENT = Nested(
    {"subject": "Spring offers, {{ recipient.first_name }}", "text": "Hello!", "html": "<p>Hello!</p>"},
    {"subject": "Summer offers", "text": "Hi!", "html": "<p>Hi!</p>"},
    frozenset({"subject", "text"}),  # an email's subject: the campaign's check, not the model's
)
AUDIENCE = Nested(
    {"segments": ["s0"], "exclude": ["s1"]}, {"segments": ["s2"], "exclude": ["s3"]}, frozenset({"segments"})
)
COST = Nested(
    {"amount": "120.00", "currency": "EUR"}, {"amount": "80.00", "currency": "USD"}, frozenset({"amount", "currency"})
)


def user(fields: dict[str, Any]) -> str:
    profile = {"name": "Ana", "email": "ana@seller.example", **fields}
    assert call("putUser", ADMIN, record_id="ana", body=profile, headers={"If-Match": None}).status == 201
    return "ana"


ROUTES = {
    "updateAccount": Route("updateAccount", "getAccount", {("address",): ADDRESS, ("custom",): CUSTOM}, account),
    "updateContact": Route(
        "updateContact",
        "getContact",
        {
            ("address",): ADDRESS,
            ("consent",): CONTACT_CONSENT,
            ("consent", "email"): CONTACT_EMAIL,
            ("consent", "sms"): CONTACT_SMS,
            ("consent", "topics"): TOPICS,
            ("email_status",): EMAIL_STATUS,
            ("custom",): CUSTOM,
        },
        contact,
    ),
    "updateLead": Route(
        "updateLead",
        "getLead",
        {("consent",): CONSENT, ("consent", "email"): CHANNEL, ("consent", "sms"): SMS, ("custom",): CUSTOM},
        lead,
    ),
    "updateDeal": Route(
        "updateDeal",
        "getDeal",
        {
            ("contact_roles",): Nested({"c0": "champion", "c1": "user"}, {"c0": "decision_maker", "c1": "evaluator"}),
            ("custom",): CUSTOM,
        },
        deal,
    ),
    "updatePipeline": Route("updatePipeline", "getPipeline", {}),
    "updateTask": Route("updateTask", "getTask", {("custom",): CUSTOM}, task),
    "updateCase": Route("updateCase", "getCase", {("custom",): CUSTOM}, case),
    "updateAppointment": Route("updateAppointment", "getAppointment", {}),
    "updateActivity": Route("updateActivity", "getActivity", {}),
    "updateWebhook": Route("updateWebhook", "getWebhook", {}),
    "updateProduct": Route("updateProduct", "getProduct", {}),
    "updateOrder": Route("updateOrder", "getOrder", {}),
    "updateArticle": Route("updateArticle", "getArticle", {}),
    # A segment's filter is a tree replaced whole (tests/integration/test_segments.py), not merged member by member.
    "updateSegment": Route("updateSegment", "getSegment", {}),
    "updateCampaign": Route(
        "updateCampaign",
        "getCampaign",
        {("content",): CONTENT, ("audience",): AUDIENCE, ("cost",): COST},
        campaign,
        kept=frozenset({("content",), ("audience",)}),
    ),
    # A sequence's steps are a list, replaced whole (arrays replace): its walk is checked as one.
    "updateSequence": Route("updateSequence", "getSequence", {}),
    "setUserAvailability": Route("setUserAvailability", "getUser", {("away",): AWAY}, user),
    "updatePortalProfile": Route(
        "updatePortalProfile",
        "getPortalProfile",
        {("address",): ADDRESS},
        contact,
        lambda contact_id: Customer(ADMIN.tenant, contact_id),
    ),
}


def object_paths(
    schema: dict[str, Any], definitions: dict[str, Any], path: tuple[str, ...] = ()
) -> Iterator[tuple[str, ...]]:
    """The paths of the objects a PATCH body may hold (models, and mappings such as contact_roles)."""
    if "$ref" in schema:
        yield from object_paths(definitions[schema["$ref"].rsplit("/", 1)[1]], definitions, path)
        return
    for branch in schema.get("anyOf", []):
        yield from object_paths(branch, definitions, path)
    if path and (
        {"properties", "patternProperties"} & schema.keys() or isinstance(schema.get("additionalProperties"), dict)
    ):
        yield path
    for name, member in schema.get("properties", {}).items():
        yield from object_paths(member, definitions, (*path, name))


def patch_models() -> dict[str, Any]:
    models = {}
    for area in AREAS:
        app = importlib.import_module(f"{area}.handler").app
        for route in app._static_routes + app._dynamic_routes:
            if route.method == "PATCH":
                models[route.operation_id] = route.dependant.body_params[0].type_
    return models


def test_every_patch_route_and_every_object_it_holds_is_combined_below():
    found = {}
    for operation, model in patch_models().items():
        schema = model.model_json_schema(by_alias=True)
        found[operation] = set(object_paths(schema, schema.get("$defs", {})))
    assert found == {operation: set(route.objects) for operation, route in ROUTES.items()}


def cases() -> Iterator[Any]:
    for operation, route in ROUTES.items():
        for path, nested in route.objects.items():
            for member in nested.full:
                yield pytest.param(route, path, nested, member, id=f"{operation}:{'.'.join(path)}.{member}")


def placed(path: tuple[str, ...], value: Any) -> dict[str, Any]:
    """A document with `value` at `path`."""
    document = {path[-1]: value}
    for step in reversed(path[:-1]):
        document = {step: document}
    return document


def at(document: dict[str, Any], path: tuple[str, ...]) -> Any:
    """The object at `path` of a record as read, without the members it lacks (a record shows them as null)."""
    for step in path:
        document = document.get(step) or {}
    return present(document)


def present(value: Any) -> Any:
    if isinstance(value, dict):
        return {name: present(member) for name, member in value.items() if member is not None}
    return value


def keyed(route: Route, record_id: str, nested: dict[str, Any], path: tuple[str, ...]) -> dict[str, Any]:
    """`nested` as the record names it: a deal's roles are keyed by its contacts' ids, c0, c1... in order; a
    campaign's audience names segments s0, s1..."""
    if path == ("audience",):
        return _segments(nested)
    if path != ("contact_roles",):
        return nested
    contact_ids = call(route.read, route.who(record_id), record_id=record_id).body["contact_ids"]
    return {contact_ids[int(key[1:])]: value for key, value in nested.items()}


def send(route: Route, record_id: str, body: dict[str, Any]) -> Reply:
    version = call(route.read, route.who(record_id), record_id=record_id).etag
    return call(route.patch, route.who(record_id), record_id=record_id, body=body, headers={"If-Match": version})


@pytest.mark.parametrize(("route", "path", "nested", "member"), list(cases()))
def test_changing_one_member_keeps_the_others(route, path, nested, member):
    assert route.make is not None
    record_id = route.make(placed(path[:1], at(placed(path, nested.full), path[:1])))
    full = keyed(route, record_id, nested.full, path)
    other = keyed(route, record_id, nested.other, path)
    name = list(full)[list(nested.full).index(member)]
    reply = send(route, record_id, placed(path, {name: other[name]}))
    assert reply.status == 200, reply.body
    assert at(reply.body, path) == {**full, name: other[name]}
    assert at(call(route.read, route.who(record_id), record_id=record_id).body, path) == {**full, name: other[name]}


@pytest.mark.parametrize(("route", "path", "nested", "member"), list(cases()))
def test_null_removes_one_member_and_keeps_the_others_or_names_a_required_one(route, path, nested, member):
    assert route.make is not None
    record_id = route.make(placed(path[:1], at(placed(path, nested.full), path[:1])))
    full = keyed(route, record_id, nested.full, path)
    name = list(full)[list(nested.full).index(member)]
    reply = send(route, record_id, placed(path, {name: None}))
    if member in nested.required:
        assert reply.status == 422, reply.body
        assert [error["field"] for error in reply.body["errors"]] == [".".join((*path, name))]
        assert at(call(route.read, route.who(record_id), record_id=record_id).body, path) == full
    else:
        assert reply.status == 200, reply.body
        assert at(reply.body, path) == {key: value for key, value in full.items() if key != name}


@pytest.mark.parametrize(("route", "path", "nested", "member"), list(cases()))
def test_on_a_record_without_the_object_one_member_makes_a_new_one_checked_whole(route, path, nested, member):
    if path == ("contact_roles",):
        pytest.skip("a role needs its contact in contact_ids: covered with the deals")
    if path in route.kept:
        pytest.skip("every record has it")
    assert route.make is not None
    record_id = route.make({})
    reply = send(route, record_id, placed(path, {member: nested.full[member]}))
    missing = {".".join((*path, name)) for name in nested.required - {member}}
    if missing:
        assert reply.status == 422, reply.body
        assert missing <= {error["field"] for error in reply.body["errors"]}
    else:
        assert reply.status == 200, reply.body
        assert at(reply.body, path) == {member: nested.full[member]}


@pytest.mark.parametrize(("route", "path"), [(route, path) for route in ROUTES.values() for path in route.objects])
def test_null_removes_the_whole_object_and_keeps_the_rest(route, path):
    nested = route.objects[path]
    assert route.make is not None
    record_id = route.make(placed(path[:1], at(placed(path, nested.full), path[:1])))
    before = call(route.read, route.who(record_id), record_id=record_id).body
    reply = send(route, record_id, placed(path, None))
    if path in route.kept:
        assert reply.status == 422, reply.body
        assert [error["field"] for error in reply.body["errors"]] == [".".join(path)]
        return
    assert reply.status == 200, reply.body
    assert at(reply.body, path) in ({}, None)
    untouched = {key for key in before if key not in ("version", "updated_at", "updated_by", path[0])}
    assert {key: reply.body.get(key) for key in untouched} == {key: before[key] for key in untouched}


@pytest.mark.parametrize(
    ("operation", "make", "field"),
    [
        ("updateAccount", account, "name"),
        ("updateLead", lead, "status"),
        ("updateDeal", deal, "amount"),
        ("updateTask", task, "title"),
    ],
)
def test_null_on_a_required_field_is_a_422_naming_it(operation, make, field):
    record_id = make({})
    reply = call(operation, ADMIN, record_id=record_id, body={field: None}, headers={"If-Match": '"1"'})
    assert reply.status == 422, reply.body
    assert [(error["field"], error["message"]) for error in reply.body["errors"]] == [
        (field, "cannot be cleared: send a value instead of null")
    ]


def test_tags_null_clears_them_and_arrays_replace():
    record_id = account({"tags": ["a", "b"]})
    cleared = call("updateAccount", record_id=record_id, body={"tags": None}, headers={"If-Match": '"1"'})
    assert cleared.status == 200 and cleared.body["tags"] == []
    replaced = call("updateAccount", record_id=record_id, body={"tags": ["c"]}, headers={"If-Match": '"2"'})
    assert replaced.status == 200 and replaced.body["tags"] == ["c"]


@pytest.mark.parametrize("media_type", ["application/json", "application/merge-patch+json"])
def test_both_media_types_are_a_merge_patch(media_type):
    record_id = account({"address": ADDRESS.full})
    reply = call(
        "updateAccount",
        record_id=record_id,
        body={"address": {"postal_code": "97478"}},
        headers={"If-Match": '"1"', "Content-Type": media_type},
    )
    assert reply.status == 200, reply.body
    assert reply.body["address"] == {**ADDRESS.full, "postal_code": "97478"}


def test_a_merge_patch_media_type_is_for_patch_only():
    reply = call(
        "createAccount", body={"name": "Acme"}, headers={**NO_KEY, "Content-Type": "application/merge-patch+json"}
    )
    assert reply.status == 415
