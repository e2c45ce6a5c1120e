from collections import Counter
from functools import partial
from typing import Any

import pytest

from rapport.auth import caller_from_claims
from rapport.contexts import Kind
from rapport.dal import keys, repository
from rapport.dal.models import Item, SummaryItem
from rapport.dal.repository import StaleVersion, UnitOfWork
from rapport.errors import Conflict
from rapport.leads import store as lead_store
from rapport.leads.manifest import LEAD
from rapport.leads.models import LeadCreate
from rapport.leads.scoring import EngagementKind, ScoringRules
from rapport.leads.service import leads, scoring_rules
from tests.integration.race import outcome, race
from tools.lambda_api import Reply, Staff, call, create
from tools.metering import dynamodb_requests

SALES = Staff()
MARKETING = SALES.as_("marketing")
ADMIN = SALES.as_("admin")
OTHER_TENANT = Staff(tenant="tenant-b", user="user-9", groups=("admin",))
NO_KEY: dict[str, str | None] = {"Idempotency-Key": None}
RULES: dict[str, Any] = {
    "fit": [
        {"field": "title", "any_of": ["vp", "head"], "points": 40},
        {"field": "country", "any_of": ["GB"], "points": 10},
    ],
    "engagement": {
        "activities": {"points": 5, "max": 20},
        "web_visits": {"points": 1, "max": 5},
        "email_replies": {"points": 10, "max": 30},
    },
}


def _caller(staff: Staff = SALES):
    return caller_from_claims(
        {"sub": staff.user, "custom:tenant_id": staff.tenant, "cognito:groups": ",".join(staff.groups)}
    )


def _post(body, staff: Staff = SALES, **query: str):
    return call("createLead", staff, body=body, query=query or None, headers=NO_KEY)


def _timeline(tenant: str, kind: Kind, record_id: str) -> list[SummaryItem]:
    prefix = keys.INTERACTION_PREFIX
    items = Item.query(keys.record_pk(tenant, kind, record_id), Item.sk.startswith(prefix))
    return [item for item in items if isinstance(item, SummaryItem)]


def _save_rules(rules: dict[str, Any] = RULES, staff: Staff = MARKETING) -> dict[str, Any]:
    version = call("getScoringRules", staff).etag
    reply = call("putScoringRules", staff, body=rules, headers={"If-Match": version})
    assert reply.status == 200, reply.body
    return dict(reply.body)


# --- create, read, change ---


def test_the_sample_lead_is_created_scored_and_readable_with_its_reasons():
    reply = call("createLead", headers=NO_KEY)
    assert reply.status == 201, reply.body
    lead = reply.body
    assert reply.headers["location"] == f"/leads/{lead['id']}"
    assert reply.headers["etag"] == '"1"'
    assert (lead["status"], lead["phone"], lead["score"]) == ("new", "+14155550142", 45)
    read = call("getLead", record_id=lead["id"])
    assert read.status == 200 and read.etag == '"1"'
    assert [(reason["field"], reason["points"]) for reason in read.body["score_reasons"]] == [
        ("title", 25),
        ("company_size", 20),
    ]


def test_a_retried_create_replays_and_creates_one_lead():
    first, again = call("createLead"), call("createLead")
    assert first.status == again.status == 201
    assert again.body == first.body and again.headers["idempotency-replayed"] == "true"
    assert len(call("listLeads", query={}).body["items"]) == 1


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"email": "a@b.co", "score": 99}, "score"),
        ({"email": "a@b.co", "score_reasons": []}, "score_reasons"),
        ({"email": "a@b.co", "status": "converted"}, "status"),
        ({"email": "a@b.co", "status": "disqualified"}, "disqualified_reason"),
        ({"company": "No one"}, "email"),
        ({"email": "not an email"}, "email"),
        ({"email": "a@b.co", "country": "Germany"}, "country"),
        ({"email": "a@b.co", "company_size": "huge"}, "company_size"),
    ],
)
def test_an_invalid_lead_is_422_naming_the_field(body, field):
    reply = _post(body)
    assert reply.status == 422
    assert reply.body["errors"][0]["field"] == field


def test_a_patch_rescores_and_needs_the_current_version():
    lead = create("createLead", email="a@b.co", title="Engineer")
    assert lead["score"] == 0
    assert call("updateLead", record_id=lead["id"], body={"title": "VP"}, headers={"If-Match": None}).status == 428
    changed = call("updateLead", record_id=lead["id"], body={"title": "VP Sales"}, headers={"If-Match": '"1"'})
    assert changed.status == 200, changed.body
    assert (changed.body["score"], changed.etag) == (25, '"2"')
    stale = call("updateLead", record_id=lead["id"], body={"title": "Head"}, headers={"If-Match": '"1"'})
    assert stale.status == 412
    refused = call("updateLead", record_id=lead["id"], body={"score": 90}, headers={"If-Match": '"2"'})
    assert refused.status == 422 and refused.body["errors"][0]["field"] == "score"


def test_disqualifying_needs_a_reason_and_requalifying_clears_it():
    lead = create("createLead", email="a@b.co")
    no_reason = call("updateLead", record_id=lead["id"], body={"status": "disqualified"}, headers={"If-Match": '"1"'})
    assert no_reason.status == 422 and no_reason.body["errors"][0]["field"] == "disqualified_reason"
    body = {"status": "disqualified", "disqualified_reason": "No budget"}
    assert call("updateLead", record_id=lead["id"], body=body, headers={"If-Match": '"1"'}).status == 200
    keeps = call("updateLead", record_id=lead["id"], body={"status": "working"}, headers={"If-Match": '"2"'})
    assert keeps.status == 422 and keeps.body["errors"][0]["field"] == "disqualified_reason"
    clear: dict[str, str | None] = {"status": "working", "disqualified_reason": None}
    reopened = call("updateLead", record_id=lead["id"], body=clear, headers={"If-Match": '"2"'})
    assert reopened.status == 200 and "disqualified_reason" not in {k for k, v in reopened.body.items() if v}


def test_roles_missing_tokens_and_other_tenants():
    lead = create("createLead", email="a@b.co")
    assert _post({"email": "s@b.co"}, SALES.as_("support")).status == 403
    assert call("getLead", SALES.as_("support"), record_id=lead["id"]).status == 200
    assert call("getLead", None, record_id=lead["id"]).status == 401
    assert call("getLead", OTHER_TENANT, record_id=lead["id"]).status == 404
    patch = call("updateLead", OTHER_TENANT, record_id=lead["id"], body={"title": "x"}, headers={"If-Match": '"1"'})
    assert patch.status == 404
    assert call("listLeads", OTHER_TENANT, query={}).body["items"] == []
    assert call("getLead", record_id="01JD5Y7M7ZV1W4T5C9H2K3N4P5").status == 404
    deleted = call("deleteLead", SALES.as_("marketing"), record_id=lead["id"], headers={"If-Match": None})
    assert deleted.status == 403


# --- duplicates ---


def test_a_lead_with_an_open_leads_email_is_409_naming_it():
    first = create("createLead", email="ada@acme.example")
    reply = _post({"email": "ADA@acme.example ", "last_name": "Again"})
    assert reply.status == 409
    assert reply.body["existing"] == {"type": "lead", "id": first["id"]}
    assert reply.body["errors"][0]["field"] == "email"


@pytest.mark.parametrize("contact_email", [{"email": "ada@acme.example"}, {"emails": ["ada@acme.example"]}])
def test_a_lead_with_a_contacts_email_is_409_naming_the_contact(contact_email):
    contact = create("createContact", last_name="Lovelace", **contact_email)
    reply = _post({"email": "ada@acme.example"})
    assert reply.status == 409
    assert reply.body["existing"] == {"type": "contact", "id": contact["id"]}
    assert call("listLeads", query={}).body["items"] == []


def test_duplicates_are_per_tenant():
    create("createLead", email="ada@acme.example")
    create("createContact", last_name="L", email="bob@acme.example")
    assert _post({"email": "ada@acme.example"}, OTHER_TENANT).status == 201
    assert _post({"email": "bob@acme.example"}, OTHER_TENANT).status == 201


def test_a_duplicate_of_a_contact_can_be_attached_to_it_as_an_interaction():
    contact = create("createContact", last_name="Lovelace", email="ada@acme.example")
    body = {"email": "ada@acme.example", "title": "CTO", "source": "event", "notes": "Asked for a demo"}
    with dynamodb_requests() as requests:
        reply = _post(body, on_duplicate="attach")
    assert reply.status == 200, reply.body
    assert reply.body["attached_to"] == {"type": "contact", "id": contact["id"]}
    assert reply.headers["location"] == f"/contacts/{contact['id']}"
    [entry] = call("listContactTimeline", record_id=contact["id"]).body["items"]
    assert entry["id"] == reply.body["interaction_id"]
    assert (entry["kind"], entry["channel"], entry["contact_id"]) == ("lead_submission", "api", contact["id"])
    assert entry["submitted"]["notes"] == "Asked for a demo"
    assert call("listLeads", query={}).body["items"] == []
    # the custom fields, rules, the refused create, the guard's owner, the contact (its account's timeline shows it
    # too), then the entry with a check that the contact exists
    assert requests == ["GetItem", "GetItem", "TransactWriteItems", "GetItem", "GetItem", "TransactWriteItems"]


def test_a_duplicate_of_a_lead_attached_counts_as_its_engagement():
    lead = create("createLead", email="ada@acme.example")
    reply = _post({"email": "ada@acme.example"}, on_duplicate="attach")
    assert reply.status == 200
    assert reply.body["attached_to"] == {"type": "lead", "id": lead["id"]}
    read = call("getLead", record_id=lead["id"])
    assert read.body["engagement"]["activities"] == 1
    assert read.body["score"] == 5 and read.etag == '"2"'
    assert len(_timeline(SALES.tenant, LEAD, lead["id"])) == 1


def test_an_attached_duplicate_replays_under_its_idempotency_key():
    create("createContact", last_name="L", email="ada@acme.example")
    headers: dict[str, str | None] = {"Idempotency-Key": "attach-1"}
    query = {"on_duplicate": "attach"}
    first = call("createLead", body={"email": "ada@acme.example"}, query=query, headers=headers)
    again = call("createLead", body={"email": "ada@acme.example"}, query=query, headers=headers)
    assert first.status == again.status == 200
    assert again.body == first.body and again.headers["idempotency-replayed"] == "true"


def test_disqualifying_frees_the_email_and_reopening_checks_it_again():
    first = create("createLead", email="ada@acme.example")
    body = {"status": "disqualified", "disqualified_reason": "Student"}
    assert call("updateLead", record_id=first["id"], body=body, headers={"If-Match": '"1"'}).status == 200
    second = create("createLead", email="ada@acme.example")
    reopen = {"status": "new", "disqualified_reason": None}
    reply = call("updateLead", record_id=first["id"], body=reopen, headers={"If-Match": '"2"'})
    assert reply.status == 409 and reply.body["existing"] == {"type": "lead", "id": second["id"]}


def test_reopening_a_lead_whose_email_became_a_contacts_is_409_naming_the_contact():
    lead = create("createLead", email="ada@acme.example")
    body = {"status": "disqualified", "disqualified_reason": "Became a customer another way"}
    assert call("updateLead", record_id=lead["id"], body=body, headers={"If-Match": '"1"'}).status == 200
    contact = create("createContact", last_name="L", email="ada@acme.example")
    reopen = {"status": "working", "disqualified_reason": None}
    reply = call("updateLead", record_id=lead["id"], body=reopen, headers={"If-Match": '"2"'})
    assert reply.status == 409 and reply.body["existing"] == {"type": "contact", "id": contact["id"]}


def test_editing_an_open_lead_does_not_recheck_its_email():
    lead = create("createLead", email="ada@acme.example")
    create("createContact", last_name="L", email="ada@acme.example")  # contacts do not check leads
    reply = call("updateLead", record_id=lead["id"], body={"title": "CTO"}, headers={"If-Match": '"1"'})
    assert reply.status == 200


def test_a_trashed_lead_keeps_its_email_until_erased():
    lead = create("createLead", email="ada@acme.example")
    assert call("deleteLead", record_id=lead["id"], headers={"If-Match": None}).status == 204
    held = _post({"email": "ada@acme.example"})
    assert held.status == 409 and held.body["existing"]["id"] == lead["id"]
    erased = call("deleteLead", ADMIN, record_id=lead["id"], query={"permanent": "true"}, headers={"If-Match": None})
    assert erased.status == 204
    assert _post({"email": "ada@acme.example"}).status == 201


def test_two_identical_leads_at_once_make_one_lead_and_one_409():
    caller = _caller()
    payload = LeadCreate(email="race@acme.example", last_name="Racer")
    results = race([partial(leads.create, caller, payload) for _ in range(2)])
    assert Counter(map(outcome, results)) == {"Lead": 1, "Conflict": 1}
    [conflict] = [result for result in results if isinstance(result, Conflict)]
    [lead] = [result for result in results if not isinstance(result, Exception)]
    assert conflict.existing_id == lead.id


def test_many_concurrent_duplicates_make_exactly_one_lead():
    caller = _caller()
    creates = [partial(leads.create, caller, LeadCreate(email="race@acme.example")) for _ in range(8)]
    assert Counter(map(outcome, race(creates))) == {"Lead": 1, "Conflict": 7}


# --- converted ---


def test_a_converted_lead_links_what_it_became_frees_its_email_and_is_read_only():
    lead = create("createLead", email="ada@acme.example", title="VP")
    work = UnitOfWork()
    record = leads.to_convert(_caller(), lead["id"], expected_version=1)
    converted = leads.mark_converted(work, _caller(), record, contact_id="C1", account_id="A1")
    work.commit()
    assert converted.status == "converted"
    read = call("getLead", record_id=lead["id"])
    assert read.body["status"] == "converted"
    assert {key: read.body["converted"][key] for key in ("contact_id", "account_id", "deal_id")} == {
        "contact_id": "C1",
        "account_id": "A1",
        "deal_id": None,
    }
    assert repository.guard_owner(SALES.tenant, lead_store.email_guard("ada@acme.example")) is None
    edit = call("updateLead", record_id=lead["id"], body={"title": "CEO"}, headers={"If-Match": read.etag})
    assert edit.status == 409
    with pytest.raises(Conflict) as again:
        leads.to_convert(_caller(), lead["id"], expected_version=None)
    assert (again.value.existing_kind, again.value.existing_id) == ("contact", "C1")
    assert [item["id"] for item in call("listLeads", query={"status": "converted"}).body["items"]] == [lead["id"]]


# --- lists ---


def _ids(reply: Reply) -> list[str]:
    assert reply.status == 200, reply.body
    return [item["id"] for item in reply.body["items"]]


def test_lists_are_one_query_sorted_by_score_highest_first_for_every_filter():
    _save_rules()
    cold = create("createLead", email="cold@x.example")
    warm = create("createLead", email="warm@x.example", country="GB", owner_id="ann")
    hot = create("createLead", email="hot@x.example", title="VP", country="GB", owner_id="ann", status="working")
    hotter = create("createLead", email="hotter@x.example", title="Head", country="GB", owner_id="bob")
    assert (cold["score"], warm["score"], hot["score"], hotter["score"]) == (0, 10, 50, 50)
    expectations = [
        ({}, [hot, hotter, warm, cold]),
        ({"status": "new"}, [hotter, warm, cold]),
        ({"owner_id": "ann"}, [hot, warm]),
        ({"owner_id": "ann", "status": "new"}, [warm]),
        ({"min_score": "10"}, [hot, hotter, warm]),
        ({"min_score": "50", "status": "new"}, [hotter]),
        ({"min_score": "11", "owner_id": "ann"}, [hot]),
        ({"min_score": "50", "owner_id": "ann", "status": "working"}, [hot]),
        ({"min_score": "0", "status": "qualified"}, []),
    ]
    for query, expected in expectations:
        with dynamodb_requests() as requests:
            reply = call("listLeads", query=query)
        assert requests == ["Query"], query
        assert _ids(reply) == [lead["id"] for lead in sorted(expected, key=lambda lead: (-lead["score"], lead["id"]))]


def test_lists_page_with_cursors_bound_to_their_filters():
    for number in range(5):
        create("createLead", email=f"l{number}@x.example")
    first = call("listLeads", query={"status": "new", "limit": "2"})
    assert len(_ids(first)) == 2 and first.body["next_cursor"]
    seen = _ids(first)
    cursor = first.body["next_cursor"]
    while cursor:
        page = call("listLeads", query={"status": "new", "limit": "2", "cursor": cursor})
        seen += _ids(page)
        cursor = page.body["next_cursor"]
    assert len(set(seen)) == 5
    elsewhere = call("listLeads", query={"status": "working", "limit": "2", "cursor": first.body["next_cursor"]})
    assert elsewhere.status == 400 and elsewhere.body["errors"][0]["field"] == "cursor"


def test_the_trash_is_listed_whole():
    lead = create("createLead", email="a@x.example")
    call("deleteLead", record_id=lead["id"], headers={"If-Match": None})
    assert _ids(call("listLeads", query={})) == []
    assert _ids(call("listLeads", query={"deleted": "true"})) == [lead["id"]]
    refused = call("listLeads", query={"deleted": "true", "status": "new"})
    assert refused.status == 400


@pytest.mark.parametrize(
    ("query", "field"),
    [({"status": "hot"}, "status"), ({"min_score": "101"}, "min_score"), ({"owner_id": "a#b"}, "owner_id")],
)
def test_bad_list_filters_are_400(query, field):
    reply = call("listLeads", query=query)
    assert reply.status == 400
    assert reply.body["errors"][0]["field"] == field


# --- scoring rules and engagement ---


def test_scoring_rules_start_as_the_defaults_and_are_replaced_over_their_version():
    defaults = call("getScoringRules", MARKETING)
    assert defaults.status == 200 and defaults.etag == '"0"' and defaults.body["updated_by"] is None
    missing = call("putScoringRules", MARKETING, body=RULES, headers={"If-Match": None})
    assert missing.status == 428
    saved = call("putScoringRules", MARKETING, body=RULES, headers={"If-Match": '"0"'})
    assert saved.status == 200 and saved.etag == '"1"'
    assert saved.body["fit"] == RULES["fit"] and saved.body["updated_by"] == MARKETING.user
    assert call("putScoringRules", MARKETING, body=RULES, headers={"If-Match": '"0"'}).status == 412
    assert call("getScoringRules", MARKETING).body == saved.body
    assert call("getScoringRules", OTHER_TENANT).etag == '"0"'


def test_scoring_rules_are_for_admins_managers_and_marketing():
    assert call("getScoringRules", SALES).status == 403
    assert call("putScoringRules", SALES, headers={"If-Match": '"0"'}).status == 403
    assert call("getScoringRules", None).status == 401
    for role in ("admin", "manager"):
        assert call("getScoringRules", SALES.as_(role)).status == 200


def test_invalid_scoring_rules_are_422_naming_the_field():
    body = {"fit": [{"field": "shoe_size", "any_of": ["42"], "points": 5}]}
    reply = call("putScoringRules", MARKETING, body=body, headers={"If-Match": '"0"'})
    assert reply.status == 422
    assert reply.body["errors"][0]["field"] == "fit[0].field"


def test_concurrent_first_saves_of_the_rules_keep_one():
    rules = ScoringRules.model_validate(RULES)
    results = race([partial(scoring_rules.replace, _caller(MARKETING), rules, 0) for _ in range(2)])
    assert Counter(map(outcome, results)) == {"Shown": 1, "PreconditionFailed": 1}


def test_new_rules_score_the_leads_written_after_them():
    lead = create("createLead", email="a@x.example", country="GB")
    assert (lead["score"], lead["score_rules_version"]) == (0, 0)
    _save_rules()
    assert create("createLead", email="b@x.example", country="GB")["score"] == 10
    assert call("getLead", record_id=lead["id"]).body["score_rules_version"] == 0  # until its next write
    rescored = call("updateLead", record_id=lead["id"], body={"notes": "called"}, headers={"If-Match": '"1"'})
    assert (rescored.body["score"], rescored.body["score_rules_version"]) == (10, 1)


def test_engagement_is_counted_and_rescores_the_lead_and_its_list_position():
    _save_rules()
    lead = create("createLead", email="a@x.example")
    other = create("createLead", email="b@x.example", country="GB")
    for kind in (EngagementKind.EMAIL_REPLY, EngagementKind.EMAIL_REPLY, EngagementKind.WEB_VISIT):
        leads.engage(SALES.tenant, lead["id"], kind, actor=SALES.user)
    read = call("getLead", record_id=lead["id"])
    assert read.body["engagement"] | {"last_at": None} == {
        "activities": 0,
        "web_visits": 1,
        "email_replies": 2,
        "last_at": None,
    }
    assert read.body["score"] == 21 and read.etag == '"4"'
    assert [reason["detail"] for reason in read.body["score_reasons"]] == ["1 web visit", "2 email replies"]
    assert _ids(call("listLeads", query={"min_score": "15"})) == [lead["id"]]
    assert _ids(call("listLeads", query={})) == [lead["id"], other["id"]]


def test_engagement_joins_another_write_in_one_transaction():
    lead = create("createLead", email="a@x.example")
    work = UnitOfWork()
    activity = SummaryItem(
        keys.record_pk(SALES.tenant, LEAD, lead["id"]),
        keys.entry_sk("2024-11-20T14:30:00Z", "01JD5Y7M7ZV1W4T5C9H2K3N4P5"),
        tenant_id=SALES.tenant,
        kind="interaction",
        ref_id="01JD5Y7M7ZV1W4T5C9H2K3N4P5",
    )
    work.put_item(activity)
    pending = leads.record_engagement(work, SALES.tenant, lead["id"], {EngagementKind.ACTIVITY: 1}, actor=SALES.user)
    assert pending.engagement is not None and pending.engagement.activities == 1
    with dynamodb_requests() as requests:
        work.commit()
    assert requests == ["TransactWriteItems"]
    assert call("getLead", record_id=lead["id"]).body["score"] == 5
    assert len(_timeline(SALES.tenant, LEAD, lead["id"])) == 1


def test_engagement_over_a_stale_read_fails_the_whole_write():
    lead = create("createLead", email="a@x.example")
    work = UnitOfWork()
    leads.record_engagement(work, SALES.tenant, lead["id"], {EngagementKind.ACTIVITY: 1}, actor=SALES.user)
    call("updateLead", record_id=lead["id"], body={"title": "x"}, headers={"If-Match": '"1"'})
    with pytest.raises(StaleVersion):
        work.commit()
    assert call("getLead", record_id=lead["id"]).body["engagement"] is None


def test_concurrent_engagements_are_all_counted():
    lead = create("createLead", email="a@x.example")
    engage = partial(leads.engage, SALES.tenant, lead["id"], EngagementKind.ACTIVITY, actor=SALES.user)
    results = race([engage for _ in range(3)])
    assert Counter(map(outcome, results)) == {"Lead": 3}
    assert call("getLead", record_id=lead["id"]).body["engagement"]["activities"] == 3


# --- request counts ---


def test_request_counts():
    with dynamodb_requests() as requests:
        lead = create("createLead", email="a@x.example", owner_id=SALES.user)
    # the custom fields, rules; lead + its email guard + no contact has it
    assert requests == ["GetItem", "GetItem", "TransactWriteItems"]
    with dynamodb_requests() as requests:
        create("createLead", last_name="No email")
    assert requests == ["GetItem", "GetItem", "TransactWriteItems"]  # custom fields, rules; lead + its name's entry
    with dynamodb_requests() as requests:
        call("getLead", record_id=lead["id"])
    assert requests == ["GetItem"]
    with dynamodb_requests() as requests:
        call("updateLead", record_id=lead["id"], body={"title": "VP"}, headers={"If-Match": '"1"'})
    assert requests == ["GetItem", "GetItem", "TransactWriteItems"]  # lead, rules; lead + its search entries
    with dynamodb_requests() as requests:
        call("getScoringRules", MARKETING)
    assert requests == ["GetItem"]
    with dynamodb_requests() as requests:
        call("putScoringRules", MARKETING, body=RULES, headers={"If-Match": '"0"'})
    assert requests == ["GetItem", "TransactWriteItems"]  # the rules and their history's new version
    with dynamodb_requests() as requests:
        leads.engage(SALES.tenant, lead["id"], EngagementKind.WEB_VISIT, actor=SALES.user)
    assert requests[:3] == ["GetItem", "GetItem", "TransactWriteItems"]  # lead, rules, lead (then it is read)


def test_the_same_idempotency_key_with_another_duplicate_policy_is_another_request():
    create("createContact", last_name="L", email="ada@acme.example")
    headers: dict[str, str | None] = {"Idempotency-Key": "policy-1"}
    refused = call("createLead", body={"email": "ada@acme.example"}, headers=headers)
    assert refused.status == 409
    attached = call("createLead", body={"email": "ada@acme.example"}, query={"on_duplicate": "attach"}, headers=headers)
    assert attached.status == 200  # a failed create keeps no response under its key
    again = call("createLead", body={"email": "ada@acme.example"}, headers=headers)
    assert again.status == 422 and again.body["errors"][0]["code"] == "key_reused"


@pytest.mark.parametrize(
    "operation",
    ["createLead", "getLead", "updateLead", "deleteLead", "restoreLead", "listLeads", "getScoringRules"],
)
def test_every_staff_lead_route_needs_a_token(operation: str):
    reply = call(operation, None, headers=NO_KEY)
    assert reply.status == 401
    assert reply.headers["content-type"] == "application/problem+json"


def test_a_trashed_lead_leaves_the_lists_and_a_manager_restores_it():
    lead = create("createLead", email="a@x.example", owner_id=SALES.user)
    assert call("deleteLead", record_id=lead["id"], headers={"If-Match": '"1"'}).status == 204
    assert _ids(call("listLeads", query={"owner_id": SALES.user})) == []
    assert call("getLead", record_id=lead["id"]).body["deleted_at"] is not None
    edit = call("updateLead", record_id=lead["id"], body={"title": "x"}, headers={"If-Match": '"2"'})
    assert edit.status == 409
    assert call("restoreLead", record_id=lead["id"], headers={"If-Match": None}).status == 403
    assert call("restoreLead", OTHER_TENANT, record_id=lead["id"], headers={"If-Match": None}).status == 404
    assert call("restoreLead", SALES.as_("manager"), record_id=lead["id"], headers={"If-Match": '"1"'}).status == 412
    restored = call("restoreLead", SALES.as_("manager"), record_id=lead["id"], headers={"If-Match": '"2"'})
    assert restored.status == 200 and restored.body["deleted_at"] is None
    assert _ids(call("listLeads", query={"owner_id": SALES.user})) == [lead["id"]]
    again = call("restoreLead", SALES.as_("manager"), record_id=lead["id"], headers={"If-Match": None})
    assert again.status == 409


def test_support_reads_but_does_not_change_leads_and_marketing_works_them():
    lead = create("createLead", email="a@x.example")
    support = call("updateLead", SALES.as_("support"), record_id=lead["id"], body={"title": "x"}, headers={})
    assert support.status == 403
    assert call("updateLead", MARKETING, record_id=lead["id"], body={"title": "x"}).status == 200
    assert _post({"email": "m@x.example"}, MARKETING).status == 201
