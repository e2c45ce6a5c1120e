"""The notifier re-checks consent at send time: marketing (a request with a topic) needs the topic opted in, a
transactional message the channel; an opt-out between two sends stops the second."""

from __future__ import annotations

import email
import email.policy
import re
from collections.abc import Iterator
from typing import Any

import boto3  # type: ignore[import-untyped]
import pytest
from moto.core.models import DEFAULT_ACCOUNT_ID
from moto.ses.models import ses_backends
from notifier import handler as notifier

from rapport import aws, config
from rapport.consent import links
from rapport.consent.links import Purpose
from tools.lambda_api import LambdaContext, Staff, call, create

REGION = "eu-west-1"
SENDER = "crm@rapport.example"
CONTEXT: Any = LambdaContext()
AT = "2026-01-05T10:00:00Z"
POSTAL = "Tyrell Corp, 1 Pyramid Way, Los Angeles"
PUBLIC_URL = "https://api.rapport.example"


@pytest.fixture(autouse=True)
def _ses(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    monkeypatch.setenv("SENDER_EMAIL", SENDER)
    monkeypatch.setenv("PUBLIC_URL", PUBLIC_URL)
    config.reload()
    aws.reset()
    boto3.client("ses", region_name=REGION).verify_email_identity(EmailAddress=SENDER)
    settings = {"topics": ["newsletter"], "postal_address": POSTAL}
    assert (
        call("putMarketingSettings", Staff().as_("manager"), body=settings, headers={"If-Match": '"0"'}).status == 200
    )
    yield
    config.reload()
    aws.reset()


def sent() -> list[Any]:
    return list(ses_backends[DEFAULT_ACCOUNT_ID][REGION].sent_messages)


def sent_to() -> list[str]:
    """Who each email went to: a raw one (marketing) lists its destinations, a simple one by kind."""
    return [
        address
        for message in sent()
        for address in (
            message.destinations["ToAddresses"] if isinstance(message.destinations, dict) else message.destinations
        )
    ]


def person(email: str, channel: str | None, topic: str | None) -> str:
    consent: dict[str, Any] = {}
    if channel:
        consent["email"] = {"status": channel, "at": AT, "source": "web_form"}
    if topic:
        consent["topics"] = {"email": {"newsletter": {"status": topic, "at": AT, "source": "web_form"}}}
    return str(create("createContact", last_name="Tyrell", email=email, consent=consent)["id"])


def send(contact_id: str, dedupe_key: str, topic: str | None) -> dict[str, Any]:
    detail = {
        "tenant_id": "tenant-a",
        "recipient": {"type": "contact", "id": contact_id},
        "template": "appointment_reminder",
        "context": {"appointment": {"title": "Demo", "starts_at": "2026-11-23T14:00:00Z"}},
        "channel": "email",
        "dedupe_key": dedupe_key,
        **({"topic": topic} if topic else {}),
    }
    event = {"detail-type": "notification.requested", "source": "rapport.workflows", "detail": detail}
    [outcome] = notifier.lambda_handler(event, CONTEXT)["outcomes"]
    return dict(outcome)


@pytest.mark.parametrize(
    ("channel", "topic", "marketing", "transactional"),
    [
        ("opted_in", "opted_in", "sent", "sent"),
        ("opted_in", "pending", "skipped", "sent"),
        ("opted_in", None, "skipped", "sent"),
        (None, "opted_in", "sent", "skipped"),
        ("pending", "opted_in", "sent", "skipped"),
        ("opted_out", "opted_in", "skipped", "skipped"),
        (None, None, "skipped", "skipped"),
        ("opted_in", "opted_out", "skipped", "sent"),
    ],
)
def test_marketing_needs_the_topic_and_transactional_mail_the_channel(channel, topic, marketing, transactional):
    contact_id = person("rachael@tyrell.example", channel, topic)
    assert send(contact_id, "m-1", "newsletter")["status"] == marketing
    assert send(contact_id, "t-1", None)["status"] == transactional


def test_a_pending_subscription_says_why_it_is_not_mailed():
    contact_id = person("pris@tyrell.example", "opted_in", "pending")
    outcome = send(contact_id, "m-1", "newsletter")
    assert outcome["status"] == "skipped" and "newsletter" in outcome["reason"] and "pending" in outcome["reason"]
    assert sent_to() == []


def test_an_opt_out_between_two_sends_stops_the_second():
    contact_id = person("zhora@tyrell.example", "opted_in", "opted_in")
    assert send(contact_id, "step-1", "newsletter")["status"] == "sent"
    change = {"channel": "email", "topic": "newsletter", "status": "opted_out", "source": "unsubscribe_link"}
    assert call("putContactConsent", record_id=contact_id, body=change).status == 200
    assert send(contact_id, "step-2", "newsletter")["status"] == "skipped"
    assert sent_to() == ["zhora@tyrell.example"]


def test_a_marketing_email_carries_the_one_click_unsubscribe_and_the_postal_address_and_a_transactional_one_neither():
    contact_id = person("rachael@tyrell.example", "opted_in", "opted_in")
    assert send(contact_id, "m-1", "newsletter")["status"] == "sent"
    assert send(contact_id, "t-1", None)["status"] == "sent"
    marketing, transactional = sent()
    mail = email.message_from_string(marketing.raw_data, policy=email.policy.default)
    [url] = re.findall(r"^<(https://[^>]+)>$", mail["List-Unsubscribe"])
    assert url.startswith(f"{PUBLIC_URL}/public/unsubscribe/")
    assert mail["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    assert mail["To"] == "rachael@tyrell.example" and mail["Subject"]
    link = links.read(url.rpartition("/")[2], Purpose.UNSUBSCRIBE)
    assert (link.tenant_id, link.contact_id, link.channel, link.topic) == (
        "tenant-a",
        contact_id,
        "email",
        "newsletter",
    )
    for part in ("plain", "html"):
        body = mail.get_body(preferencelist=(part,))
        assert body is not None and POSTAL in body.get_content() and url in body.get_content()
    assert not hasattr(transactional, "raw_data")  # a simple SendEmail: no header of ours
    assert POSTAL not in transactional.body and "unsubscribe" not in transactional.body.lower()


def test_the_one_click_post_of_the_mail_s_header_unsubscribes_and_the_next_marketing_mail_is_not_sent():
    contact_id = person("pris@tyrell.example", "opted_in", "opted_in")
    assert send(contact_id, "m-1", "newsletter")["status"] == "sent"
    [mail] = sent()
    url = email.message_from_string(mail.raw_data, policy=email.policy.default)["List-Unsubscribe"].strip("<>")
    reply = call(
        "unsubscribe",
        None,
        path={"token": url.rpartition("/")[2]},
        body="List-Unsubscribe=One-Click",
        headers={"Content-Type": "application/x-www-form-urlencoded"},
    )
    assert reply.status == 200, reply.body
    outcome = send(contact_id, "m-2", "newsletter")
    assert outcome["status"] == "skipped" and "newsletter" in outcome["reason"]
    assert send(contact_id, "t-1", None)["status"] == "sent"  # transactional mail still goes


def test_without_a_postal_address_no_marketing_email_is_sent():
    manager = Staff().as_("manager")
    etag = call("getMarketingSettings", manager).headers["etag"]
    body = {"topics": ["newsletter"]}
    assert call("putMarketingSettings", manager, body=body, headers={"If-Match": etag}).status == 200
    contact_id = person("leon@tyrell.example", "opted_in", "opted_in")
    outcome = send(contact_id, "m-1", "newsletter")
    assert outcome["status"] == "skipped" and "postal_address" in outcome["reason"]
    assert send(contact_id, "t-1", None)["status"] == "sent"
    assert sent_to() == ["leon@tyrell.example"]
