"""Web forms (their API keys, under moto's API Gateway) and the public web-to-lead route they authorize."""

import uuid
from collections import Counter
from functools import partial
from typing import Any

import boto3  # type: ignore[import-untyped]
import pytest

from rapport.auth import caller_from_claims
from rapport.contacts.manifest import CONTACT
from rapport.contexts import Kind
from rapport.dal import keys, repository
from rapport.dal.models import Item, SummaryItem, WebFormKeyItem
from rapport.errors import Forbidden
from rapport.leads.manifest import LEAD
from rapport.leads.models import PublicLeadCreate
from rapport.leads.service import leads
from rapport.web_forms.models import WebFormCreate
from rapport.web_forms.service import web_forms
from tests.integration.race import outcome, race
from tools.lambda_api import Reply, Staff, call, create
from tools.metering import dynamodb_requests

ADMIN = Staff(groups=("admin",))
SALES = Staff()
OTHER_TENANT = Staff(tenant="tenant-b", user="user-9", groups=("admin",))
NO_KEY: dict[str, str | None] = {"Idempotency-Key": None}
CONSENT = {"email": {"status": "opted_in", "at": "2026-11-22T08:59:30Z"}}


@pytest.fixture(autouse=True)
def usage_plan(monkeypatch: pytest.MonkeyPatch) -> str:
    """The stack's web form usage plan, as CDK makes it and hands its id to the web forms function."""
    name = f"web-forms-{uuid.uuid4()}"  # the plan id is cached per container (here: per process) by name
    plan = boto3.client("apigateway").create_usage_plan(
        name=name, throttle={"rateLimit": 5.0, "burstLimit": 10}, quota={"limit": 5000, "period": "DAY"}
    )
    monkeypatch.setenv("USAGE_PLAN_NAME", name)
    return str(plan["id"])


def _form(staff: Staff = ADMIN, **fields: Any) -> dict[str, Any]:
    body = {"name": "Demo request", **fields}
    reply = call("createWebForm", staff, body=body, headers=NO_KEY)
    assert reply.status == 201, reply.body
    return dict(reply.body)


def _submit(form: dict[str, Any] | None, body: Any = None, **fields: Any) -> Reply:
    identity: dict[str, str | None] = {"apiKeyId": form["api_key_id"] if form else None}
    if body is None:
        body = {"email": "kj@orbit.example", "consent": CONSENT, **fields}
    return call("createPublicLead", None, body=body, identity=identity)


def _leads(staff: Staff = SALES) -> list[dict[str, Any]]:
    reply = call("listLeads", staff, query={})
    assert reply.status == 200
    return list(reply.body["items"])


def _api_keys() -> dict[str, dict[str, Any]]:
    return {key["id"]: key for key in boto3.client("apigateway").get_api_keys(includeValues=True)["items"]}


# --- web forms ---


def test_an_admin_creates_a_form_with_an_api_key_in_the_usage_plan(usage_plan: str):
    reply = call("createWebForm", ADMIN, headers=NO_KEY)
    assert reply.status == 201, reply.body
    form = reply.body
    assert reply.headers["location"] == f"/web-forms/{form['id']}" and reply.headers["etag"] == '"1"'
    assert (form["status"], form["source"], form["name"]) == ("active", "web_form", "Pricing page demo request")
    key = _api_keys()[form["api_key_id"]]
    assert key["value"] == form["api_key"] and key["enabled"] is True
    assert key["name"] == f"rapport-{ADMIN.tenant}-{form['id']}"
    plan_keys = boto3.client("apigateway").get_usage_plan_keys(usagePlanId=usage_plan)["items"]
    assert [plan_key["id"] for plan_key in plan_keys] == [form["api_key_id"]]
    read = call("getWebForm", ADMIN, record_id=form["id"])
    assert read.status == 200 and "api_key" not in read.body
    assert [item["id"] for item in call("listWebForms", ADMIN).body["items"]] == [form["id"]]


def test_a_retried_create_replays_the_same_key_and_issues_no_other():
    first, again = call("createWebForm", ADMIN), call("createWebForm", ADMIN)
    assert first.status == again.status == 201
    assert again.body == first.body and again.headers["idempotency-replayed"] == "true"
    assert list(_api_keys()) == [first.body["api_key_id"]]


def test_a_form_that_cannot_be_stored_leaves_no_api_key(monkeypatch: pytest.MonkeyPatch):
    def fail(self: repository.UnitOfWork) -> None:
        raise RuntimeError("the table is away")

    monkeypatch.setattr(repository.UnitOfWork, "commit", fail)
    admin = caller_from_claims({"sub": ADMIN.user, "custom:tenant_id": ADMIN.tenant, "cognito:groups": "admin"})
    with pytest.raises(RuntimeError):
        web_forms.create(admin, WebFormCreate(name="x"))
    assert _api_keys() == {}
    assert list(WebFormKeyItem.scan()) == []  # nor a lookup item for it


@pytest.mark.parametrize(
    ("operation", "role", "status"),
    [
        ("createWebForm", "manager", 403),
        ("createWebForm", "marketing", 403),
        ("listWebForms", "marketing", 200),
        ("listWebForms", "sales", 403),
        ("listWebForms", "support", 403),
    ],
)
def test_only_admins_issue_keys_and_sales_and_support_do_not_see_them(operation: str, role: str, status: int):
    assert call(operation, ADMIN.as_(role), headers=NO_KEY).status == status


def test_web_forms_need_a_token_and_are_the_tenants_own():
    form = _form()
    assert call("listWebForms", None).status == 401
    assert call("getWebForm", OTHER_TENANT, record_id=form["id"]).status == 404
    assert call("deleteWebForm", OTHER_TENANT, record_id=form["id"], headers={"If-Match": None}).status == 404
    assert call("listWebForms", OTHER_TENANT).body["items"] == []
    assert call("getWebForm", ADMIN, record_id="01JD5Y7M7ZV1W4T5C9H2K3N4P5").status == 404


@pytest.mark.parametrize(
    ("body", "field"),
    [({}, "name"), ({"name": "x", "owner_id": "a b"}, "owner_id"), ({"name": "x", "api_key": "mine"}, "api_key")],
)
def test_an_invalid_form_is_422_and_issues_no_key(body: dict[str, Any], field: str):
    reply = call("createWebForm", ADMIN, body=body, headers=NO_KEY)
    assert reply.status == 422 and reply.body["errors"][0]["field"] == field
    assert _api_keys() == {}


def test_revoking_a_form_stops_its_submissions_and_deletes_its_key():
    form = _form()
    assert _submit(form).status == 202
    stale = call("deleteWebForm", ADMIN, record_id=form["id"], headers={"If-Match": '"7"'})
    assert stale.status == 412
    assert call("deleteWebForm", ADMIN.as_("manager"), record_id=form["id"], headers={"If-Match": None}).status == 403
    revoked = call("deleteWebForm", ADMIN, record_id=form["id"], headers={"If-Match": '"1"'})
    assert revoked.status == 204
    assert form["api_key_id"] not in _api_keys()
    refused = _submit(form, email="another@orbit.example")
    assert refused.status == 403
    assert refused.body["detail"] == "This form does not accept submissions."
    read = call("getWebForm", ADMIN, record_id=form["id"]).body
    assert (read["status"], read["revoked_by"]) == ("revoked", ADMIN.user)
    assert call("deleteWebForm", ADMIN, record_id=form["id"], headers={"If-Match": None}).status == 204


# --- public leads ---


def test_a_submission_creates_a_lead_of_the_forms_tenant_with_its_defaults_and_consent():
    form = _form(owner_id="ann", campaign_id="CAMPAIGN1", source="pricing_page")
    reply = call("createPublicLead", None, identity={"apiKeyId": form["api_key_id"]})
    assert reply.status == 202, reply.body
    assert reply.body == {"status": "received"}
    [lead] = _leads()
    assert (lead["email"], lead["status"], lead["owner_id"]) == ("katherine@orbit.example", "new", "ann")
    assert (lead["source"], lead["campaign_id"], lead["web_form_id"]) == ("pricing_page", "CAMPAIGN1", form["id"])
    assert lead["consent"]["email"] == {
        "status": "opted_in",
        "at": "2026-11-22T08:59:30Z",
        "source": f"web_form:{form['id']}",
    }
    assert lead["created_by"] == f"web-form:{form['id']}"
    assert lead["score"] == 45  # the default rules: a head of, at 201-1000
    assert _leads(OTHER_TENANT) == []


def test_the_submission_names_its_campaign_and_consent_source_over_the_forms():
    form = _form(campaign_id="CAMPAIGN1")
    consent = {"email": {**CONSENT["email"], "source": "newsletter_box"}}
    assert _submit(form, consent=consent, campaign_id="CAMPAIGN2").status == 202
    [lead] = _leads()
    assert (lead["campaign_id"], lead["consent"]["email"]["source"]) == ("CAMPAIGN2", "newsletter_box")


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"email": "kj@orbit.example"}, "consent"),
        ({"consent": CONSENT}, "email"),
        ({"email": "kj@orbit.example", "consent": {"email": {"status": "yes", "at": "2026-11-22T08:59:30Z"}}}, None),
        ({"email": "kj@orbit.example", "consent": CONSENT, "owner_id": "me"}, "owner_id"),
        ({"email": "kj@orbit.example", "consent": CONSENT, "status": "qualified"}, "status"),
        ({"email": "kj@orbit.example", "consent": CONSENT, "score": 100}, "score"),
    ],
)
def test_an_invalid_submission_is_422_about_the_submission_only(body: dict[str, Any], field: str | None):
    form = _form()
    reply = _submit(form, body=body)
    assert reply.status == 422
    if field:
        assert reply.body["errors"][0]["field"] == field
    assert _leads() == []


@pytest.mark.parametrize("api_key_id", [None, "unknown-key"])
def test_a_submission_without_a_known_key_is_403_and_writes_nothing(api_key_id: str | None):
    _form()
    reply = call("createPublicLead", None, identity={"apiKeyId": api_key_id})
    assert reply.status == 403
    assert reply.body["detail"] == "This form does not accept submissions."
    assert _leads() == []


def test_a_staff_token_does_not_make_a_public_submission():
    reply = call("createPublicLead", ADMIN, identity={"apiKeyId": None})
    assert reply.status == 403
    assert _leads() == []


def _answer(reply: Reply) -> tuple[int, Any, dict[str, str]]:
    volatile = {"content-type", "access-control-allow-origin"}
    return reply.status, reply.body, {name: value for name, value in reply.headers.items() if name in volatile}


def test_duplicates_get_the_same_answer_as_new_leads_and_are_attached():
    form = _form()
    contact = create("createContact", last_name="Known", email="known@orbit.example")
    new = _submit(form, email="new@orbit.example")
    again = _submit(form, email="NEW@orbit.example", notes="second visit")
    known = _submit(form, email="known@orbit.example")
    assert _answer(new) == _answer(again) == _answer(known)
    [lead] = _leads()
    assert lead["email"] == "new@orbit.example"
    assert call("getLead", record_id=lead["id"]).body["engagement"]["activities"] == 1
    [on_lead] = _timeline(LEAD, lead["id"])
    assert (on_lead.data["channel"], on_lead.data["submitted"]["notes"]) == ("web_form", "second visit")
    [on_contact] = _timeline(CONTACT, contact["id"])
    assert on_contact.data["submitted"]["consent"]["email"]["source"] == f"web_form:{form['id']}"


def _timeline(kind: Kind, record_id: str) -> list[SummaryItem]:
    items = Item.query(keys.record_pk(SALES.tenant, kind, record_id), Item.sk.startswith(keys.INTERACTION_PREFIX))
    return [item for item in items if isinstance(item, SummaryItem)]


def test_a_public_answer_allows_any_origin():
    form = _form()
    reply = _submit(form)
    assert reply.headers["access-control-allow-origin"] == "*"


def test_two_identical_submissions_at_once_make_one_lead_and_one_interaction():
    form = _form()
    key = web_forms.form_of_key(form["api_key_id"])
    submission = PublicLeadCreate.model_validate({"email": "race@orbit.example", "consent": CONSENT})
    results = race([partial(leads.submit, key, submission) for _ in range(2)])
    assert Counter(map(outcome, results)) == {"NoneType": 2}
    [lead] = _leads()
    assert len(_timeline(LEAD, lead["id"])) == 1


def test_the_key_lookup_is_one_read_and_refuses_unknown_keys():
    form = _form()
    with dynamodb_requests() as requests:
        assert web_forms.form_of_key(form["api_key_id"]).tenant_id == ADMIN.tenant
    assert requests == ["GetItem"]
    with pytest.raises(Forbidden):
        web_forms.form_of_key("nope")


def test_request_counts():
    with dynamodb_requests() as requests:
        form = _form()
    assert requests == ["PutItem", "PutItem"]  # the key's lookup item (no tenant's), then the form
    with dynamodb_requests() as requests:
        assert _submit(form).status == 202
    # key, custom fields, rules, lead + guard + no contact
    assert requests == ["GetItem", "GetItem", "GetItem", "TransactWriteItems"]
    with dynamodb_requests() as requests:
        call("listWebForms", ADMIN)
    assert requests == ["Query"]
    with dynamodb_requests() as requests:
        call("deleteWebForm", ADMIN, record_id=form["id"], headers={"If-Match": None})
    assert requests == ["GetItem", "DeleteItem", "PutItem"]  # the form, its key's lookup item, the form


@pytest.mark.parametrize("operation", ["createWebForm", "listWebForms", "getWebForm", "deleteWebForm"])
def test_every_web_form_route_needs_a_staff_token(operation: str):
    assert call(operation, None, headers=NO_KEY).status == 401
    assert _api_keys() == {}


@pytest.mark.parametrize(
    ("double_opt_in", "status", "expected"),
    [(True, "opted_in", "pending"), (True, "opted_out", "opted_out"), (False, "opted_in", "opted_in")],
)
def test_a_form_that_requires_double_opt_in_captures_the_subscription_pending(double_opt_in, status, expected):
    form = _form(double_opt_in=double_opt_in)
    assert form["double_opt_in"] is double_opt_in
    assert _submit(form, consent={"email": {**CONSENT["email"], "status": status}}).status == 202
    [lead] = _leads()
    assert lead["consent"]["email"]["status"] == expected
