"""Email-to-case under moto: SES's notification of an email stored in the inbound mail bucket, through the
function, opens a case (its contact found by the sender's address or created) or adds a public customer message to
the case it answers; attachments are kept and listed; loops and auto-replies never open or touch a case; a
redelivered email is one message."""

from __future__ import annotations

from collections.abc import Iterator
from email.message import EmailMessage
from pathlib import Path
from typing import Any

import boto3  # type: ignore[import-untyped]
import pytest
import requests
from inbound_mail.handler import RAW_PREFIX, lambda_handler
from notifier import handler as notifier

from rapport import config, downloads
from rapport.auth import Caller, Role
from rapport.auth import Customer as PortalCustomer
from rapport.cases import attachments, mail, mailbox, store
from rapport.cases import service as case_service
from rapport.cases.manifest import CASE
from rapport.dal import tenancy
from rapport.notifications.requests import NotificationRequest, Recipient, RecipientType
from rapport.portal import service as portal
from tests.integration.followups import CONTEXT
from tests.integration.stored import summaries_in
from tools.lambda_api import Customer, Staff, call, create

ADMIN = Staff("tenant-a", "root", ("admin",))
OTHER_ADMIN = Staff("tenant-b", "root", ("admin",))
AGENT = Staff("tenant-a", "agent-1", ("support",))
DOMAIN = "inbound.dev.rapport.example"
SUPPORT = f"support+acme@{DOMAIN}"
SENDER = "notifications@dev.rapport.example"
BUCKET = "rapport-test-inbound-mail"
SAMPLES = Path(__file__).resolve().parents[2] / "events" / "mail"


@pytest.fixture(autouse=True)
def inbound(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    monkeypatch.setenv("SENDER_EMAIL", SENDER)
    config.reload()
    boto3.client("s3").create_bucket(Bucket=BUCKET, CreateBucketConfiguration={"LocationConstraint": "eu-west-1"})
    for staff, slug in ((ADMIN, "acme"), (OTHER_ADMIN, "globex")):
        saved = call("putTenantSettings", staff, body={"slug": slug}, headers={"If-Match": '"0"'})
        assert saved.status == 200, saved.body
    yield
    config.reload()


def email(
    subject: str = "My order arrived broken",
    *,
    sender: str = "Rita Rosen <rita@customer.example>",
    to: str = SUPPORT,
    message_id: str = "<first@customer.example>",
    body: str = "The lamp arrived with a cracked shade.",
    **headers: str,
) -> bytes:
    message = EmailMessage()
    message["From"], message["To"], message["Subject"], message["Message-ID"] = sender, to, subject, message_id
    for name, value in headers.items():
        message[name.replace("_", "-")] = value
    message.set_content(body)
    return message.as_bytes()


def deliver(raw: bytes, recipients: tuple[str, ...] = (SUPPORT,), ses_id: str | None = None) -> dict[str, Any]:
    """Store `raw` as the receipt rule's S3 action does, then notify the function as its Lambda action does."""
    ses_id = ses_id or f"ses-{abs(hash(raw))}"
    boto3.client("s3").put_object(Bucket=BUCKET, Key=f"{RAW_PREFIX}{ses_id}", Body=raw)
    notification = {"mail": {"messageId": ses_id}, "receipt": {"recipients": list(recipients)}}
    result = lambda_handler({"Records": [{"eventSource": "aws:ses", "ses": notification}]}, CONTEXT)
    return dict(result["outcomes"][0])


def cases(staff: Staff = AGENT) -> list[dict[str, Any]]:
    return list(call("listCases", staff, query={}).body["items"])


def messages(case_id: str) -> list[dict[str, Any]]:
    return list(call("listCaseMessages", AGENT, record_id=case_id).body["items"])


def contacts(email_address: str) -> list[dict[str, Any]]:
    return list(call("listContacts", AGENT, query={"email": email_address}).body["items"])


def test_an_email_from_a_new_sender_opens_a_case_for_a_new_contact_with_consent_untouched():
    received = deliver(email())
    assert received["outcome"] == "opened"
    [contact] = contacts("rita@customer.example")
    assert (contact["first_name"], contact["last_name"], contact.get("consent")) == ("Rita", "Rosen", None)
    [case] = cases()
    assert (case["id"], case["channel"], case["contact_id"]) == (received["case_id"], "email", contact["id"])
    assert case["subject"] == "My order arrived broken" and case["message_count"] == 1
    [message] = messages(case["id"])
    assert (message["author"], message["visibility"]) == ("customer", "public")
    assert message["body"] == "The lamp arrived with a cracked shade."
    assert cases(Staff("tenant-b", "agent-1", ("support",))) == []


@pytest.mark.parametrize("primary", [True, False], ids=["primary email", "additional email"])
def test_an_email_from_a_known_contact_opens_a_case_on_that_contact(primary: bool):
    emails = {"email": "rita@customer.example"} if primary else {"emails": ["rita@customer.example"]}
    known = create("createContact", ADMIN, last_name="Rosen", **emails)
    received = deliver(email(sender="rita@customer.example"))
    assert received["outcome"] == "opened"
    [case] = cases()
    assert case["contact_id"] == known["id"]
    assert [contact["id"] for contact in contacts("rita@customer.example")] == [known["id"]]


def test_a_contact_in_the_trash_holding_the_address_is_restored_and_gets_the_case():
    trashed = create("createContact", ADMIN, last_name="Rosen", email="rita@customer.example")
    assert call("deleteContact", ADMIN, record_id=trashed["id"], headers={"If-Match": '"1"'}).status == 204
    assert deliver(email())["outcome"] == "opened"
    [case] = cases()
    assert case["contact_id"] == trashed["id"]
    assert call("getContact", AGENT, record_id=trashed["id"]).body["deleted_at"] is None


@pytest.mark.parametrize(
    "threading",
    [
        {"subject": "Re: [CS-1] Re: My order arrived broken"},
        {"subject": "Re: thanks", "In_Reply_To": "<first@customer.example>"},
        {"subject": "Re: thanks", "References": "<other@customer.example> <first@customer.example>"},
    ],
    ids=["case number in the subject", "In-Reply-To", "References"],
)
def test_a_reply_adds_a_public_customer_message_to_its_case(threading: dict[str, str]):
    opened = deliver(email())
    reply = email(message_id="<second@customer.example>", body="A replacement would be perfect.", **threading)
    added = deliver(reply)
    assert (added["outcome"], added["case_id"]) == ("added", opened["case_id"])
    assert len(cases()) == 1
    conversation = messages(opened["case_id"])
    assert [message["body"] for message in conversation] == [
        "The lamp arrived with a cracked shade.",
        "A replacement would be perfect.",
    ]
    assert {(message["author"], message["visibility"]) for message in conversation} == {("customer", "public")}


def test_a_reply_restarts_the_next_response_clock_and_a_staff_reply_is_threaded_by_the_case_number():
    opened = deliver(email())
    staff = {"body": "Sorry! A new shade is on its way.", "visibility": "public"}
    assert call("addCaseMessage", AGENT, record_id=opened["case_id"], body=staff).status == 201
    case = call("getCase", AGENT, record_id=opened["case_id"]).body
    deliver(email(f"Re: [{case['number']}] Re: {case['subject']}", message_id="<third@customer.example>"))
    after = call("getCase", AGENT, record_id=opened["case_id"]).body
    assert after["message_count"] == 3 and after["first_response_at"] == case["first_response_at"]


def test_a_case_number_from_someone_else_opens_their_own_case():
    opened = deliver(email())
    stranger = email("Re: [CS-1] give me the refund", sender="mallory@evil.example", message_id="<m@evil.example>")
    received = deliver(stranger)
    assert received["outcome"] == "opened" and received["case_id"] != opened["case_id"]
    assert len(messages(opened["case_id"])) == 1


@pytest.mark.parametrize(
    ("status", "after"), [("open", "open"), ("on_hold", "on_hold"), ("pending", "open"), ("resolved", "open")]
)
def test_an_answer_moves_a_case_waiting_on_the_customer_or_resolved_back_to_open(status: str, after: str):
    opened = deliver(email())
    version = call("getCase", AGENT, record_id=opened["case_id"]).etag
    change = {"status": status, "resolution": "Replaced." if status == "resolved" else None}
    updated = call("updateCase", AGENT, record_id=opened["case_id"], body=change, headers={"If-Match": version})
    assert updated.status == 200, updated.body
    assert deliver(email("Re: [CS-1] still broken", message_id="<again@customer.example>"))["outcome"] == "added"
    case = call("getCase", AGENT, record_id=opened["case_id"]).body
    assert (case["status"], case["resolved_at"]) == (after, None)


@pytest.mark.parametrize(("status", "answered"), [("pending", True), ("resolved", True), ("closed", False)])
def test_an_answer_to_a_closed_case_opens_a_new_case(status: str, answered: bool):
    opened = deliver(email())
    version = call("getCase", AGENT, record_id=opened["case_id"]).etag
    change = {"status": status, "resolution": "Replaced."}
    updated = call("updateCase", AGENT, record_id=opened["case_id"], body=change, headers={"If-Match": version})
    assert updated.status == 200, updated.body
    by_number = deliver(email("Re: [CS-1] thanks", message_id="<by-number@customer.example>"))
    by_reference = deliver(
        email("thanks", message_id="<by-ref@customer.example>", In_Reply_To="<first@customer.example>")
    )
    assert [by_number["case_id"] == opened["case_id"], by_reference["case_id"] == opened["case_id"]] == [answered] * 2


def test_a_case_number_of_a_trashed_case_opens_a_new_case():
    opened = deliver(email())
    version = call("getCase", AGENT, record_id=opened["case_id"]).etag
    assert call("deleteCase", ADMIN, record_id=opened["case_id"], headers={"If-Match": version}).status == 204
    received = deliver(email("Re: [CS-1] still broken", message_id="<again@customer.example>"))
    assert received["outcome"] == "opened" and received["case_id"] != opened["case_id"]


@pytest.mark.parametrize("reply", [False, True], ids=["new case", "reply"])
def test_a_redelivered_email_is_one_message(reply: bool):
    first = deliver(email())
    raw = email("Re: [CS-1]", message_id="<second@customer.example>") if reply else email()
    again = deliver(raw, ses_id="ses-other") if reply else first
    repeated = deliver(raw, ses_id="ses-redelivered")
    assert repeated["outcome"] == "duplicate"
    assert (repeated["case_id"], repeated["message_id"]) == (again["case_id"], again["message_id"])
    assert len(cases()) == 1
    assert len(messages(first["case_id"])) == (2 if reply else 1)


def test_an_email_whose_case_was_written_but_not_its_message_gets_its_message_on_redelivery():
    raw = email()
    contact_id = create("createContact", ADMIN, last_name="Rosen", email="rita@customer.example")["id"]
    with tenancy.tenant_scope("tenant-a"):
        case_id = mailbox._opened(mailbox._caller("tenant-a"), mail.parse(raw, (SUPPORT,)), contact_id)
    assert messages(case_id) == []
    received = deliver(raw)
    assert (received["outcome"], received["case_id"]) == ("opened", case_id)
    assert len(messages(case_id)) == 1 and len(cases()) == 1


def with_attachments(*files: tuple[str, str, bytes], message_id: str = "<photos@customer.example>") -> bytes:
    """An email from Rita with the `files` (filename, content type, content) attached."""
    message = EmailMessage()
    message["From"], message["To"], message["Subject"] = "rita@customer.example", SUPPORT, "Photos"
    message["Message-ID"] = message_id
    message.set_content("Photos attached.")
    for filename, content_type, content in files:
        maintype, subtype = content_type.split("/")
        message.add_attachment(content, maintype=maintype, subtype=subtype, filename=filename)
    return message.as_bytes()


def test_attachments_are_kept_and_listed_and_one_over_the_cap_is_listed_only():
    huge = b"x" * (mailbox.MAX_ATTACHMENT_BYTES + 1)
    received = deliver(
        with_attachments(
            ("crack 1.png", "image/png", b"\x89PNG small"), ("video.bin", "application/octet-stream", huge)
        )
    )
    [stored] = messages(received["case_id"])
    small, large = stored["attachments"]
    assert (small["filename"], small["content_type"], small["size"]) == ("crack 1.png", "image/png", 10)
    kept = boto3.client("s3").get_object(Bucket=BUCKET, Key=small["key"])
    assert kept["Body"].read() == b"\x89PNG small" and small["key"].startswith("attachments/tenant-a/")
    assert (large["filename"], large["size"], large.get("key"), large["url"]) == ("video.bin", len(huge), None, None)


NAMES = ["crack 1.png", 'Rita\'s "cracked" shade.png', "café crème.png", "фото трещины.png"]


@pytest.mark.parametrize("filename", NAMES, ids=["spaces", "quotes", "accents", "cyrillic"])
def test_a_kept_attachment_s_url_downloads_its_bytes_under_its_own_name_and_type(filename: str):
    photo = b"\x89PNG\r\n\x1a\n" + filename.encode()
    case_id = deliver(with_attachments((filename, "image/png", photo)))["case_id"]
    [attachment] = messages(case_id)[0]["attachments"]
    downloaded = requests.get(attachment["url"], timeout=10)
    assert downloaded.status_code == 200 and downloaded.content == photo
    assert downloaded.headers["Content-Type"] == "image/png"
    assert downloaded.headers["Content-Disposition"] == downloads.content_disposition(filename)


def test_a_message_without_attachments_lists_none_and_no_url_is_ever_stored():
    case_id = deliver(with_attachments(("crack.png", "image/png", b"png")))["case_id"]
    staff = {"body": "Thanks for the photo.", "visibility": "public"}
    assert call("addCaseMessage", AGENT, record_id=case_id, body=staff).status == 201
    emailed, reply = messages(case_id)
    assert emailed["attachments"][0]["url"] and reply["attachments"] == []
    stored = summaries_in(CASE, case_id, store.MESSAGE_PREFIX, ADMIN)
    assert [list(item["attachments"][0]) for item in stored.values() if item.get("attachments")] == [
        ["filename", "content_type", "size", "key"]
    ]


def test_the_customer_downloads_their_attachments_in_the_portal_and_sees_no_key_nor_internal_note():
    huge = b"x" * (mailbox.MAX_ATTACHMENT_BYTES + 1)
    photo = b"\x89PNG the crack"
    files = (("crack 1.png", "image/png", photo), ("video.bin", "application/octet-stream", huge))
    case_id = deliver(with_attachments(*files))["case_id"]
    for body, visibility in (("On the churn watch list.", "internal"), ("A new shade is on its way.", "public")):
        message = {"body": body, "visibility": visibility}
        added = call("addCaseMessage", AGENT, record_id=case_id, body=message, headers={"Idempotency-Key": None})
        assert added.status == 201, added.body
    contact_id = call("getCase", AGENT, record_id=case_id).body["contact_id"]
    listed = call("listPortalCaseMessages", Customer(ADMIN.tenant, contact_id), record_id=case_id)
    assert listed.status == 200, listed.body
    emailed, reply = listed.body["items"]
    assert reply["body"] == "A new shade is on its way." and reply["attachments"] == []
    kept, over_the_cap = emailed["attachments"]
    assert set(kept) == {"filename", "content_type", "size", "url"}
    assert (kept["filename"], kept["content_type"], kept["size"]) == ("crack 1.png", "image/png", len(photo))
    assert requests.get(kept["url"], timeout=10).content == photo
    assert over_the_cap == {
        "filename": "video.bin",
        "content_type": "application/octet-stream",
        "size": len(huge),
        "url": None,
    }


class RecordingPresigner:
    def __init__(self) -> None:
        self.keys: list[str] = []

    def download_url(self, key: str, filename: str, content_type: str) -> str:
        self.keys.append(key)
        return f"https://download.test/{key}"


def test_only_a_kept_attachment_is_presigned_and_a_page_without_one_presigns_nothing():
    huge = b"x" * (mailbox.MAX_ATTACHMENT_BYTES + 1)
    case_id = deliver(with_attachments(("video.bin", "application/octet-stream", huge)))["case_id"]
    contact_id = call("getCase", AGENT, record_id=case_id).body["contact_id"]
    agent = Caller(tenant_id=AGENT.tenant, user_id=AGENT.user, roles=frozenset({Role.SUPPORT}))
    presigner = RecordingPresigner()
    with tenancy.tenant_scope(AGENT.tenant):
        [staff_read] = case_service.cases.messages(agent, case_id, limit=10, cursor=None, presigner=presigner).items
        customer = PortalCustomer(AGENT.tenant, contact_id)
        [portal_read] = portal.messages(customer, case_id, limit=10, cursor=None, presigner=presigner).items
    assert presigner.keys == [] and staff_read.attachments[0].url is None and portal_read.attachments[0].url is None

    answer = with_attachments(("crack.png", "image/png", b"png"), message_id="<more@customer.example>")
    deliver(answer.replace(b"Subject: Photos", f"Subject: Re: [{case_number(case_id)}] Photos".encode()))
    with tenancy.tenant_scope(AGENT.tenant):
        case_service.cases.messages(agent, case_id, limit=10, cursor=None, presigner=presigner)
    assert len(presigner.keys) == 1 and presigner.keys[0].startswith(attachments.folder(AGENT.tenant))


def case_number(case_id: str) -> str:
    return str(call("getCase", AGENT, record_id=case_id).body["number"])


LOOPS = {
    "Auto-Submitted auto-replied": {"Auto_Submitted": "auto-replied"},
    "Auto-Submitted auto-generated": {"Auto_Submitted": "auto-generated"},
    "Precedence bulk": {"Precedence": "bulk"},
    "Precedence junk": {"Precedence": "junk"},
    "Precedence list": {"Precedence": "list"},
    "MAILER-DAEMON": {"sender": "MAILER-DAEMON@mx.customer.example"},
    "postmaster": {"sender": "postmaster@customer.example"},
    "our own sender": {"sender": SENDER},
    "a support address": {"sender": f"support+globex@{DOMAIN}"},
}


@pytest.mark.parametrize("reply", [False, True], ids=["new", "reply"])
@pytest.mark.parametrize("headers", LOOPS.values(), ids=LOOPS.keys())
def test_loops_and_auto_replies_never_open_a_case_nor_add_to_one(headers: dict[str, str], reply: bool):
    opened = deliver(email()) if reply else None
    subject = "Re: [CS-1] Out of office" if reply else "Out of office"
    received = deliver(email(subject, message_id="<auto@customer.example>", **headers))
    assert received["outcome"] == "ignored" and received["reason"]
    assert len(cases()) == (1 if reply else 0)
    if opened:
        assert len(messages(opened["case_id"])) == 1


def test_a_delivery_status_notification_never_opens_a_case():
    report = EmailMessage()
    report["From"], report["To"], report["Subject"] = "bounces@mx.example", SUPPORT, "Undelivered Mail"
    report["Message-ID"] = "<dsn@mx.example>"
    report.set_content("The mail could not be delivered.")
    report.make_mixed()
    report.set_type("multipart/report")
    assert deliver(report.as_bytes())["outcome"] == "ignored"
    assert cases() == []


@pytest.mark.parametrize("to", [f"support+nobody@{DOMAIN}", f"support@{DOMAIN}", "support+acme@elsewhere.example"])
def test_an_email_to_no_tenants_support_address_is_ignored(to: str):
    received = deliver(email(to=to), recipients=(to,))
    assert received["outcome"] == "ignored"
    assert cases() == [] and cases(Staff("tenant-b", "agent-1", ("support",))) == []


def test_the_address_in_the_envelope_counts_when_the_headers_do_not_name_it():
    received = deliver(email(to="undisclosed-recipients:;"), recipients=(f"support+globex@{DOMAIN}",))
    assert received["tenant_id"] == "tenant-b" and cases() == []
    assert len(cases(Staff("tenant-b", "agent-1", ("support",)))) == 1


def test_the_sample_emails_open_a_case_and_answer_it():
    opened = deliver((SAMPLES / "new_case.eml").read_bytes())
    added = deliver((SAMPLES / "reply.eml").read_bytes())
    ignored = deliver((SAMPLES / "auto_reply.eml").read_bytes())
    assert (opened["outcome"], added["outcome"], ignored["outcome"]) == ("opened", "added", "ignored")
    assert added["case_id"] == opened["case_id"]
    first, _ = messages(opened["case_id"])
    assert [attachment["filename"] for attachment in first["attachments"]] == ["cracked shade.png"]


def _reply_sent_for(case_id: str, *, thread: bool = True) -> str:
    """The SES message id of a case reply the notifier sends to the case's contact (opted in to email)."""
    case = call("getCase", AGENT, record_id=case_id).body
    person = call("getContact", AGENT, record_id=case["contact_id"]).body
    consent = {"email": {"status": "opted_in", "at": "2026-11-01T09:00:00Z", "source": "phone_call"}}
    updated = call(
        "updateContact",
        AGENT,
        record_id=person["id"],
        body={"consent": consent},
        headers={"If-Match": f'"{person["version"]}"'},
    )
    assert updated.status == 200, updated.body
    boto3.client("ses", region_name="eu-west-1").verify_email_identity(EmailAddress=SENDER)
    request = NotificationRequest(
        tenant_id=ADMIN.tenant,
        recipient=Recipient(type=RecipientType.CONTACT, id=person["id"]),
        template="case_reply",
        channel="email",
        context={
            "case": {"id": case_id, "number": case["number"], "subject": case["subject"], "status": "open"},
            "message": {"body": "A new shade is on its way."},
        },
        dedupe_key=f"case-message:{case_id}:{thread}",
        thread_id=case_id if thread else None,
    )
    event = {"detail-type": "notification.requested", "detail": request.model_dump(mode="json")}
    [outcome] = notifier.lambda_handler(event, CONTEXT)["outcomes"]
    assert outcome["status"] == "sent", outcome
    return str(outcome["message_id"])


@pytest.mark.parametrize("header", ["In_Reply_To", "References"])
def test_an_answer_to_a_reply_we_sent_lands_on_its_case_whatever_its_subject_became(header: str):
    opened = deliver(email())
    sent = _reply_sent_for(opened["case_id"])
    answer = email("thanks!", message_id="<answer@customer.example>", **{header: f"<{sent}@eu-west-1.amazonses.com>"})
    added = deliver(answer)
    assert (added["outcome"], added["case_id"]) == ("added", opened["case_id"])
    assert len(cases()) == 1


def test_an_answer_to_an_email_we_sent_for_no_thread_or_never_sent_opens_a_case():
    opened = deliver(email())
    unthreaded = _reply_sent_for(opened["case_id"], thread=False)
    for number, reference in enumerate((unthreaded, "0100019a-unknown-000000")):
        answer = email(
            "thanks!",
            message_id=f"<answer-{number}@customer.example>",
            In_Reply_To=f"<{reference}@email.amazonses.com>",
        )
        assert deliver(answer)["outcome"] == "opened"
    assert len(cases()) == 3


def test_a_strangers_answer_naming_a_reply_we_sent_opens_their_own_case():
    opened = deliver(email())
    sent = _reply_sent_for(opened["case_id"])
    stranger = email(
        "Re: hi",
        sender="Eve <eve@elsewhere.example>",
        message_id="<eve@elsewhere.example>",
        In_Reply_To=f"<{sent}@eu-west-1.amazonses.com>",
    )
    theirs = deliver(stranger)
    assert theirs["outcome"] == "opened" and theirs["case_id"] != opened["case_id"]


@pytest.mark.parametrize(
    ("reference", "ses_id"),
    [
        ("<0100019abc-1234-000000@email.amazonses.com>", "0100019abc-1234-000000"),
        ("0100019abc@eu-west-1.AmazonSES.com", "0100019abc"),
        ("<first@customer.example>", None),
        ("<@eu-west-1.amazonses.com>", None),
        (f"<{'x' * 129}@email.amazonses.com>", None),
        ("no-at-sign", None),
    ],
)
def test_the_ses_message_id_is_read_only_from_a_message_id_ses_set(reference: str, ses_id: str | None):
    assert mail.ses_message_id(reference) == ses_id
