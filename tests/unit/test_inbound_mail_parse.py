"""Reading an inbound email (rapport.cases.mail): what the sender wrote, the case it names, who it is for, and
which mail is no customer's writing."""

from __future__ import annotations

from email.message import EmailMessage

import pytest

from rapport.cases import mail

OWN = frozenset({"notifications@dev.rapport.example"})


def _raw(body: str = "Hello", *, subtype: str = "plain", **headers: str) -> bytes:
    message = EmailMessage()
    message["From"] = headers.pop("From", "Rita <Rita@Customer.example>")
    message["To"] = headers.pop("To", "support+acme@inbound.example")
    for name, value in headers.items():
        message[name.replace("_", "-")] = value
    message.set_content(body, subtype=subtype)
    return message.as_bytes()


def test_the_quoted_message_it_answers_is_left_out() -> None:
    body = "Thanks, that works.\n\nOn Mon, 23 Nov 2026 at 10:00, Support <s@x.example> wrote:\n> Try this.\n> Bye\n"
    assert mail.parse(_raw(body)).body == "Thanks, that works."


def test_an_attribution_line_without_quoted_lines_is_kept() -> None:
    assert mail.parse(_raw("On Monday the parcel wrote: nothing")).body == "On Monday the parcel wrote: nothing"


def test_an_html_only_email_gives_its_text_without_scripts_styles_or_entities() -> None:
    html = "<style>p {color: red}</style><p>Fish &amp; chips</p><script>alert(1)</script><p>arrived cold</p>"
    body = mail.parse(_raw(html, subtype="html")).body
    assert body.split() == ["Fish", "&", "chips", "arrived", "cold"]


def test_the_sender_recipients_references_and_case_number_are_read() -> None:
    raw = _raw(
        Subject="Re:  [CS-1042]   Re: broken",
        Message_ID="<m1@customer.example>",
        In_Reply_To="<r1@x.example>",
        References="<r0@x.example> <r1@x.example>",
        Cc="Other <other@customer.example>",
    )
    read = mail.parse(raw, ("Support+Acme@Inbound.example",))
    assert (read.sender, read.sender_name, read.message_id) == ("rita@customer.example", "Rita", "m1@customer.example")
    assert read.recipients == ("support+acme@inbound.example", "other@customer.example")
    assert read.references == ("r1@x.example", "r0@x.example")
    assert (read.subject, read.case_number) == ("Re: [CS-1042] Re: broken", "CS-1042")
    assert mail.tenant_slug(read.recipients, "inbound.example") == "acme"


def test_an_email_without_a_message_id_is_named_by_its_content() -> None:
    assert mail.parse(_raw("a")).message_id == mail.parse(_raw("a")).message_id != mail.parse(_raw("b")).message_id


@pytest.mark.parametrize(
    ("headers", "ignored"),
    [
        ({}, False),
        ({"Auto_Submitted": "no"}, False),
        ({"Auto_Submitted": "auto-replied"}, True),
        ({"Auto_Submitted": "auto-notified; owner-email=x@y.example"}, True),
        ({"Precedence": "Bulk"}, True),
        ({"Precedence": "first-class"}, False),
        ({"From": "MAILER-DAEMON@mx.example"}, True),
        ({"From": "Mail Delivery <postmaster@mx.example>"}, True),
        ({"From": "notifications@dev.rapport.example"}, True),
        ({"From": "support+other@inbound.example"}, True),
        ({"From": "not an address"}, True),
    ],
)
def test_loops_auto_replies_and_bulk_mail_are_no_customer_s_writing(headers: dict[str, str], ignored: bool) -> None:
    assert (mail.why_ignored(mail.parse(_raw(**headers)), OWN) is not None) is ignored
