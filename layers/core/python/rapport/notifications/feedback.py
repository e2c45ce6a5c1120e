"""SES feedback: a permanent bounce marks the contact's email invalid; a complaint opts the contact out of email.

SES publishes the configuration set's Bounce and Complaint events to an SNS topic (the notifications construct).
Each event carries the message's tags, among them the tenant (`rapport_tenant`) the notifier put there, so the
contact is found by its email guard `T#<t>#UNIQ#EMAIL#<email>` — every key stays tenant-first. A message
without the tag was not sent by the notifier and is ignored. The contact is changed like any write (versioned,
through the contact service's rules), so the change is on the table's stream and becomes `contact.updated`.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from typing import Any, NamedTuple

from rapport import normalize
from rapport.auth import Caller
from rapport.contacts import store as contact_store
from rapport.contacts.manifest import CONTACT
from rapport.contacts.service import contacts
from rapport.dal import repository, tenancy
from rapport.dal.repository import UnitOfWork
from rapport.errors import PreconditionFailed
from rapport.notifications.notifier import TENANT_TAG
from rapport.types import utc_now

logger = logging.getLogger(__name__)
ACTOR = "ses_feedback"
ATTEMPTS = 3  # a contact changed meanwhile is read again
COMPLAINT_SOURCE = "ses_complaint"


class FeedbackOutcome(NamedTuple):
    email: str
    action: str  # email_invalid, opted_out, ignored
    contact_id: str | None = None
    reason: str | None = None


def handle(event: Mapping[str, Any]) -> list[FeedbackOutcome]:
    """One SES event notification (the SNS message's JSON): what it changed, recipient by recipient."""
    kind = str(event.get("eventType") or event.get("notificationType") or "")
    mail = event.get("mail") or {}
    tenants = (mail.get("tags") or {}).get(TENANT_TAG) or []
    if kind == "Bounce":
        bounce = event.get("bounce") or {}
        recipients = [entry.get("emailAddress", "") for entry in bounce.get("bouncedRecipients", [])]
        if bounce.get("bounceType") != "Permanent":
            return [FeedbackOutcome(email, "ignored", reason="a transient bounce") for email in recipients]
        diagnostic = "; ".join(
            str(entry.get("diagnosticCode") or "") for entry in bounce.get("bouncedRecipients", []) if entry
        ).strip("; ")
        why = f"permanent bounce ({bounce.get('bounceSubType', 'General')})" + (f": {diagnostic}" if diagnostic else "")
        change = _bounced(why[:300])
    elif kind == "Complaint":
        complaint = event.get("complaint") or {}
        recipients = [entry.get("emailAddress", "") for entry in complaint.get("complainedRecipients", [])]
        change = _complained
    else:
        return []
    if len(tenants) != 1:
        return [FeedbackOutcome(email, "ignored", reason="the message carries no tenant tag") for email in recipients]
    with tenancy.tenant_scope(str(tenants[0])):
        return [_apply(str(tenants[0]), email, change) for email in recipients]


Change = Any  # (contact data) -> (changes to merge, action name) or None when there is nothing to change


def _bounced(why: str) -> Change:
    def change(data: Mapping[str, Any]) -> tuple[dict[str, Any], str] | None:
        if (data.get("email_status") or {}).get("status") == "invalid":
            return None
        return {"email_status": {"status": "invalid", "at": utc_now(), "reason": why}}, "email_invalid"

    return change


def _complained(data: Mapping[str, Any]) -> tuple[dict[str, Any], str] | None:
    consent = dict(data.get("consent") or {})
    if (consent.get("email") or {}).get("status") == "opted_out":
        return None
    consent["email"] = {"status": "opted_out", "at": utc_now(), "source": COMPLAINT_SOURCE}
    return {"consent": consent}, "opted_out"


def _apply(tenant_id: str, address: str, change: Change) -> FeedbackOutcome:
    try:
        email = normalize.email(address)
    except ValueError:
        return FeedbackOutcome(address, "ignored", reason="not an email address")
    owner = repository.guard_owner(tenant_id, contact_store.email_guard(email))
    if owner is None or owner[0] != str(CONTACT):
        return FeedbackOutcome(email, "ignored", reason="no contact of the tenant has this email")
    contact_id = owner[1]
    caller = Caller(tenant_id=tenant_id, user_id=ACTOR, roles=frozenset())
    for _ in range(ATTEMPTS):
        record = repository.get(tenant_id, CONTACT, contact_id)
        if record is None:
            return FeedbackOutcome(email, "ignored", contact_id, "the contact is gone")
        # An additional address (emails[]) that bounced is not marked (only the primary one is); a complaint counts.
        if record.data.get("email") != email and change is not _complained:
            return FeedbackOutcome(email, "ignored", contact_id, "not the contact's primary email")
        outcome = change(record.data)
        if outcome is None:
            return FeedbackOutcome(email, "ignored", contact_id, "already recorded")
        changes, action = outcome
        if record.deleted:
            return FeedbackOutcome(email, "ignored", contact_id, "the contact is deleted")
        work = UnitOfWork()
        contacts.stage_update(work, caller, record, changes)
        try:
            contacts.commit(work, record)
        except PreconditionFailed:
            continue
        return FeedbackOutcome(email, action, contact_id)
    raise RuntimeError(f"contact {contact_id} kept changing; the feedback is retried")
