"""What SES says of a campaign's email (or a sequence step's: its step tag names it) after it went: delivered, bounced
(permanently: a soft bounce may still be delivered) or complained of, from the configuration set's events. The
sender tagged each email with its tenant, campaign and contact (rapport.campaigns.sending), so the send is found by
its key; each outcome is stamped on the send and counted once (rapport.campaigns.store.record_outcome), whatever the
order or repetition of the events."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, NamedTuple

from rapport.campaigns import store, tracking
from rapport.dal import tenancy
from rapport.notifications.notifier import CAMPAIGN_TAG, CONTACT_TAG, STEP_TAG, TENANT_TAG
from rapport.types import utc_now

OUTCOMES = {"Delivery": "delivered", "Bounce": "bounced", "Complaint": "complained"}


class Recorded(NamedTuple):
    campaign_id: str
    contact_id: str
    outcome: str
    counted: bool  # False: recorded before (a redelivered event), or no such send


def record(event: Mapping[str, Any]) -> Recorded | None:
    """Record the outcome one SES event notification (the SNS message's JSON) tells, if it is a campaign email's."""
    kind = str(event.get("eventType") or event.get("notificationType") or "")
    outcome = OUTCOMES.get(kind)
    tags = (event.get("mail") or {}).get("tags") or {}
    tenant, campaign, contact = (_tag(tags, name) for name in (TENANT_TAG, CAMPAIGN_TAG, CONTACT_TAG))
    if outcome is None or tenant is None or campaign is None or contact is None:
        return None
    if kind == "Bounce" and (event.get("bounce") or {}).get("bounceType") != "Permanent":
        return None
    log = tracking.log_of(tenant, campaign, _tag(tags, STEP_TAG))
    if log is None:
        return None
    with tenancy.tenant_scope(tenant):
        counted = store.record_outcome(log, contact, outcome, utc_now())
    return Recorded(campaign, contact, outcome, counted)


def _tag(tags: Mapping[str, Any], name: str) -> str | None:
    values = tags.get(name) or []
    return str(values[0]) if len(values) == 1 else None
