"""The notifier under moto: consent, SES and SNS sends, the timeline, dedupe, failures, and SES feedback."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import boto3  # type: ignore[import-untyped]
import pytest
from moto.core.models import DEFAULT_ACCOUNT_ID
from moto.ses.models import ses_backends
from moto.sns.models import sns_backends
from notifier import handler as notifier
from ses_feedback import handler as ses_feedback

from rapport import aws
from rapport.dal.keys import IndexKeys
from rapport.dal.repository import Record, write
from rapport.locales import Locale
from rapport.notifications.requests import NotificationRequest
from rapport.users.manifest import USER
from tools.lambda_api import LambdaContext, Staff, call, create

REGION = "eu-west-1"
CONTEXT: Any = LambdaContext()
SENDER = "crm@rapport.example"
CONSENT_AT = "2026-01-05T10:00:00Z"


@pytest.fixture(autouse=True)
def _ses(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    monkeypatch.setenv("SENDER_EMAIL", SENDER)
    monkeypatch.setenv("SES_CONFIGURATION_SET", "rapport-test-notifications")
    aws.reset()
    boto3.client("ses", region_name=REGION).verify_email_identity(EmailAddress=SENDER)
    yield
    aws.reset()


def sent_emails() -> list[Any]:
    return list(ses_backends[DEFAULT_ACCOUNT_ID][REGION].sent_messages)


def sent_sms() -> list[tuple[str, str]]:
    return [(phone, text) for phone, text, *_ in sns_backends[DEFAULT_ACCOUNT_ID][REGION].sms_messages.values()]


def contact(**consent: str) -> dict[str, Any]:
    return create(
        "createContact",
        first_name="Rachael",
        last_name="Rosen",
        email="rachael@tyrell.example",
        phone="+14155550199",
        consent={
            channel: {"status": status, "at": CONSENT_AT, "source": "web_form"} for channel, status in consent.items()
        },
    )


def staff_user(user_id: str = "u-ada", **data: Any) -> None:
    now = "2026-01-05T10:00:00Z"
    profile = {"email": "ada@seller.example", "phone": "+447700900123", "notify_by": ["email"], **data}
    write(Record(USER, user_id, "tenant-a", profile, now, "test", now, "test"), IndexKeys())


def request(
    recipient_type: str, recipient_id: str, template: str = "appointment_reminder", **fields: Any
) -> dict[str, Any]:
    detail = NotificationRequest.model_validate(
        {
            "tenant_id": "tenant-a",
            "recipient": {"type": recipient_type, "id": recipient_id},
            "template": template,
            "context": {
                "appointment": {"title": "Demo <live>", "starts_at": "2026-11-23T14:00:00Z", "location": "Online"},
                "organizer": {"name": "Grace"},
            },
            "dedupe_key": "appt-1:24h",
            **fields,
        }
    ).model_dump(mode="json")
    return {
        "version": "0",
        "id": "event-1",
        "detail-type": "notification.requested",
        "source": "rapport.workflows",
        "account": DEFAULT_ACCOUNT_ID,
        "time": "2026-11-22T14:00:00Z",
        "region": REGION,
        "resources": [],
        "detail": detail,
    }


def notify(event: dict[str, Any]) -> list[dict[str, Any]]:
    return list(notifier.lambda_handler(event, CONTEXT)["outcomes"])


def timeline(contact_id: str) -> list[dict[str, Any]]:
    reply = call("listContactTimeline", record_id=contact_id)
    assert reply.status == 200, reply.body
    return list(reply.body["items"])


def test_a_consenting_contact_gets_the_email_and_it_is_in_their_timeline():
    person = contact(email="opted_in")
    [outcome] = notify(request("contact", person["id"]))
    assert outcome["status"] == "sent" and outcome["channel"] == "email"
    [message] = sent_emails()
    assert message.source == SENDER
    assert message.destinations["ToAddresses"] == ["rachael@tyrell.example"]
    assert message.subject == "Reminder: Demo <live>, Mon, Nov 23, 2026, 2:00 PM UTC"  # the tenant's default
    assert "Demo &lt;live&gt;" in message.body  # moto keeps the HTML body: values escaped
    [entry] = timeline(person["id"])
    assert entry["type"] == "email" and entry["direction"] == "outbound"
    assert entry["subject"] == message.subject
    assert entry["template"] == "appointment_reminder"
    assert entry["created_by"] == "notifier"


def test_a_contact_without_consent_gets_nothing_and_the_outcome_says_why():
    person = contact(email="opted_out")
    email, sms = notify(request("contact", person["id"]))  # no channel asked: each one's reason
    assert (email["channel"], email["status"]) == ("email", "skipped")
    assert "not opted in to email (opted_out)" in email["reason"]
    assert "not opted in to sms (no consent recorded)" in sms["reason"]
    none_recorded = create("createContact", last_name="Nobody", email="no@body.example")
    [outcome] = notify(request("contact", none_recorded["id"], channel="email"))
    assert "no consent recorded" in outcome["reason"]
    assert sent_emails() == [] and sent_sms() == []
    assert timeline(person["id"]) == [] and timeline(none_recorded["id"]) == []


def test_sms_goes_through_sns_to_a_contact_who_opted_in_to_sms_only():
    person = contact(email="opted_out", sms="opted_in")
    [outcome] = notify(request("contact", person["id"]))  # no channel asked: the first one allowed
    assert outcome["status"] == "sent" and outcome["channel"] == "sms"
    [(phone, text)] = sent_sms()
    assert phone == "+14155550199"
    assert text.startswith("Reminder: Demo <live>, Mon")  # SMS is plain text: nothing escaped
    [entry] = timeline(person["id"])
    assert entry["type"] == "sms" and entry["subject"] is None
    [outcome] = notify(request("contact", person["id"], channel="email", dedupe_key="other"))
    assert outcome["status"] == "skipped"


def test_a_redelivered_request_sends_once():
    person = contact(email="opted_in")
    event = request("contact", person["id"])
    assert [o["status"] for o in notify(event)] == ["sent"]
    assert [o["status"] for o in notify(event)] == ["duplicate"]
    assert len(sent_emails()) == 1
    assert len(timeline(person["id"])) == 1
    other_key = request("contact", person["id"], dedupe_key="appt-1:1h")
    assert [o["status"] for o in notify(other_key)] == ["sent"]


def test_staff_users_get_it_on_each_channel_of_their_profile_using_the_tenants_template():
    staff_user(notify_by=["email", "sms"], name="Ada Lovelace")
    body = {"subject": "Lead for {{ recipient.first_name }}: {{ lead.name }}", "text": "{{ lead.name }}"}
    saved = call(
        "putNotificationTemplate",
        Staff().as_("admin"),
        path={"name": "lead_assigned", "channel": "email"},
        body=body,
        headers={"If-Match": '"0"'},
    )
    assert saved.status == 200
    context = {"lead": {"name": "Rachael"}, "link": "/leads/L1"}
    event = request("user", "u-ada", template="lead_assigned", context=context)
    outcomes = notify(event)
    assert [(o["channel"], o["status"]) for o in outcomes] == [("email", "sent"), ("sms", "sent")]
    [message] = sent_emails()
    assert message.subject == "Lead for Ada: Rachael"
    assert message.destinations["ToAddresses"] == ["ada@seller.example"]
    [(phone, text)] = sent_sms()
    assert phone == "+447700900123" and "Rachael" in text


def test_a_missing_profile_or_unknown_template_sends_nothing_and_says_why():
    [outcome] = notify(request("user", "u-nobody"))
    assert outcome["status"] == "skipped" and "no user u-nobody" in outcome["reason"]
    staff_user()
    [outcome] = notify(request("user", "u-ada", template="no_such_template"))
    assert "no template is named" in outcome["reason"]
    assert sent_emails() == []


def test_an_ses_failure_raises_so_the_platform_retries_and_nothing_is_marked_sent():
    person = contact(email="opted_in")
    boto3.client("ses", region_name=REGION).delete_identity(Identity=SENDER)  # SES now refuses the sender
    event = request("contact", person["id"])
    with pytest.raises(Exception, match="not verified"):
        notify(event)
    assert timeline(person["id"]) == []
    boto3.client("ses", region_name=REGION).verify_email_identity(EmailAddress=SENDER)
    assert [o["status"] for o in notify(event)] == ["sent"]  # the retry sends: nothing was marked


def test_an_invalid_request_is_logged_and_dropped():
    assert notifier.lambda_handler({"detail": {"tenant_id": "t"}}, CONTEXT)["outcomes"] == []


def feedback(message: dict[str, Any]) -> list[dict[str, Any]]:
    event = {"Records": [{"EventSource": "aws:sns", "Sns": {"Message": json.dumps(message)}}]}
    return list(ses_feedback.lambda_handler(event, CONTEXT)["outcomes"])


def ses_event(kind: str, detail: dict[str, Any], tenant: str | None = "tenant-a") -> dict[str, Any]:
    tags = {"rapport_tenant": [tenant]} if tenant else {}
    mail = {"messageId": "m-1", "source": SENDER, "destination": ["rachael@tyrell.example"], "tags": tags}
    return {"eventType": kind, "mail": mail, kind.lower(): detail}


def test_a_permanent_bounce_marks_the_email_invalid_and_no_more_email_goes_to_it():
    person = contact(email="opted_in")
    bounce = {
        "bounceType": "Permanent",
        "bounceSubType": "General",
        "bouncedRecipients": [{"emailAddress": "Rachael@Tyrell.example", "diagnosticCode": "550 5.1.1 user unknown"}],
    }
    [outcome] = feedback(ses_event("Bounce", bounce))
    assert outcome["action"] == "email_invalid" and outcome["contact_id"] == person["id"]
    stored = call("getContact", record_id=person["id"]).body
    assert stored["email_status"]["status"] == "invalid"
    assert "550 5.1.1" in stored["email_status"]["reason"]
    assert stored["updated_by"] == "ses_feedback"
    [outcome] = notify(request("contact", person["id"], channel="email"))
    assert outcome["status"] == "skipped" and "marked invalid" in outcome["reason"]
    assert feedback(ses_event("Bounce", bounce))[0]["action"] == "ignored"  # already recorded

    version = call("getContact", record_id=person["id"]).etag
    changed = call(
        "updateContact", record_id=person["id"], body={"email": "rachael@new.example"}, headers={"If-Match": version}
    )
    assert changed.status == 200, changed.body
    assert "email_status" not in changed.body or changed.body["email_status"] is None


def test_a_transient_bounce_changes_nothing():
    contact(email="opted_in")
    [outcome] = feedback(
        ses_event(
            "Bounce", {"bounceType": "Transient", "bouncedRecipients": [{"emailAddress": "rachael@tyrell.example"}]}
        )
    )
    assert outcome["action"] == "ignored"


def test_a_complaint_opts_the_contact_out_of_email():
    person = contact(email="opted_in", sms="opted_in")
    complaint = {"complainedRecipients": [{"emailAddress": "rachael@tyrell.example"}], "complaintFeedbackType": "abuse"}
    [outcome] = feedback(ses_event("Complaint", complaint))
    assert outcome["action"] == "opted_out"
    consent = call("getContact", record_id=person["id"]).body["consent"]
    assert consent["email"]["status"] == "opted_out" and consent["email"]["source"] == "ses_complaint"
    assert consent["sms"]["status"] == "opted_in"
    latest = call("listConsentHistory", record_id=person["id"]).body["items"][0]
    assert (latest["channel"], latest["status"], latest["source"]) == ("email", "opted_out", "ses_complaint")
    assert latest["recorded_by"] == "ses_feedback"
    [outcome] = notify(request("contact", person["id"], channel="email"))
    assert outcome["status"] == "skipped"


def test_feedback_without_the_tenant_tag_or_for_another_tenant_changes_nothing():
    person = contact(email="opted_in")
    complaint = {"complainedRecipients": [{"emailAddress": "rachael@tyrell.example"}]}
    assert feedback(ses_event("Complaint", complaint, tenant=None))[0]["action"] == "ignored"
    assert feedback(ses_event("Complaint", complaint, tenant="tenant-b"))[0]["action"] == "ignored"
    assert call("getContact", record_id=person["id"]).body["consent"]["email"]["status"] == "opted_in"


LEAD_WITHOUT_COMPANY_OR_PHONE = {
    "lead": {"id": "L1", "name": "Leon Kowalski", "company": "", "email": "leon@tyrell.example", "phone": None},
    "link": "/leads/L1",
}


@pytest.mark.parametrize("channel", ["email", "sms"])
def test_a_lead_without_company_or_phone_reads_well_with_an_absolute_link(channel):
    staff_user(notify_by=[channel], name="Ada Lovelace")
    [outcome] = notify(request("user", "u-ada", template="lead_assigned", context=LEAD_WITHOUT_COMPANY_OR_PHONE))
    assert outcome["status"] == "sent"
    if channel == "sms":
        [(_, text)] = sent_sms()
        assert text == "Rapport: new lead Leon Kowalski. https://crm.test/app/leads/L1"
        return
    [message] = sent_emails()
    assert message.subject == "New lead: Leon Kowalski"
    assert "()" not in message.body and "Phone:" not in message.body and "Company:" not in message.body
    assert "Email: leon@tyrell.example" in message.body
    assert 'href="https://crm.test/app/leads/L1"' in message.body


def test_times_are_in_the_staff_users_time_zone_and_locale():
    staff_user(notify_by=["email"], name="Ada Lovelace", time_zone="America/New_York", locale="en-GB")
    [outcome] = notify(request("user", "u-ada"))
    assert outcome["status"] == "sent"
    [message] = sent_emails()
    assert message.subject == "Reminder: Demo <live>, Mon 23 Nov 2026, 09:00 EST"


def test_times_to_a_customer_are_in_the_tenants_time_zone_and_locale():
    chosen = {"time_zone": "Europe/Berlin", "locale": Locale.DE_DE.value}
    saved = call("putNotificationSettings", Staff().as_("admin"), body=chosen, headers={"If-Match": '"0"'})
    assert saved.status == 200, saved.body
    person = contact(email="opted_in")
    assert [o["status"] for o in notify(request("contact", person["id"]))] == ["sent"]
    [message] = sent_emails()
    assert message.subject == "Reminder: Demo <live>, Mo., 23. Nov. 2026, 15:00 CET"


@pytest.mark.parametrize("title", [None, "", "   "])
@pytest.mark.parametrize("recipient", ["contact", "user"])
def test_a_request_without_a_required_value_is_not_sent_but_recorded_and_not_retried(title, recipient):
    person = contact(email="opted_in")
    staff_user(notify_by=["email"], name="Ada Lovelace")
    recipient_id = person["id"] if recipient == "contact" else "u-ada"
    context = {"appointment": {"title": title, "starts_at": "2026-11-23T14:00:00Z"}}
    event = request(recipient, recipient_id, context=context, channel="email")
    [outcome] = notify(event)  # does not raise: retrying cannot fill the value in
    assert outcome["status"] == "not_sent"
    assert "no value for appointment.title, which appointment_reminder requires" in outcome["reason"]
    assert sent_emails() == []
    [again] = notify(event)
    assert (
        again["status"] == "duplicate"
        and "already refused" in again["reason"]
        and "appointment.title" in again["reason"]
    )
    assert timeline(person["id"]) == []
