"""The pages of messages' links under moto: a GET changes nothing, a POST unsubscribes at once (RFC 8058
one-click), the preference page sets topics in one write; a token not ours, changed or for something else is a
400 naming it; the token's tenant is the only one touched."""

from __future__ import annotations

from typing import Any

import pytest

from rapport.consent import links
from rapport.consent.links import Link, Purpose
from tools.lambda_api import Staff, call, create

AT = "2026-01-05T10:00:00Z"
FORM: dict[str, str | None] = {"Content-Type": "application/x-www-form-urlencoded"}
BROWSER: dict[str, str | None] = {"sourceIp": "198.51.100.23", "userAgent": "Mozilla/5.0 (X11)"}


@pytest.fixture(autouse=True)
def _topics() -> None:
    body = {"topics": ["newsletter", "offers"]}
    assert call("putMarketingSettings", Staff().as_("manager"), body=body, headers={"If-Match": '"0"'}).status == 200


def subscriber(email: str = "rachael@tyrell.example", *topics: str) -> str:
    state = {"status": "opted_in", "at": AT, "source": "web_form"}
    consent: dict[str, Any] = {"email": state}
    if topics:
        consent["topics"] = {"email": dict.fromkeys(topics, state)}
    return str(create("createContact", last_name="Rosen", email=email, consent=consent)["id"])


def token(contact_id: str, topic: str | None = "newsletter", purpose: Purpose = Purpose.UNSUBSCRIBE) -> str:
    return links.token(Link(purpose, "tenant-a", contact_id, "email", topic))


def history(contact_id: str) -> list[dict[str, Any]]:
    return list(call("listConsentHistory", record_id=contact_id).body["items"])


def consent_of(contact_id: str) -> dict[str, Any]:
    return dict(call("getContact", record_id=contact_id).body["consent"])


def page(operation: str, value: str, body: str | None = None) -> Any:
    headers = FORM if body is not None else None
    return call(operation, None, path={"token": value}, body=body, headers=headers, identity=BROWSER)


def test_a_get_of_the_unsubscribe_link_shows_a_page_and_changes_nothing():
    contact_id = subscriber("rachael@tyrell.example", "newsletter")
    before = (consent_of(contact_id), history(contact_id))
    reply = page("getUnsubscribePage", token(contact_id))
    assert reply.status == 200 and reply.headers["content-type"].startswith("text/html")
    assert "r***@tyrell.example" in reply.body and "newsletter" in reply.body and 'method="post"' in reply.body
    assert (consent_of(contact_id), history(contact_id)) == before


@pytest.mark.parametrize("body", ["List-Unsubscribe=One-Click", ""], ids=["one-click", "empty body"])
def test_a_post_unsubscribes_from_the_topic_at_once_with_its_proof(body: str):
    contact_id = subscriber("rachael@tyrell.example", "newsletter", "offers")
    reply = page("unsubscribe", token(contact_id), body)
    assert reply.status == 200, reply.body
    assert "r***@tyrell.example" in reply.body and "newsletter" in reply.body
    consent = consent_of(contact_id)
    assert consent["topics"]["email"]["newsletter"]["status"] == "opted_out"
    assert consent["topics"]["email"]["offers"]["status"] == "opted_in"  # only the link's topic
    assert consent["email"]["status"] == "opted_in"  # transactional mail still reaches them
    [latest, *_] = history(contact_id)
    assert (latest["topic"], latest["status"], latest["source"]) == ("newsletter", "opted_out", "unsubscribe_link")
    assert (latest["ip"], latest["user_agent"], latest["recorded_by"]) == (
        "198.51.100.23",
        "Mozilla/5.0 (X11)",
        "subscriber",
    )


def test_a_link_without_a_topic_unsubscribes_from_the_channel():
    contact_id = subscriber("pris@tyrell.example")
    assert page("unsubscribe", token(contact_id, topic=None), "List-Unsubscribe=One-Click").status == 200
    assert consent_of(contact_id)["email"]["status"] == "opted_out"


def test_unsubscribing_twice_adds_one_entry():
    contact_id = subscriber("zhora@tyrell.example", "newsletter")
    for _ in range(2):
        assert page("unsubscribe", token(contact_id), "List-Unsubscribe=One-Click").status == 200
    assert [e["status"] for e in history(contact_id) if e["topic"] == "newsletter"] == ["opted_out", "opted_in"]


def test_a_mail_client_s_multipart_one_click_unsubscribes_too():
    contact_id = subscriber("leon@tyrell.example", "newsletter")
    body = '--b\r\nContent-Disposition: form-data; name="List-Unsubscribe"\r\n\r\nOne-Click\r\n--b--\r\n'
    headers: dict[str, str | None] = {"Content-Type": "multipart/form-data; boundary=b"}
    reply = call("unsubscribe", None, path={"token": token(contact_id)}, body=body, headers=headers)
    assert reply.status == 200, reply.body
    assert consent_of(contact_id)["topics"]["email"]["newsletter"]["status"] == "opted_out"


def _tampered(value: str) -> str:
    payload, _, signature = value.partition(".")
    return f"{payload[:-2]}{'A' if payload[-2] != 'A' else 'B'}{payload[-1]}.{signature}"


# The preference page also takes a confirmation's link (double opt-in: tests/integration/test_double_opt_in.py).
FAULTS = {
    "getUnsubscribePage": ("changed", "forged", "for a confirmation", "not a token"),
    "unsubscribe": ("changed", "forged", "for a confirmation", "not a token"),
    "getPreferencesPage": ("changed", "forged", "not a token"),
    "savePreferences": ("changed", "forged", "not a token"),
}


@pytest.mark.parametrize(
    ("operation", "fault"), [(operation, fault) for operation, faults in FAULTS.items() for fault in faults]
)
def test_a_token_that_is_not_ours_is_a_400_naming_it_and_changes_nothing(operation: str, fault: str):
    contact_id = subscriber("batty@tyrell.example", "newsletter")
    good = token(contact_id)
    value = {
        "changed": _tampered(good),
        "forged": good.partition(".")[0] + "." + "A" * 43,
        "for a confirmation": token(contact_id, purpose=Purpose.CONFIRM),
        "not a token": "hello",
    }[fault]
    reply = page(operation, value, "List-Unsubscribe=One-Click" if operation == "unsubscribe" else None)
    assert reply.status in (400, 422), reply.body
    assert reply.headers["content-type"] == "application/problem+json"
    assert reply.body["errors"][0]["field"] == "token"
    assert consent_of(contact_id)["topics"]["email"]["newsletter"]["status"] == "opted_in"


def test_a_link_to_a_contact_no_longer_on_file_is_a_404():
    contact_id = subscriber("gaff@tyrell.example", "newsletter")
    assert call("deleteContact", Staff().as_("admin"), record_id=contact_id, headers={"If-Match": '"1"'}).status == 204
    assert page("getUnsubscribePage", token(contact_id)).status == 404
    assert page("unsubscribe", token(contact_id), "List-Unsubscribe=One-Click").status == 404


def test_a_token_works_only_in_its_own_tenant():
    contact_id = subscriber("deckard@tyrell.example", "newsletter")
    other = links.token(Link(Purpose.UNSUBSCRIBE, "tenant-b", contact_id, "email", "newsletter"))
    assert page("unsubscribe", other, "List-Unsubscribe=One-Click").status == 404
    assert consent_of(contact_id)["topics"]["email"]["newsletter"]["status"] == "opted_in"


def test_the_preference_page_shows_the_topics_and_saves_the_choice_in_one_write():
    contact_id = subscriber("tyrell@tyrell.example", "newsletter")
    shown = page("getPreferencesPage", token(contact_id))
    assert shown.status == 200
    assert 'value="newsletter" checked' in shown.body and 'value="offers">' in shown.body
    saved = page("savePreferences", token(contact_id), "topic=offers")
    assert saved.status == 200 and 'value="offers" checked' in saved.body
    topics = consent_of(contact_id)["topics"]["email"]
    assert (topics["newsletter"]["status"], topics["offers"]["status"]) == ("opted_out", "opted_in")
    assert topics["offers"]["source"] == "portal"
    changes = [(e["topic"], e["status"]) for e in history(contact_id)[:2]]
    assert sorted(changes) == [("newsletter", "opted_out"), ("offers", "opted_in")]
    again = page("savePreferences", token(contact_id), "topic=offers")
    assert again.status == 200 and len(history(contact_id)) == 4  # nothing changed, nothing recorded


def test_the_preference_page_refuses_a_topic_the_tenant_does_not_offer():
    contact_id = subscriber("sebastian@tyrell.example", "newsletter")
    reply = page("savePreferences", token(contact_id), "topic=newsletter&topic=casino")
    assert reply.status == 422 and reply.body["errors"][0]["field"] == "topic"
    assert consent_of(contact_id)["topics"]["email"]["newsletter"]["status"] == "opted_in"


@pytest.mark.parametrize(
    ("content_type", "body"),
    [("multipart/form-data", ""), ("multipart/form-data", "topic=offers"), ("multipart/form-data; boundary=b", "--x")],
    ids=["no boundary, empty", "no boundary", "not its boundary"],
)
@pytest.mark.parametrize("operation", ["unsubscribe", "savePreferences"])
def test_a_multipart_body_that_cannot_be_split_is_a_400_and_changes_nothing(
    operation: str, content_type: str, body: str
):
    contact_id = subscriber("holden@tyrell.example", "newsletter")
    headers: dict[str, str | None] = {"Content-Type": content_type}
    reply = call(operation, None, path={"token": token(contact_id)}, body=body or None, headers=headers)
    assert reply.status == 400, reply.body
    assert consent_of(contact_id)["topics"]["email"]["newsletter"]["status"] == "opted_in"
