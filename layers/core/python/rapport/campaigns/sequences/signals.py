"""What the bus tells the sequences: who enters and leaves their segments, who replied, bought or unsubscribed.

- `segment_membership.joined`: the contact is enrolled in each active sequence enrolling from that segment;
  `segment_membership.left`: its enrollments in the sequences enrolling from it exit (`left_segment`).
- A reply (the contact wrote: a case opened by email, the portal, a web form or a text; a customer's message on a
  case; an inbound activity logged) and a conversion (a deal of the contact's won, an order placed:
  rapport.campaigns.attribution's events) are stamped on each of the contact's active enrollments (`replied_at`,
  `converted_at`: the latest), which branches read, and end those whose sequence exits on them.
- An unsubscribe (a contact's consent changed to opted out of a sequence's topic or of a channel it sends by) ends
  the enrollments whose sequence exits on it. Consent is read again before every send anyway.

Every handling is idempotent: an enrollment is put once, a stamp holds the latest time, an end happens once.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from rapport.campaigns.attribution import CONVERSIONS, REPLIES, of_deal, of_order, repliers
from rapport.campaigns.manifest import SEQUENCE
from rapport.campaigns.sequences import store
from rapport.campaigns.sequences.models import ExitOn
from rapport.campaigns.sequences.runs import StartRun
from rapport.campaigns.sequences.service import end, sequences
from rapport.campaigns.service import wait_stamp
from rapport.consent.ledger import withdrawn
from rapport.dal import repository
from rapport.dal.repository import Record
from rapport.events.models import DomainEvent
from rapport.normalize import parse_instant

JOINED, LEFT = "segment_membership.joined", "segment_membership.left"
CONSENT_CHANGES = ("contact.updated",)
EVENTS = (JOINED, LEFT, *REPLIES, *CONVERSIONS, *CONSENT_CHANGES)


def on_event(event: DomainEvent, start: StartRun) -> list[str]:
    """Handle one event: what it did, as `<sequence id>:<what>` for the log."""
    tenant_id, record = event.tenant_id, event.record or {}
    if event.detail_type == JOINED:
        contact_id = record.get("contact_id")
        enrolled = sequences.enroll_from_segment(tenant_id, event.entity_id, contact_id, start) if contact_id else []
        return [f"{sequence_id}:enrolled" for sequence_id in enrolled]
    if event.detail_type == LEFT:
        return _left(tenant_id, event.entity_id, record.get("contact_id"))
    if event.detail_type in REPLIES:
        return _signalled(
            tenant_id, repliers(event), "replied_at", wait_stamp(parse_instant(event.occurred_at)), ExitOn.REPLIED
        )
    if event.detail_type in CONVERSIONS:
        found = of_deal(event.entity_id, record) if event.entity == "deal" else of_order(event.entity_id, record)
        if found is None:
            return []
        return _signalled(tenant_id, found.contact_ids, "converted_at", wait_stamp(found.at), ExitOn.CONVERTED)
    if event.detail_type in CONSENT_CHANGES and "consent" in event.changes:
        return _unsubscribed(tenant_id, event.entity_id, record.get("consent"))
    return []


def _enrollments(tenant_id: str, contact_id: str) -> list[Record]:
    """The live sequences the contact is enrolled in (one Query, one BatchGetItem)."""
    ids = [summary.ref_id for summary in store.enrolled_in(tenant_id, contact_id)]
    found = repository.get_many(tenant_id, SEQUENCE, ids) if ids else {}
    return [record for record in found.values() if not record.deleted]


def _exits_on(sequence: Record, reason: ExitOn) -> bool:
    return reason in {str(each) for each in sequence.data.get("exit_on") or []}


def _left(tenant_id: str, segment_id: str, contact_id: str | None) -> list[str]:
    if not contact_id:
        return []
    return [
        f"{sequence.id}:{ExitOn.LEFT_SEGMENT}"
        for sequence in _enrollments(tenant_id, contact_id)
        if sequence.data.get("segment") == segment_id
        and _exits_on(sequence, ExitOn.LEFT_SEGMENT)
        and end(tenant_id, sequence.id, contact_id, None, ExitOn.LEFT_SEGMENT)
    ]


def _signalled(tenant_id: str, contact_ids: Iterable[str], stamp: str, at: str, reason: ExitOn) -> list[str]:
    done: list[str] = []
    for contact_id in contact_ids:
        for sequence in _enrollments(tenant_id, contact_id):
            if not store.stamp(tenant_id, sequence.id, contact_id, stamp, at):
                continue
            ended = _exits_on(sequence, reason) and end(tenant_id, sequence.id, contact_id, None, reason)
            done.append(f"{sequence.id}:{reason if ended else stamp}")
    return done


def _unsubscribed(tenant_id: str, contact_id: str, consent: Mapping[str, Any] | None) -> list[str]:
    return [
        f"{sequence.id}:{ExitOn.UNSUBSCRIBED}"
        for sequence in _enrollments(tenant_id, contact_id)
        if _exits_on(sequence, ExitOn.UNSUBSCRIBED)
        and any(withdrawn(consent, channel, sequence.data["topic"]) for channel in channels(sequence.data))
        and end(tenant_id, sequence.id, contact_id, None, ExitOn.UNSUBSCRIBED)
    ]


def channels(data: Mapping[str, Any]) -> set[str]:
    """The channels a sequence sends by."""
    return {str(step["channel"]) for step in data["steps"] if step["type"] == "send"}
