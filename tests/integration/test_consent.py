"""The consent ledger under moto: every change of a contact's consent, whatever its way in, is an entry written
with the contact's current state; the history newest first; topics only from the tenant's marketing settings."""

from __future__ import annotations

from typing import Any

import pytest

from tools.lambda_api import Staff, call, create

AT = "2026-01-05T10:00:00Z"
LATER = "2026-02-01T08:30:00Z"
MANAGER = Staff().as_("manager")
PROOF = {"form_id": "footer", "ip": "203.0.113.7", "user_agent": "Mozilla/5.0"}


def given(values: dict[str, Any]) -> dict[str, Any]:
    return {name: value for name, value in values.items() if value is not None}


def topics(*names: str) -> None:
    reply = call("putMarketingSettings", MANAGER, body={"topics": list(names)}, headers={"If-Match": '"0"'})
    assert reply.status == 200, reply.body


def history(contact_id: str, **query: str) -> list[dict[str, Any]]:
    reply = call("listConsentHistory", record_id=contact_id, query=query or None)
    assert reply.status == 200, reply.body
    return list(reply.body["items"])


def put_consent(contact_id: str, **change: Any) -> Any:
    return call("putContactConsent", record_id=contact_id, body=change)


def test_a_contact_created_with_consent_has_it_in_its_ledger_with_who_and_when():
    contact = create(
        "createContact", last_name="Tyrell", consent={"email": {"status": "opted_in", "at": AT, "source": "web_form"}}
    )
    [entry] = history(contact["id"])
    assert (entry["channel"], entry["topic"], entry["status"], entry["source"]) == (
        "email",
        None,
        "opted_in",
        "web_form",
    )
    assert entry["at"].startswith("2026-01-05T10:00:00") and entry["recorded_by"] == "user-1"


def test_a_contact_without_consent_has_an_empty_history_and_an_unknown_one_is_a_404():
    contact = create("createContact", last_name="Sebastian")
    assert history(contact["id"]) == []
    assert call("listConsentHistory", record_id="01JD5Y7M7ZV1W4T5C9H2K3N4P5").status == 404
    assert put_consent("01JD5Y7M7ZV1W4T5C9H2K3N4P5", channel="email", status="opted_in").status == 404


def test_changes_through_put_and_patch_are_entries_newest_first_and_the_state_is_the_last_one():
    topics("newsletter", "offers")
    contact = create("createContact", last_name="Batty")
    reply = put_consent(
        contact["id"], channel="email", topic="newsletter", status="opted_in", source="web_form", **PROOF
    )
    assert reply.status == 200, reply.body
    state = reply.body["consent"]["topics"]["email"]["newsletter"]
    assert state["status"] == "opted_in" and state["ip"] == PROOF["ip"] and state["basis"] == "consent"
    assert reply.body["consent"]["email"] is None  # a topic's consent is not the channel's
    patch = {"consent": {"email": {"status": "opted_in", "at": LATER, "source": "phone_call"}}}
    patched = call("updateContact", record_id=contact["id"], headers={"If-Match": reply.etag}, body=patch)
    assert patched.status == 200, patched.body
    assert patched.body["consent"]["topics"]["email"]["newsletter"]["status"] == "opted_in"  # kept by the merge
    put_consent(contact["id"], channel="email", topic="newsletter", status="opted_out", source="unsubscribe_link")
    entries = history(contact["id"])
    assert [(e["topic"], e["status"], e["source"]) for e in entries] == [
        ("newsletter", "opted_out", "unsubscribe_link"),
        (None, "opted_in", "phone_call"),
        ("newsletter", "opted_in", "web_form"),
    ]
    assert given(entries[2]).items() >= PROOF.items() and entries[0]["form_id"] is None
    current = call("getContact", record_id=contact["id"]).body["consent"]
    assert current["topics"]["email"]["newsletter"]["status"] == entries[0]["status"]


def test_the_history_pages_with_a_cursor_bound_to_the_contact():
    contact = create("createContact", last_name="Zhora")
    for status in ("opted_in", "opted_out", "opted_in"):
        assert put_consent(contact["id"], channel="sms", status=status).status == 200
    first = call("listConsentHistory", record_id=contact["id"], query={"limit": "2"})
    assert [e["status"] for e in first.body["items"]] == ["opted_in", "opted_out"]
    rest = call("listConsentHistory", record_id=contact["id"], query={"cursor": first.body["next_cursor"]})
    assert [e["status"] for e in rest.body["items"]] == ["opted_in"] and rest.body["next_cursor"] is None
    other = create("createContact", last_name="Leon")
    moved = call("listConsentHistory", record_id=other["id"], query={"cursor": first.body["next_cursor"]})
    assert moved.status == 400


def test_a_write_that_changes_no_consent_adds_no_entry():
    contact = create(
        "createContact", last_name="Pris", consent={"sms": {"status": "opted_in", "at": AT, "source": "import"}}
    )
    reply = call("updateContact", record_id=contact["id"], headers={"If-Match": '"1"'}, body={"job_title": "Model"})
    assert reply.status == 200
    assert len(history(contact["id"])) == 1


@pytest.mark.parametrize("existing", [False, True], ids=["new contact", "existing contact"])
def test_a_topic_the_tenant_does_not_offer_is_a_422_naming_it_and_nothing_is_written(existing: bool):
    topics("newsletter")
    consent = {"topics": {"email": {"offers": {"status": "opted_in", "at": AT, "source": "api"}}}}
    if existing:
        contact = create("createContact", last_name="Deckard")
        reply = call("updateContact", record_id=contact["id"], headers={"If-Match": '"1"'}, body={"consent": consent})
        assert history(contact["id"]) == []
    else:
        reply = call(
            "createContact", body={"last_name": "Deckard", "consent": consent}, headers={"Idempotency-Key": None}
        )
    assert reply.status == 422, reply.body
    assert [error["field"] for error in reply.body["errors"]] == ["consent.topics.email.offers"]


def test_put_consent_with_an_undeclared_topic_or_bad_fields_is_a_422_naming_them():
    topics("newsletter")
    contact = create("createContact", last_name="Gaff")
    unknown = put_consent(contact["id"], channel="email", topic="offers", status="opted_in")
    assert unknown.status == 422 and unknown.body["errors"][0]["field"] == "consent.topics.email.offers"
    bad = put_consent(
        contact["id"], channel="fax", status="maybe", basis="whim", source="psychic", at="2100-01-01T00:00:00Z"
    )
    assert bad.status == 422
    assert {"channel", "status", "basis", "source", "at"} <= {error["field"] for error in bad.body["errors"]}
    assert history(contact["id"]) == []


def test_a_declared_topic_stays_on_a_contact_after_the_tenant_stops_offering_it():
    topics("newsletter")
    contact = create("createContact", last_name="Holden")
    assert put_consent(contact["id"], channel="email", topic="newsletter", status="opted_in").status == 200
    reply = call("putMarketingSettings", MANAGER, body={"topics": ["offers"]}, headers={"If-Match": '"1"'})
    assert reply.status == 200
    later = put_consent(contact["id"], channel="email", status="opted_in")
    assert later.status == 200 and "newsletter" in later.body["consent"]["topics"]["email"]


def test_the_marketing_settings_are_a_settings_document():
    read = call("getMarketingSettings")
    assert read.status == 200 and read.body["topics"] == [] and read.body["double_opt_in"] is False
    assert (
        call("putMarketingSettings", Staff().as_("sales"), body={"topics": []}, headers={"If-Match": '"0"'}).status
        == 403
    )
    repeated = call("putMarketingSettings", MANAGER, body={"topics": ["news", "news"]}, headers={"If-Match": '"0"'})
    assert repeated.status == 422 and repeated.body["errors"][0]["field"] == "topics"
    bad_name = call("putMarketingSettings", MANAGER, body={"topics": ["News Letter"]}, headers={"If-Match": '"0"'})
    assert bad_name.status == 422


def test_erasing_the_contact_erases_its_ledger():
    from rapport.consent import store

    contact = create(
        "createContact", last_name="Eldon", consent={"sms": {"status": "opted_in", "at": AT, "source": "import"}}
    )
    assert store.entry_items("tenant-a", contact["id"])
    reply = call(
        "deleteContact",
        Staff().as_("admin"),
        record_id=contact["id"],
        query={"permanent": "true"},
        headers={"If-Match": '"1"'},
    )
    assert reply.status == 204, reply.body
    assert store.entry_items("tenant-a", contact["id"]) == []
