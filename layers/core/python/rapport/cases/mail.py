"""Inbound support mail, read: a raw RFC 5322 message (as SES stores it) parsed with the standard library into what
email-to-case needs, and the reasons a message must never open a case or add to one (loops and auto-replies).

Which tenant: the support address is `support+<tenant slug>@<inbound domain>`. The slug is already unique across
tenants and found by ONE GetItem (rapport.tenants), and plus-addressing needs one SES identity (the domain) and one
receipt rule for every tenant, where an address per tenant would need each verified and a rule of its own.
"""

from __future__ import annotations

import hashlib
import html
import re
from dataclasses import dataclass, field
from email import policy
from email.message import EmailMessage
from email.parser import BytesParser
from email.utils import getaddresses, parseaddr
from typing import NamedTuple

from rapport import normalize

SUPPORT_MAILBOX = "support"
CASE_REFERENCE = re.compile(r"\[(CS-[1-9][0-9]{0,11})\]")
_BOUNCE_SENDERS = ("mailer-daemon", "postmaster")
_BULK_PRECEDENCE = frozenset({"bulk", "junk", "list"})
_AUTO_SUBMITTED_HUMAN = "no"
_DSN_TYPES = frozenset({"multipart/report", "message/delivery-status"})
_ATTRIBUTION = re.compile(r"On .{1,200} wrote:")


SES_DOMAIN = "amazonses.com"
_MAX_SES_ID = 128  # SES's ids are 60 characters: a longer one is not SES's


class Attachment(NamedTuple):
    filename: str
    content_type: str
    content: bytes


@dataclass(frozen=True)
class InboundMail:
    message_id: str
    sender: str | None  # the normalized address of From, None when it is not an address
    sender_name: str
    recipients: tuple[str, ...]  # To, Cc and the envelope's, normalized where they are addresses
    subject: str
    body: str
    references: tuple[str, ...]  # In-Reply-To, then References: Message-IDs
    auto_submitted: str
    precedence: str
    content_type: str
    attachments: tuple[Attachment, ...] = field(default_factory=tuple)

    @property
    def case_number(self) -> str | None:
        """The case its subject names (`[CS-1042]`), if any."""
        found = CASE_REFERENCE.search(self.subject)
        return found.group(1) if found else None


def support_address(slug: str, domain: str) -> str:
    return f"{SUPPORT_MAILBOX}+{slug}@{domain}"


def tenant_slug(recipients: tuple[str, ...], domain: str) -> str | None:
    """The slug of the first support address among `recipients`, if one is on `domain`."""
    for recipient in recipients:
        local, _, host = recipient.rpartition("@")
        mailbox, plus, slug = local.partition("+")
        if host == domain.lower() and mailbox == SUPPORT_MAILBOX and plus and slug:
            return slug
    return None


def parse(raw: bytes, envelope_recipients: tuple[str, ...] = ()) -> InboundMail:
    """`raw` read as a message; `envelope_recipients`: who SES received it for (Bcc included)."""
    message = BytesParser(policy=policy.default).parsebytes(raw)
    assert isinstance(message, EmailMessage)  # what policy.default parses to
    name, sender = parseaddr(str(message.get("From", "")))
    headers = [str(value) for key in ("To", "Cc") for value in message.get_all(key, [])]
    listed = tuple(address for _, address in getaddresses(headers))
    return InboundMail(
        message_id=_message_id(message),
        sender=_address(sender),
        sender_name=name.strip(),
        recipients=tuple(dict.fromkeys(a for a in map(_address, (*envelope_recipients, *listed)) if a)),
        subject=" ".join(str(message.get("Subject", "")).split()),
        body=_text(message),
        references=_references(message),
        auto_submitted=str(message.get("Auto-Submitted", _AUTO_SUBMITTED_HUMAN)).strip().lower(),
        precedence=str(message.get("Precedence", "")).strip().lower(),
        content_type=message.get_content_type(),
        attachments=tuple(_attachments(message)),
    )


def why_ignored(mail: InboundMail, own_addresses: frozenset[str]) -> str | None:
    """Why `mail` is no customer's writing (None: it is): an automatic reply, a bounce, bulk mail, our own."""
    if mail.sender is None:
        return "its sender is not an address"
    if mail.sender in own_addresses or mail.sender.partition("@")[0].partition("+")[0] == SUPPORT_MAILBOX:
        return "it comes from one of our own addresses (a loop)"
    if mail.sender.partition("@")[0] in _BOUNCE_SENDERS or mail.content_type in _DSN_TYPES:
        return "it is a bounce (a delivery status notification)"
    if mail.auto_submitted.partition(";")[0].strip() != _AUTO_SUBMITTED_HUMAN:
        return f"it was sent automatically (Auto-Submitted: {mail.auto_submitted})"
    if mail.precedence in _BULK_PRECEDENCE:
        return f"it is bulk mail (Precedence: {mail.precedence})"
    return None


def _address(value: str) -> str | None:
    try:
        return normalize.email(value)
    except ValueError:
        return None


def _message_id(message: EmailMessage) -> str:
    """Its Message-ID without brackets; a message without one is named by a digest of its headers and body."""
    found = str(message.get("Message-ID", "")).strip().strip("<>").strip()
    if found:
        return found
    return f"sha256-{hashlib.sha256(message.as_bytes()).hexdigest()}"


def _references(message: EmailMessage) -> tuple[str, ...]:
    ids = [str(message.get("In-Reply-To", "")), str(message.get("References", ""))]
    return tuple(dict.fromkeys(found for value in ids for found in re.findall(r"<([^<>\s]+)>", value)))


def _text(message: EmailMessage) -> str:
    """What the sender wrote: the plain text (the HTML's text when there is none), without the quoted message it
    answers (`> ` lines and the `On ... wrote:` line above them: the case has that message already)."""
    part = message.get_body(preferencelist=("plain", "html"))
    if part is None:
        return ""
    content = str(part.get_content())
    if part.get_content_type() == "text/html":
        content = re.sub(r"(?is)<(script|style)\b.*?</\1\s*>", " ", content)
        content = html.unescape(re.sub(r"<[^>]+>", " ", re.sub(r"(?i)<br\s*/?>|</p\s*>", "\n", content)))
    return _unquoted(content).strip()


def _unquoted(text: str) -> str:
    lines = [line for line in text.splitlines() if not line.startswith(">")]
    while lines and not lines[-1].strip():
        lines.pop()
    if lines and _ATTRIBUTION.fullmatch(lines[-1].strip()) and len(lines) < len(text.splitlines()):
        lines.pop()
    return "\n".join(lines)


def _attachments(message: EmailMessage) -> list[Attachment]:
    found = []
    for part in message.iter_attachments():
        payload = part.get_payload(decode=True)
        if isinstance(payload, bytes):
            name = part.get_filename() or "attachment"
            found.append(Attachment(filename=name, content_type=part.get_content_type(), content=payload))
    return found


def ses_message_id(reference: str) -> str | None:
    """The SES message id a Message-ID names when SES set it (`<id@email.amazonses.com>`,
    `<id@<region>.amazonses.com>`: SES replaces the Message-ID of every email it sends), else None."""
    local, at, domain = reference.strip().strip("<>").rpartition("@")
    if not at or not local or len(local) > _MAX_SES_ID or not domain.lower().endswith(SES_DOMAIN):
        return None
    return local
