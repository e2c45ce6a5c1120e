"""The portal's use cases: each answers a customer (rapport.auth.Customer) about the records that are theirs, and a
404 for anything else, as if it did not exist (another contact's case, another tenant's, a trashed one).

Theirs: their own contact; the cases whose contact they are and, for a contact with `portal_role: account_manager`,
the live cases of their account; their scheduled appointments; the tenant's published public articles, those
linked to their own cases first. What they write is recorded as made by `contact:<id>` (rapport.auth.Customer.actor),
on the tenant's behalf.

Every answer about their records reads their contact too (in the same BatchGetItem as a case or the articles, or
one GetItem before a list): a customer whose contact was trashed or erased gets a 404 at once, although their token
lasts its hour.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from datetime import UTC, datetime
from typing import Any

from rapport import pagination
from rapport.appointments import store as appointment_store
from rapport.auth import Caller, Customer, Role
from rapport.cases import attachments
from rapport.cases import store as case_store
from rapport.cases.manifest import CASE
from rapport.cases.models import (
    Author,
    CaseChannel,
    CaseCreate,
    CaseMessage,
    CaseMessageCreate,
    CaseStatus,
    Visibility,
)
from rapport.cases.service import cases, message_of
from rapport.consent.models import ConsentChange, ConsentSource, LegalBasis, Proof
from rapport.contacts import consent
from rapport.contacts.manifest import CONTACT
from rapport.contacts.models import Contact, ContactConsent, PortalRole
from rapport.contacts.service import contacts
from rapport.dal import repository
from rapport.dal.access import IndexQuery
from rapport.dal.repository import Parent, Position, Record, UnitOfWork
from rapport.errors import Conflict, FieldError, InvalidInput, NotFound, PreconditionFailed
from rapport.kb import store as kb_store
from rapport.kb.manifest import ARTICLE
from rapport.kb.models import PublicArticle
from rapport.kb.service import articles, showing
from rapport.pagination import Page
from rapport.portal.models import (
    PortalAppointment,
    PortalCase,
    PortalCaseCreate,
    PortalConsentChange,
    PortalMessage,
    PortalMessageCreate,
    PortalProfile,
)

CLOSED_BY_CUSTOMER = "Closed by the customer in the portal."
REOPENABLE = frozenset({CaseStatus.RESOLVED, CaseStatus.CLOSED})
# The portal's knowledge base reads the articles linked to the customer's cases (LINKED), then searches (FOUND);
# one BatchGetItem takes 100 keys: their contact's and at most 99 articles' (or their entries).
LINKED, FOUND = "linked", "found"
ARTICLES_PER_READ = 99
Clock = Callable[[], datetime]


def _utc_clock() -> datetime:
    return datetime.now(UTC)


def _on_behalf(customer: Customer) -> Caller:
    """Who writes what a customer does to records the portal found theirs: the customer, on the tenant's behalf
    (as the mailbox writes what an email makes: rapport.cases.mailbox)."""
    return Caller(tenant_id=customer.tenant_id, user_id=customer.actor, roles=frozenset({Role.ADMIN}))


# Their contact


def _live(contact: Record | None) -> Record:
    if contact is None or contact.deleted:
        raise NotFound("Your contact record is no longer on file.")
    return contact


def _contact(customer: Customer) -> Record:
    return _live(repository.get(customer.tenant_id, CONTACT, customer.contact_id))


def _profile(contact: Contact) -> PortalProfile:
    return PortalProfile.model_validate(contact.model_dump(include=set(PortalProfile.model_fields)))


def me(customer: Customer) -> PortalProfile:
    """The customer's own contact (ONE GetItem)."""
    return _profile(contacts.out(_contact(customer)))


def update_me(customer: Customer, patch: Mapping[str, Any], expected_version: int) -> PortalProfile:
    """Apply the customer's merge patch of their name, phone or address to their contact at `expected_version`. A
    phone another contact holds is a 409 that names no one: whose it is is not the customer's to learn."""
    record = _contact(customer)
    if record.version != expected_version:
        raise PreconditionFailed(f"Your profile changed since you read it: it is at version {record.version}.")
    work = UnitOfWork()
    contacts.stage_update(work, _on_behalf(customer), record, patch)
    try:
        return _profile(contacts.commit(work, record))
    except Conflict as taken:
        if taken.existing_id is None:
            raise
        fields = [error.field for error in taken.errors] or ["phone"]
        message = "is already on file for someone else: ask us to change it"
        raise Conflict(f"This {fields[0]} {message}.", [FieldError(fields[0], message, "duplicate")]) from taken


def my_consent(customer: Customer) -> ContactConsent:
    return ContactConsent.model_validate(_contact(customer).data.get("consent") or {})


def record_consent(customer: Customer, change: PortalConsentChange, proof: Proof) -> ContactConsent:
    """The customer's own say on a channel or topic, recorded with source `portal` (and in the ledger). A topic the
    tenant does not offer is a 422 naming `topic` (the contact's validation names its own path to it)."""
    recorded = ConsentChange(
        **change.model_dump(), **proof.model_dump(), basis=LegalBasis.CONSENT, source=ConsentSource.PORTAL
    )
    try:
        return consent.record_customer_change(customer, recorded).consent or ContactConsent()
    except InvalidInput as refused:
        if not all(error.field.startswith("consent.topics.") for error in refused.errors):
            raise
        raise InvalidInput(refused.detail, [error._replace(field="topic") for error in refused.errors]) from refused


# Their cases


def _portal_case(record: Record) -> PortalCase:
    return PortalCase.model_validate(
        {**record.data, "id": record.id, "created_at": record.created_at, "updated_at": record.updated_at}
    )


def _manages(contact: Record, account_id: object) -> bool:
    """Whether the (live) contact is an account manager of the account `account_id`."""
    return bool(
        account_id
        and contact.data.get("portal_role") == PortalRole.ACCOUNT_MANAGER
        and contact.data.get("account_id") == account_id
    )


def _visible(contact: Record, case: Record | None) -> bool:
    if case is None or case.deleted:
        return False
    return bool(case.data["contact_id"] == contact.id or _manages(contact, case.data.get("account_id")))


def _case(customer: Customer, case_id: str) -> Record:
    """The case if it is the customer's to see, read with their contact in ONE BatchGetItem."""
    wanted = (Parent(CASE, case_id), Parent(CONTACT, customer.contact_id))
    found = repository.get_records(customer.tenant_id, wanted)
    case = found.get(wanted[0])
    if not _visible(_live(found.get(wanted[1])), case):
        raise NotFound(f"You have no case with the id {case_id}.")
    assert case is not None
    return case


def list_cases(customer: Customer, *, account: bool, limit: int, cursor: str | None) -> Page[PortalCase]:
    """The customer's cases, newest first (their contact's GetItem and ONE Query); `account`: their account's, for
    an account manager."""
    found: IndexQuery
    contact = _contact(customer)
    if account:
        if contact.data.get("portal_role") != PortalRole.ACCOUNT_MANAGER or not contact.data.get("account_id"):
            raise NotFound("You manage no account's cases.")
        found = case_store.of_account(customer.tenant_id, str(contact.data["account_id"]))
    else:
        found = case_store.of_contact(customer.tenant_id, customer.contact_id)
    filters = {"contact_id": customer.contact_id, "account": account}
    binding = pagination.fingerprint(customer.tenant_id, "portal:cases", filters)
    page = repository.query(found, limit=limit, position=pagination.decode_cursor(cursor, binding))
    return Page(
        items=[_portal_case(record) for record in page.records if not record.deleted],
        next_cursor=pagination.encode_cursor(page.next_position, binding),
    )


def get_case(customer: Customer, case_id: str) -> PortalCase:
    return _portal_case(_case(customer, case_id))


def open_case(customer: Customer, payload: PortalCaseCreate) -> PortalCase:
    """A new case of the customer's, from the portal (routed and timed like any other); a 404 once their contact is
    in the trash (the case service refuses a case of a contact that is not live)."""
    case = CaseCreate(**payload.model_dump(), channel=CaseChannel.PORTAL, contact_id=customer.contact_id)
    try:
        created = cases.create_as(customer.tenant_id, customer.actor, case)
    except InvalidInput as refused:
        if any(error.field == "contact_id" for error in refused.errors):
            raise NotFound("Your contact record is no longer on file.") from refused
        raise
    return PortalCase.model_validate(created.model_dump())


def _set_status(customer: Customer, case_id: str, changes: Callable[[Record], dict[str, Any]]) -> PortalCase:
    record = _case(customer, case_id)
    work = UnitOfWork()
    cases.stage_update(work, _on_behalf(customer), record, changes(record))
    cases.commit(work, record)
    return _portal_case(record)


def close_case(customer: Customer, case_id: str) -> PortalCase:
    """The customer closes their case (its resolution, if staff wrote none, says so)."""

    def closed(record: Record) -> dict[str, Any]:
        if record.data["status"] == CaseStatus.CLOSED:
            raise Conflict("The case is already closed.")
        return {"status": CaseStatus.CLOSED, "resolution": record.data.get("resolution") or CLOSED_BY_CUSTOMER}

    return _set_status(customer, case_id, closed)


def reopen_case(customer: Customer, case_id: str) -> PortalCase:
    """The customer reopens their resolved or closed case: it is open again, and its SLA clock runs."""

    def reopened(record: Record) -> dict[str, Any]:
        if record.data["status"] not in REOPENABLE:
            raise Conflict(f"The case is {record.data['status']}: only a resolved or closed case is reopened.")
        return {"status": CaseStatus.OPEN}

    return _set_status(customer, case_id, reopened)


# The conversation: public messages only


def messages(
    customer: Customer,
    case_id: str,
    *,
    limit: int,
    cursor: str | None,
    presigner: attachments.Presigner = attachments.INBOUND_MAIL_BUCKET,
) -> Page[PortalMessage]:
    """The case's public messages, oldest first: their contact's GetItem and ONE Query, which also reads the case on
    the first page (a 404 for a case not theirs). Internal notes are read and left out, so a page may hold fewer
    than `limit`. Each kept attachment has its download URL (`presigner`); where it is kept is not theirs to see."""
    binding = pagination.fingerprint(customer.tenant_id, "portal:messages", {"case_id": case_id, "by": customer.actor})
    position = pagination.decode_cursor(cursor, binding)
    contact = _contact(customer)
    read = case_store.conversation(customer.tenant_id, case_id)
    page = repository.read_partition(read, limit=limit if position else limit + 1, position=position)
    if position is None and not _visible(contact, page.record):
        raise NotFound(f"You have no case with the id {case_id}.")
    items = [
        _portal_message(message_of(customer.tenant_id, case_id, summary, presigner))
        for summary in page.summaries
        if summary.kind == case_store.MESSAGE_KIND and summary.data.get("visibility") == Visibility.PUBLIC
    ]
    return Page(items=items, next_cursor=pagination.encode_cursor(page.next_position, binding))


def _portal_message(message: CaseMessage) -> PortalMessage:
    return PortalMessage.model_validate(message.model_dump(exclude={"attachments": {"__all__": {"key"}}}))


def post_message(customer: Customer, case_id: str, payload: PortalMessageCreate) -> PortalMessage:
    """The customer writes on their case: a public customer message, which restarts the next-response clock and
    moves a case waiting on them (pending) or resolved back to open. A closed case takes no more messages."""
    record = _case(customer, case_id)
    if record.data["status"] == CaseStatus.CLOSED:
        raise Conflict("The case is closed: reopen it (POST /portal/cases/{id}/reopen) to write on it.")
    message = cases.add_message(
        _on_behalf(customer),
        case_id,
        CaseMessageCreate(body=payload.body, visibility=Visibility.PUBLIC, author=Author.CUSTOMER),
        answers=True,
    )
    return _portal_message(message)


# Their appointments, and the knowledge base


def appointments(customer: Customer, *, limit: int, cursor: str | None) -> Page[PortalAppointment]:
    """The customer's scheduled appointments by start: their contact's GetItem and ONE Query on its partition."""
    _contact(customer)
    binding = pagination.fingerprint(customer.tenant_id, "portal:appointments", {"contact_id": customer.contact_id})
    read = appointment_store.of_contact(customer.tenant_id, customer.contact_id)
    page = repository.read_partition(read, limit=limit, position=pagination.decode_cursor(cursor, binding))
    return Page(
        items=[PortalAppointment.model_validate({**summary.data, "id": summary.ref_id}) for summary in page.summaries],
        next_cursor=pagination.encode_cursor(page.next_position, binding),
    )


def kb_articles(
    customer: Customer, q: str | None, *, limit: int, cursor: str | None, clock: Clock = _utc_clock
) -> Page[PublicArticle]:
    """The tenant's published public articles showing now (found by words of `q`, if given): first those linked to
    the customer's own cases, by article id, then the others by title, each once.

    Own cases only, for an account manager too: the articles linked to a colleague's case answer the colleague's
    question and come first in the colleague's portal; and one partition, their contact's, holds every link that
    reaches them (rapport.kb.store), so the order costs the same whatever the size of their account.

    A page is at most four requests: ONE Query of the entries of their contact's partition (the articles linked to
    their live cases) and ONE BatchGetItem of their contact and those articles, as they are now (an article made
    internal, unpublished, trashed or out of its window since it was linked is left out, and so is one `q` does not
    find); once those are all read, the search's ONE Query and ONE BatchGetItem of their contact and the entries of
    the articles it found (those linked, already shown, are left out). A customer with no linked article skips the
    first BatchGetItem. Either part may leave a page shorter than `limit` that goes on; the cursor says which part
    and where.
    """
    terms = articles.public_terms(q)
    binding = pagination.fingerprint(customer.tenant_id, "portal:kb", {"q": q, "contact_id": customer.contact_id})
    position = pagination.decode_cursor(cursor, binding) or {LINKED: None}
    now, wanted = clock(), min(limit, ARTICLES_PER_READ)
    shown: list[Record] = []
    if LINKED in position:
        shown, linked_after = _linked_articles(customer, terms, now, limit=wanted, position=position[LINKED])
        if linked_after is not None or len(shown) == wanted:
            return _articles_page(shown, {LINKED: linked_after} if linked_after else {FOUND: None}, binding)
        position = {FOUND: None}
    found, found_after = _found_articles(customer, terms, now, limit=wanted - len(shown), position=position[FOUND])
    return _articles_page(shown + found, {FOUND: found_after} if found_after else None, binding)


def _linked_articles(
    customer: Customer, terms: list[str], now: datetime, *, limit: int, position: Position | None
) -> tuple[list[Record], Position | None]:
    """A page of the articles linked to the customer's cases that the search by `terms` shows now, and where the
    next starts. No linked article and nothing more to read: no BatchGetItem (the search's reads their contact)."""
    read = repository.read_partition(
        kb_store.customer_links(customer.tenant_id, customer.contact_id), limit=limit, position=position
    )
    linked = [Parent(ARTICLE, entry.ref_id) for entry in read.summaries if entry.data["case_ids"]]
    if not linked and read.next_position is None:
        return [], None
    contact = Parent(CONTACT, customer.contact_id)
    found = repository.get_records(customer.tenant_id, (contact, *linked))
    _live(found.get(contact))
    shown = [found[article] for article in linked if article in found]
    return [article for article in shown if articles.shown(article, terms, now)], read.next_position


def _found_articles(
    customer: Customer, terms: list[str], now: datetime, *, limit: int, position: Position | None
) -> tuple[list[Record], Position | None]:
    """A page of the search by `terms` without the articles linked to the customer's cases, and where the next
    starts."""
    page = repository.query(articles.public_found(customer.tenant_id, terms), limit=limit, position=position)
    entries = [kb_store.customer_link_key(customer.tenant_id, customer.contact_id, r.id) for r in page.records]
    contact = Parent(CONTACT, customer.contact_id)
    found, linked = repository.get_records_and_summaries(customer.tenant_id, (contact,), entries)
    _live(found.get(contact))
    shown_first = {entry.ref_id for entry in linked if entry.data["case_ids"]}
    shown = [record for record in page.records if record.id not in shown_first and showing(record.data, now)]
    return shown, page.next_position


def _articles_page(shown: list[Record], position: Mapping[str, Any] | None, binding: str) -> Page[PublicArticle]:
    return Page(
        items=[articles.public_out(record) for record in shown],
        next_cursor=pagination.encode_cursor(position, binding),
    )
