"""Double opt-in under moto: with the tenant's `double_opt_in` on, a new email subscription (the channel's or a
topic's, by a contact's create, a patch or the consent API) is stored pending; the contact's event asks the notifier
for the confirmation email, which goes to the pending address; the link's GET changes nothing, its POST confirms
with proof; an expired, changed or other link is a 400 naming `token`."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import boto3  # type: ignore[import-untyped]
import pytest
from consent_events.handler import HANDLED
from consent_events.handler import lambda_handler as consent_events
from moto.core.models import DEFAULT_ACCOUNT_ID
from moto.ses.models import ses_backends
from notifier import handler as notifier

from rapport import aws, config
from rapport.consent import links
from rapport.consent.links import Link, Purpose
from tests.integration.followups import CONTEXT, Bus
from tools.lambda_api import Staff, call, create

AT = "2026-01-05T10:00:00Z"
REGION = "eu-west-1"
SENDER = "crm@rapport.example"
PUBLIC_URL = "https://api.rapport.example"
BROWSER: dict[str, str | None] = {"sourceIp": "203.0.113.9", "userAgent": "Mozilla/5.0 (Macintosh)"}
IN = {"status": "opted_in", "at": AT, "source": "web_form"}


@pytest.fixture(autouse=True)
def _stage(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    for name, value in {"SENDER_EMAIL": SENDER, "PUBLIC_URL": PUBLIC_URL, "EVENT_BUS_NAME": "rapport-test-bus"}.items():
        monkeypatch.setenv(name, value)
    config.reload()
    aws.reset()
    boto3.client("ses", region_name=REGION).verify_email_identity(EmailAddress=SENDER)
    yield
    config.reload()
    aws.reset()


def settings(double_opt_in: bool) -> None:
    body = {"topics": ["newsletter", "offers"], "double_opt_in": double_opt_in}
    assert call("putMarketingSettings", Staff().as_("manager"), body=body, headers={"If-Match": '"0"'}).status == 200


def consent_of(contact_id: str) -> dict[str, Any]:
    return dict(call("getContact", record_id=contact_id).body.get("consent") or {})


def statuses(contact_id: str) -> dict[str, str]:
    consent = consent_of(contact_id)
    found = {channel: consent[channel]["status"] for channel in ("email", "sms") if consent.get(channel)}
    for channel, topics in (consent.get("topics") or {}).items():
        found |= {f"{channel}.{topic}": state["status"] for topic, state in topics.items()}
    return found


def history(contact_id: str) -> list[dict[str, Any]]:
    return list(call("listConsentHistory", record_id=contact_id).body["items"])


def subscriber(address: str = "rachael@tyrell.example", /, **consent: Any) -> str:
    phone = f"+1415555{sum(map(ord, address)) % 10000:04d}"
    return str(create("createContact", last_name="Rosen", email=address, phone=phone, consent=consent)["id"])


def confirm_token(contact_id: str, expires: datetime | None = None) -> str:
    expires = expires or datetime.now(UTC) + timedelta(days=7)
    return links.token(Link(Purpose.CONFIRM, "tenant-a", contact_id, "email", None, expires))


def page(operation: str, token: str) -> Any:
    return call(operation, None, path={"token": token}, identity=BROWSER)


@pytest.mark.parametrize(
    ("double_opt_in", "consent", "expected"),
    [
        (True, {"email": IN}, {"email": "pending"}),
        (True, {"topics": {"email": {"newsletter": IN}}}, {"email.newsletter": "pending"}),
        (True, {"email": IN, "sms": IN}, {"email": "pending", "sms": "opted_in"}),  # SMS needs no confirmation
        (True, {"email": {**IN, "status": "opted_out"}}, {"email": "opted_out"}),
        (True, {"topics": {"sms": {"offers": IN}}}, {"sms.offers": "opted_in"}),
        (
            False,
            {"email": IN, "topics": {"email": {"newsletter": IN}}},
            {"email": "opted_in", "email.newsletter": "opted_in"},
        ),
    ],
    ids=["channel", "topic", "sms-too", "opt-out", "sms-topic", "setting-off"],
)
def test_a_new_contact_s_email_subscription_waits_pending_only_under_double_opt_in(double_opt_in, consent, expected):
    settings(double_opt_in)
    contact_id = subscriber(**consent)
    assert statuses(contact_id) == expected
    recorded = {(entry["channel"], entry["topic"]): entry["status"] for entry in history(contact_id)}
    assert recorded == {
        (name.split(".")[0], name.split(".")[1] if "." in name else None): status for name, status in expected.items()
    }


def test_the_consent_api_and_a_patch_of_an_existing_contact_subscribe_pending_and_keep_what_was_confirmed():
    settings(False)
    confirmed = subscriber("zhora@tyrell.example", email=IN)
    newcomer = subscriber("pris@tyrell.example")
    etag = call("getMarketingSettings", Staff().as_("manager")).headers["etag"]
    body = {"topics": ["newsletter", "offers"], "double_opt_in": True}
    assert call("putMarketingSettings", Staff().as_("manager"), body=body, headers={"If-Match": etag}).status == 200
    change = {"channel": "email", "topic": "newsletter", "status": "opted_in", "source": "api"}
    assert call("putContactConsent", record_id=confirmed, body=change).status == 200
    assert call("putContactConsent", record_id=newcomer, body={**change, "topic": None}).status == 200
    assert statuses(confirmed) == {"email": "opted_in", "email.newsletter": "pending"}  # what held stays
    assert statuses(newcomer) == {"email": "pending"}
    contact = call("getContact", record_id=confirmed).body
    patch = {"consent": {"topics": {"email": {"offers": IN}}}}
    headers = {"If-Match": contact and f'"{contact["version"]}"', "Content-Type": "application/merge-patch+json"}
    assert call("updateContact", record_id=confirmed, body=patch, headers=headers).status == 200
    assert statuses(confirmed)["email.offers"] == "pending"
    again = {"channel": "email", "status": "opted_in", "source": "api"}
    assert call("putContactConsent", record_id=confirmed, body=again).status == 200
    assert statuses(confirmed)["email"] == "opted_in"  # already confirmed: not asked again


def test_the_confirmation_page_changes_nothing_and_its_post_confirms_with_proof():
    settings(True)
    contact_id = subscriber(email=IN, topics={"email": {"newsletter": IN}})
    before = (consent_of(contact_id), history(contact_id))
    shown = page("getPreferencesPage", confirm_token(contact_id))
    assert shown.status == 200 and shown.headers["content-type"].startswith("text/html")
    assert "r***@tyrell.example" in shown.body and "newsletter" in shown.body and 'method="post"' in shown.body
    assert (consent_of(contact_id), history(contact_id)) == before
    done = page("savePreferences", confirm_token(contact_id))
    assert done.status == 200 and "Subscribed" in done.body
    assert statuses(contact_id) == {"email": "opted_in", "email.newsletter": "opted_in"}
    latest = [entry for entry in history(contact_id) if entry["source"] == "double_opt_in"]
    assert {(entry["topic"], entry["status"]) for entry in latest} == {(None, "opted_in"), ("newsletter", "opted_in")}
    assert {(entry["ip"], entry["user_agent"], entry["basis"], entry["recorded_by"]) for entry in latest} == {
        ("203.0.113.9", "Mozilla/5.0 (Macintosh)", "consent", "subscriber")
    }
    twice = page("savePreferences", confirm_token(contact_id))
    assert twice.status == 200 and "Nothing to confirm" in twice.body
    assert len(history(contact_id)) == len(before[1]) + 2


def test_a_confirmation_leaves_an_opt_out_since_alone():
    settings(True)
    contact_id = subscriber(topics={"email": {"newsletter": IN}})
    change = {"channel": "email", "topic": "newsletter", "status": "opted_out", "source": "api"}
    assert call("putContactConsent", record_id=contact_id, body=change).status == 200
    assert "Nothing to confirm" in page("savePreferences", confirm_token(contact_id)).body
    assert statuses(contact_id) == {"email.newsletter": "opted_out"}


@pytest.mark.parametrize("operation", ["getPreferencesPage", "savePreferences"])
def test_an_expired_or_changed_link_is_a_400_naming_the_token_and_changes_nothing(operation):
    settings(True)
    contact_id = subscriber(email=IN)
    valid = confirm_token(contact_id)
    payload, _, signature = valid.partition(".")
    other = json.loads(links._decode(payload))
    other["c"] = subscriber("pris@tyrell.example", email=IN)
    changed = f"{links._encode(json.dumps(other).encode())}.{signature}"
    expired = confirm_token(contact_id, datetime.now(UTC) - timedelta(seconds=1))
    for token in (expired, changed):
        reply = page(operation, token)
        assert reply.status == 400, (token, reply.body)
        assert reply.headers["content-type"] == "application/problem+json"
        assert [error["field"] for error in reply.body["errors"]] == ["token"]
    assert statuses(contact_id) == {"email": "pending"}


def sent() -> list[Any]:
    return list(ses_backends[DEFAULT_ACCOUNT_ID][REGION].sent_messages)


def requests_put(bus: Bus) -> list[dict[str, Any]]:
    """The notification requests the worker puts on the stage's bus (under moto, routed to a queue to read them
    back) for the contact events the table's stream yields."""
    events, sqs = boto3.client("events"), boto3.client("sqs")
    events.create_event_bus(Name="rapport-test-bus")
    queue = sqs.create_queue(QueueName="requests")["QueueUrl"]
    arn = sqs.get_queue_attributes(QueueUrl=queue, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    pattern = {"detail-type": ["notification.requested"]}
    events.put_rule(Name="requests", EventBusName="rapport-test-bus", EventPattern=json.dumps(pattern))
    events.put_targets(Rule="requests", EventBusName="rapport-test-bus", Targets=[{"Id": "q", "Arn": arn}])
    for event in bus.publish_new():
        if event["detail-type"] in HANDLED:
            consent_events(event, CONTEXT)
    messages = sqs.receive_message(QueueUrl=queue, MaxNumberOfMessages=10).get("Messages", [])
    return [json.loads(message["Body"])["detail"] for message in messages]


def test_the_contact_s_event_mails_the_confirmation_to_the_pending_address_and_its_link_confirms():
    settings(True)
    bus = Bus()
    settled = subscriber("zhora@tyrell.example")  # nothing pending: no confirmation
    contact_id = subscriber(email=IN)
    change = {"channel": "email", "topic": "offers", "status": "opted_in", "source": "api"}
    assert call("putContactConsent", record_id=settled, body=change).status == 200
    requests = requests_put(bus)
    assert sorted(request["recipient"]["id"] for request in requests) == sorted([contact_id, settled])
    assert {request["template"] for request in requests} == {"consent_confirmation"}
    for request in requests:
        [outcome] = notifier.lambda_handler({"detail": request}, CONTEXT)["outcomes"]
        assert outcome["status"] == "sent", outcome
    [first, second] = sent()
    mail = next(
        message for message in (first, second) if message.destinations["ToAddresses"] == ["rachael@tyrell.example"]
    )
    [url, *_] = re.findall(rf"{PUBLIC_URL}/public/preferences/([A-Za-z0-9_-]+\.[A-Za-z0-9_-]{{43}})", mail.body)
    assert page("savePreferences", url).status == 200
    assert statuses(contact_id) == {"email": "opted_in"}
    [request] = [request for request in requests if request["recipient"]["id"] == contact_id]
    [outcome] = notifier.lambda_handler({"detail": {**request, "dedupe_key": "again"}}, CONTEXT)["outcomes"]
    assert outcome["status"] == "skipped" and "waits for confirmation" in outcome["reason"]
