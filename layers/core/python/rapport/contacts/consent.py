"""A contact's consent through the consent API: record a change (`PUT /contacts/{id}/consent`) and read the ledger
(`GET /contacts/{id}/consent-history`).

A change is a merge patch of the contact's `consent` written like any other contact change, so the ledger entry
(rapport.consent.ledger) commits with it. Recording what a person said is never refused as stale: it applies to the
contact as it is now, read again when another write got there first.
"""

from __future__ import annotations

from typing import Any

from rapport import pagination
from rapport.auth import Action, Caller
from rapport.consent import store as consent_store
from rapport.consent.models import ConsentChange, ConsentEntry
from rapport.contacts.manifest import CONTACT
from rapport.contacts.models import Contact
from rapport.contacts.service import contacts
from rapport.dal import repository
from rapport.dal.repository import UnitOfWork
from rapport.errors import Busy, NotFound, PreconditionFailed
from rapport.pagination import Page
from rapport.types import utc_now

ATTEMPTS = 3
RESOURCE = "consent"


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
    patch = change_patch(change)
    for _ in range(ATTEMPTS):
        record = repository.get(caller.tenant_id, CONTACT, contact_id)
        if record is None:
            raise NotFound(f"No contact has the id {contact_id}.")
        work = UnitOfWork()
        contacts.stage_update(work, caller, record, patch)
        try:
            return contacts.commit(work, record)
        except PreconditionFailed:
            continue
    raise Busy("The contact kept changing while its consent was recorded; retry.")


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
