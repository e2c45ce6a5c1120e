"""A contact's consent through the consent API: record a change (`PUT /contacts/{id}/consent`) and read the ledger
(`GET /contacts/{id}/consent-history`).

A change is a merge patch of the contact's `consent` written like any other contact change, so the ledger entry
(rapport.consent.ledger) commits with it. Recording what a person said is never refused as stale: it applies to the
contact as it is now, read again when another write got there first.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any, NamedTuple

from rapport import pagination
from rapport.auth import Action, Caller, Customer
from rapport.consent import links
from rapport.consent import store as consent_store
from rapport.consent.confirmation import CONFIRMED_SOURCE
from rapport.consent.manifest import pending_email
from rapport.consent.models import (
    ConsentChange,
    ConsentEntry,
    ConsentSource,
    ConsentStatus,
    LegalBasis,
    Proof,
)
from rapport.consent.settings import MARKETING_SETTINGS
from rapport.contacts import store as contact_store
from rapport.contacts.manifest import CONTACT
from rapport.contacts.models import Contact
from rapport.contacts.service import contacts
from rapport.dal import repository
from rapport.dal.repository import Record, UnitOfWork
from rapport.errors import Busy, InvalidInput, NotFound, PreconditionFailed
from rapport.pagination import Page
from rapport.types import utc_now

ATTEMPTS = 3
RESOURCE = "consent"
PUBLIC_ACTOR = "subscriber"  # who a change made through a message's link is recorded as made by


def change_patch(change: ConsentChange) -> dict[str, Any]:
    """The merge patch of a contact that records `change` as the channel's (or the topic's) current state."""
    state = change.model_dump(mode="json", exclude={"channel", "topic"})  # None removes: its proof is its own
    state["at"] = state["at"] or utc_now()
    if change.topic:
        return {"consent": {"topics": {str(change.channel): {change.topic: state}}}}
    return {"consent": {str(change.channel): state}}


def record_change(caller: Caller, contact_id: str, change: ConsentChange) -> Contact:
    """Apply `change` to the contact's consent and append it to the ledger, in one transaction."""
    caller.require(RESOURCE, Action.UPDATE)
    return _apply(caller, contact_id, lambda _: change_patch(change))


def _apply(caller: Caller, contact_id: str, patch_of: Callable[[Record], dict[str, Any]]) -> Contact:
    """Write the patch `patch_of` makes of the contact as it is now, read again when another write got there first."""
    for _ in range(ATTEMPTS):
        record = repository.get(caller.tenant_id, CONTACT, contact_id)
        if record is None:
            raise NotFound(f"No contact has the id {contact_id}.")
        work = UnitOfWork()
        contacts.stage_update(work, caller, record, patch_of(record))
        try:
            return contacts.commit(work, record)
        except PreconditionFailed:
            continue
    raise Busy("The contact kept changing while its consent was recorded; retry.")


def record_customer_change(customer: Customer, change: ConsentChange) -> Contact:
    """What a signed-in customer says of their own consent (the portal), applied and in the ledger like any change;
    a 404 once their contact is in the trash."""

    def patch(record: Record) -> dict[str, Any]:
        if record.deleted:
            raise NotFound(f"No contact has the id {customer.contact_id}.")
        return change_patch(change)

    return _apply(Caller(customer.tenant_id, customer.actor, frozenset()), customer.contact_id, patch)


# What a person does through a link of a message (rapport.consent.links): no staff caller, the link's tenant.


class Preferences(NamedTuple):
    """What the preference page shows: whose they are (the address, partly hidden) and each topic's status."""

    address: str
    channel: str
    topics: dict[str, str | None]


def _person(link: links.Link) -> Caller:
    return Caller(tenant_id=link.tenant_id, user_id=PUBLIC_ACTOR, roles=frozenset())


def _live(link: links.Link) -> Record:
    record = repository.get(link.tenant_id, CONTACT, link.contact_id)
    if record is None or record.deleted:
        raise NotFound("This link's subscriber is no longer on file: nothing more will be sent to them.")
    return record


def _masked(address: str) -> str:
    local, at, domain = address.partition("@")
    return f"{local[:1]}***{at}{domain}" if at else f"***{address[-4:]}"


def _topic_statuses(data: Mapping[str, Any], channel: str) -> dict[str, str]:
    topics = ((data.get("consent") or {}).get("topics") or {}).get(channel) or {}
    return {topic: state["status"] for topic, state in topics.items()}


def preferences(link: links.Link) -> Preferences:
    """The contact's topics on the link's channel: the tenant's, and any they still hold that it no longer offers."""
    data = _live(link).data
    held = _topic_statuses(data, link.channel)
    offered = MARKETING_SETTINGS.read(link.tenant_id).content.topics
    address = data.get("email" if link.channel == "email" else "phone") or ""
    statuses: dict[str, str | None] = {topic: held.get(topic) for topic in offered}
    return Preferences(_masked(address), link.channel, {**statuses, **held})


def _state(status: ConsentStatus, source: str, proof: Proof, basis: str | None) -> dict[str, Any]:
    return {
        "status": str(status),
        "at": utc_now(),
        "source": str(source),
        "basis": basis,
        **proof.model_dump(mode="json"),
    }


def unsubscribe(link: links.Link, proof: Proof) -> str:
    """Opt the contact out of the link's topic (or its channel), at once: the next message is checked against it.
    Answers the address it was sent to, partly hidden, for the page."""

    def patch(record: Record) -> dict[str, Any]:
        if record.deleted:
            raise NotFound("This link's subscriber is no longer on file: nothing more will be sent to them.")
        state = _state(ConsentStatus.OPTED_OUT, ConsentSource.UNSUBSCRIBE_LINK, proof, None)
        if link.topic:
            return {"consent": {"topics": {link.channel: {link.topic: state}}}}
        return {"consent": {link.channel: state}}

    written = _apply(_person(link), link.contact_id, patch)
    return _masked((written.email if link.channel == "email" else written.phone) or "")


def choose_topics(link: links.Link, wanted: set[str], proof: Proof) -> Preferences:
    """Opt in to the topics `wanted` and out of the others held, in one write: one ledger entry per topic that
    changes. A topic the tenant does not offer may be left, not taken."""
    current = preferences(link)
    unknown = sorted(wanted - set(current.topics))
    if unknown:
        raise InvalidInput.of("topic", f"No such topic: {', '.join(unknown)}.")

    def patch(record: Record) -> dict[str, Any]:
        held = _topic_statuses(record.data, link.channel)
        changed = {}
        for topic in current.topics:
            status = ConsentStatus.OPTED_IN if topic in wanted else ConsentStatus.OPTED_OUT
            if held.get(topic) != status and (topic in wanted or topic in held):
                changed[topic] = _state(status, ConsentSource.PORTAL, proof, str(LegalBasis.CONSENT))
        return {"consent": {"topics": {link.channel: changed}}} if changed else {}

    _apply(_person(link), link.contact_id, patch)
    return preferences(link)


class Awaiting(NamedTuple):
    """What a confirmation link's page shows: whose subscriptions (the address, partly hidden) wait for it, and
    which (None: the channel's own, all messages by email)."""

    address: str
    topics: list[str | None]


def _waiting(data: Mapping[str, Any]) -> list[str | None]:
    return sorted(pending_email(data.get("consent")), key=lambda topic: topic or "")


def awaiting(link: links.Link) -> Awaiting:
    """The contact's email subscriptions that wait for the person's confirmation."""
    data = _live(link).data
    return Awaiting(_masked(data.get("email") or ""), _waiting(data))


def confirm(link: links.Link, proof: Proof) -> Awaiting:
    """Confirm every email subscription of the contact still pending, in one write: each becomes `opted_in` with
    source `double_opt_in` and the request's IP and user agent as proof. None pending (confirmed already, or
    withdrawn since) changes nothing. Answers what was confirmed."""
    confirmed: list[str | None] = []

    def patch(record: Record) -> dict[str, Any]:
        if record.deleted:
            raise NotFound("This link's subscriber is no longer on file: nothing more will be sent to them.")
        confirmed[:] = _waiting(record.data)
        state = _state(ConsentStatus.OPTED_IN, CONFIRMED_SOURCE, proof, str(LegalBasis.CONSENT))
        topics = {topic: state for topic in confirmed if topic is not None}
        changes: dict[str, Any] = {"topics": {link.channel: topics}} if topics else {}
        if None in confirmed:
            changes[link.channel] = state
        return {"consent": changes} if changes else {}

    written = _apply(_person(link), link.contact_id, patch)
    return Awaiting(_masked(written.email or ""), confirmed)


SMS_STOP_ACTOR = "sms_stop"  # who a change by a STOP reply (rapport.sms_stops) is recorded as made by


def _needs_sms_stop(record: Record | None) -> bool:
    sms = ((record.data.get("consent") or {}).get("sms") or {}) if record else {}
    return record is not None and not record.deleted and sms.get("status") != ConsentStatus.OPTED_OUT


def stop_sms(tenant_id: str, phone: str) -> bool:
    """Opt the tenant's contact whose phone is `phone` out of SMS (source `sms_stop`), unless it is already: True
    when it changed. The phone's unique guard names the contact (one read); a number nobody has changes nothing."""
    owner = repository.guard_owner(tenant_id, contact_store.phone_guard(phone))
    if owner is None or owner[0] != CONTACT.code or not _needs_sms_stop(repository.get(tenant_id, CONTACT, owner[1])):
        return False

    def patch(record: Record) -> dict[str, Any]:
        if not _needs_sms_stop(record):
            return {}
        return {"consent": {"sms": _state(ConsentStatus.OPTED_OUT, ConsentSource.SMS_STOP, Proof(), None)}}

    _apply(Caller(tenant_id=tenant_id, user_id=SMS_STOP_ACTOR, roles=frozenset()), owner[1], patch)
    return True


def history(caller: Caller, contact_id: str, *, limit: int, cursor: str | None) -> Page[ConsentEntry]:
    """The contact's consent changes, newest first: ONE Query (and, only for an empty first page, a read of the
    contact, to tell a contact with no changes from none at all)."""
    caller.require(RESOURCE, Action.READ)
    binding = pagination.fingerprint(caller.tenant_id, "contacts:consent-history", {"contact_id": contact_id})
    position = pagination.decode_cursor(cursor, binding)
    entries, next_position = consent_store.history(caller.tenant_id, contact_id, limit=limit, position=position)
    if position is None and not entries and repository.get(caller.tenant_id, CONTACT, contact_id) is None:
        raise NotFound(f"No contact has the id {contact_id}.")
    return Page(
        items=[ConsentEntry.model_validate(entry) for entry in entries],
        next_cursor=pagination.encode_cursor(next_position, binding),
    )
