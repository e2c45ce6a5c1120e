"""Email-to-case: a customer's email to the tenant's support address (rapport.cases.mail) opens a case or, when it
answers one, becomes a public customer message of that case; its attachments are kept and listed on the message
(whose reads link them: rapport.cases.attachments).

Which case an email answers: one whose number its subject carries (`[CS-1042]`, the number every reply's subject
has: rapport.cases.notices), else one an email it answers (`In-Reply-To`, `References`) went to: a reply we sent
(rapport.notifications.store keeps its id) or an email we received. Only when its
sender is the case's contact (a case number is easy to guess: a stranger's mail opens a case of their own) and the
case is not closed (its answer opens a new case, as a closed case is not worked any more).

Each email is received once: its receipt (rapport.cases.store) is written with the case, then with the message,
so a redelivered email (SES retries, a replayed event) finds what it became and writes nothing new; an email whose
case was written but not yet its message (a crash between the two) gets its message on the next delivery.
"""

from __future__ import annotations

import re
from typing import NamedTuple, Protocol

from rapport.auth import Caller, Role
from rapport.cases import mail, store
from rapport.cases.attachments import folder as attachments_folder
from rapport.cases.mail import Attachment, InboundMail
from rapport.cases.manifest import CASE
from rapport.cases.models import (
    Author,
    CaseChannel,
    CaseCreate,
    CaseMessage,
    CaseMessageCreate,
    CaseStatus,
    MessageAttachment,
    Visibility,
)
from rapport.cases.service import cases
from rapport.contacts import store as contact_store
from rapport.contacts.manifest import CONTACT
from rapport.contacts.models import ContactCreate
from rapport.contacts.service import contacts
from rapport.dal import repository, tenancy
from rapport.dal.access import IndexQuery
from rapport.dal.repository import Record, UnitOfWork
from rapport.errors import Busy, Conflict, NotFound, PreconditionFailed
from rapport.notifications import store as sent_mail
from rapport.tenants.service import tenant_of

ACTOR = "email"
MAX_ATTACHMENT_BYTES = 10 * 1024 * 1024  # larger ones are listed, not kept
MAX_BODY_CHARS = 20_000
NO_SUBJECT = "(no subject)"
_REFERENCES_READ = 5  # the newest emails a reply names: each is ONE Query


class AttachmentStore(Protocol):
    """Where attachments are kept (the inbound mail bucket)."""

    def keep(self, key: str, attachment: Attachment) -> None: ...


class Received(NamedTuple):
    """What an email became: `outcome` opened, added, duplicate or ignored (and why)."""

    outcome: str
    tenant_id: str | None = None
    case_id: str | None = None
    message_id: str | None = None
    reason: str | None = None


def receive(
    raw: bytes, *, envelope: tuple[str, ...], domain: str, own: frozenset[str], attachments: AttachmentStore
) -> Received:
    """Receive the raw email `raw` for the `envelope` recipients at the inbound `domain`; `own`: our own sending
    addresses (mail from them is a loop)."""
    inbound = mail.parse(raw, envelope)
    ignored = mail.why_ignored(inbound, own)
    if ignored:
        return Received("ignored", reason=ignored)
    slug = mail.tenant_slug(inbound.recipients, domain)
    tenant_id = tenant_of(slug) if slug else None
    if tenant_id is None:
        return Received("ignored", reason=f"no tenant has the support address it was sent to (slug {slug})")
    with tenancy.tenant_scope(tenant_id):
        return _received(tenant_id, inbound, attachments)


def _received(tenant_id: str, inbound: InboundMail, attachments: AttachmentStore) -> Received:
    caller = _caller(tenant_id)
    earlier = _receipt(tenant_id, inbound.message_id)
    if earlier is not None and earlier.get("message_id"):
        return Received("duplicate", tenant_id, earlier["case_id"], earlier["message_id"])
    kept = _kept(tenant_id, inbound, attachments)
    if earlier is not None:
        return _added(caller, earlier["case_id"], inbound, kept, "opened", replacing=True)
    contact_id = _contact_of(tenant_id, inbound)
    answered = _answered_case(tenant_id, inbound, contact_id)
    if answered is not None:
        return _added(caller, answered, inbound, kept, "added", replacing=False)
    case_id = _opened(caller, inbound, contact_id)
    return _added(caller, case_id, inbound, kept, "opened", replacing=True)


def _caller(tenant_id: str) -> Caller:
    """Who writes what an email makes: the mailbox, on the tenant's behalf."""
    return Caller(tenant_id=tenant_id, user_id=ACTOR, roles=frozenset({Role.ADMIN}))


def _receipt(tenant_id: str, mail_id: str) -> dict[str, str] | None:
    found = next(repository.partition_summaries(store.receipt(tenant_id, mail_id)), None)
    return {key: str(value) for key, value in found.data.items()} if found else None


def _contact_of(tenant_id: str, inbound: InboundMail) -> str:
    """The live contact holding the sender's address (ONE Query), else a new one (consent untouched); a contact
    in the trash holding it is restored: the customer writes again."""
    assert inbound.sender is not None  # why_ignored refuses mail without one
    found = _first_live(contact_store.by_email(tenant_id, inbound.sender))
    if found is not None:
        return found.id
    try:
        return contacts.create_as(tenant_id, ACTOR, _new_contact(inbound)).id
    except Conflict as error:  # a contact in the trash holds it, or another email of theirs just created one
        if error.existing_id is None:
            raise
        holder = repository.get(tenant_id, CONTACT, error.existing_id)
        if holder is not None and holder.deleted:
            contacts.restore(_caller(tenant_id), holder.id, None)
        return error.existing_id


def _new_contact(inbound: InboundMail) -> ContactCreate:
    assert inbound.sender is not None
    words = inbound.sender_name.replace('"', "").split()
    if len(words) > 1:
        return ContactCreate(first_name=" ".join(words[:-1])[:100], last_name=words[-1][:100], email=inbound.sender)
    name = words[0] if words else inbound.sender.partition("@")[0]
    return ContactCreate(last_name=name[:100], email=inbound.sender)


def _answered_case(tenant_id: str, inbound: InboundMail, contact_id: str) -> str | None:
    """The live case of `contact_id` the email answers, if any."""
    number = inbound.case_number
    if number is not None:
        found = _first_live(store.by_number(tenant_id, number))
        if found is not None and _answerable(found, contact_id):
            return found.id
    for reference in inbound.references[-_REFERENCES_READ:]:
        case_id = _referenced_case(tenant_id, reference)
        if case_id is not None and _is_contacts_case(tenant_id, case_id, contact_id):
            return case_id
    return None


def _referenced_case(tenant_id: str, reference: str) -> str | None:
    """The case of an email a reference names: one we sent (a reply's id, kept by the notifier), else one we
    received (its receipt)."""
    sent = mail.ses_message_id(reference)
    if sent is not None:
        return sent_mail.thread_of(tenant_id, sent)
    earlier = _receipt(tenant_id, reference)
    return earlier["case_id"] if earlier is not None else None


def _first_live(pattern: IndexQuery) -> Record | None:
    """The first live record `pattern` finds (ONE Query)."""
    return next((record for record in repository.query(pattern, limit=1).records if not record.deleted), None)


def _is_contacts_case(tenant_id: str, case_id: str, contact_id: str) -> bool:
    case = repository.get(tenant_id, CASE, case_id)
    return case is not None and not case.deleted and _answerable(case, contact_id)


def _answerable(case: Record, contact_id: str) -> bool:
    """A case the contact's email answers: theirs, and not closed (a closed case's answer opens a new one)."""
    return bool(case.data["contact_id"] == contact_id and case.data["status"] != CaseStatus.CLOSED)


def _opened(caller: Caller, inbound: InboundMail, contact_id: str) -> str:
    """A new case from the email, and its receipt, in one transaction."""
    subject = re.sub(r"^((re|fwd?|aw|sv)\s*:\s*)+", "", inbound.subject, flags=re.IGNORECASE)
    payload = CaseCreate(
        subject=(subject or NO_SUBJECT)[:200],
        description=inbound.body[:MAX_BODY_CHARS] or None,
        channel=CaseChannel.EMAIL,
        contact_id=contact_id,
    )
    work = UnitOfWork()
    case = cases.stage_create(work, caller.tenant_id, caller.user_id, payload)
    store.stage_receipt(work, caller.tenant_id, inbound.message_id, {"case_id": case.id})
    cases.commit(work, case)
    return case.id


def _added(
    caller: Caller, case_id: str, inbound: InboundMail, kept: list[MessageAttachment], outcome: str, *, replacing: bool
) -> Received:
    """The email as a public customer message of the case, its receipt naming the message, in one transaction."""

    def with_receipt(work: UnitOfWork, message: CaseMessage) -> None:
        receipt = {"case_id": case_id, "message_id": message.id}
        store.stage_receipt(work, caller.tenant_id, inbound.message_id, receipt, replacing=replacing)

    body = inbound.body[:MAX_BODY_CHARS] or inbound.subject or NO_SUBJECT
    payload = CaseMessageCreate(body=body, visibility=Visibility.PUBLIC, author=Author.CUSTOMER)
    try:
        message = cases.add_message(caller, case_id, payload, attachments=kept, staging=with_receipt, answers=True)
    except (Busy, PreconditionFailed, NotFound):
        earlier = _receipt(caller.tenant_id, inbound.message_id)
        if earlier is None or not earlier.get("message_id"):
            raise
        return Received("duplicate", caller.tenant_id, earlier["case_id"], earlier["message_id"])
    return Received(outcome, caller.tenant_id, case_id, message.id)


def _kept(tenant_id: str, inbound: InboundMail, attachments: AttachmentStore) -> list[MessageAttachment]:
    """Each attachment under the cap kept (by the email's own id: a redelivery overwrites the same keys), all listed."""
    listed = []
    folder = f"{attachments_folder(tenant_id)}{store.receipt_digest(inbound.message_id)}"
    for index, attachment in enumerate(inbound.attachments):
        size = len(attachment.content)
        key = None
        if size <= MAX_ATTACHMENT_BYTES:
            key = f"{folder}/{index}/{_safe(attachment.filename)}"
            attachments.keep(key, attachment)
        listed.append(
            MessageAttachment(filename=attachment.filename, content_type=attachment.content_type, size=size, key=key)
        )
    return listed


def _safe(filename: str) -> str:
    return re.sub(r"[^A-Za-z0-9._-]+", "_", filename).strip("._")[:100] or "attachment"
