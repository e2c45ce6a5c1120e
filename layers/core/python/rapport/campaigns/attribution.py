"""Which campaigns a won deal or a placed order is credited to, and how much; which a reply and a lead are.

A conversion (a deal won, an order placed) is credited to the campaign messages its contacts were sent before it,
within the tenant's attribution window (marketing settings' `attribution_window_days`, default 90): a message
after the conversion never counts, nor one in its own second (an order's time is to the second). The touches are
the campaign messages in each contact's timeline (where the sender puts each one it sends, with its campaign), read
newest first from the conversion back to the window's start, a page (ONE Query) at a time. Three models share the
credit:

- `first_touch`: all of it to the earliest message's campaign;
- `last_touch`: all of it to the latest's;
- `linear`: an equal share to each message (a campaign sent twice gets two shares).

Each credited campaign gets, in one transaction, the conversion's marker (`A#ATTR#<deal|order>#<id>`, put only if
absent, so a redelivered event is credited once) and its counters: the conversions' shares and the revenue's (in
cents, per currency) under each model, which the report reads with its other counts (rapport.campaigns.store).

A reply (the contact wrote: a case opened by email, the portal, a web form or a text, a customer's message on a case,
an inbound activity logged) is credited to the latest campaign message the contact was sent in the window before it:
`replied` stamped on that send and counted, once a send. A lead made for a campaign (its `campaign_id`, as a web form
gives it) counts as one of the campaign's `leads_created`, once (its marker `A#ATTR#lead#<id>`).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping
from datetime import datetime, timedelta
from decimal import ROUND_HALF_EVEN, Decimal
from typing import Any, NamedTuple

from rapport import timeline
from rapport.campaigns import store
from rapport.campaigns.manifest import CAMPAIGN
from rapport.campaigns.models import AttributionModel
from rapport.consent.settings import MARKETING_SETTINGS
from rapport.contacts.manifest import CONTACT
from rapport.dal import access, repository
from rapport.events.models import DomainEvent
from rapport.normalize import instant, parse_instant
from rapport.timeline.models import NotificationEntry
from rapport.timeline.store import ENTRY_KIND

MODELS = tuple(model.value for model in AttributionModel)
PAGE = 100
# The events the attribution worker takes: a deal moved to a won stage, or made in one (logged after the fact)
CONVERSIONS = ("deal.created", "deal.won", "order.created")
# ... the contact wrote to the company; a lead was made for a campaign
REPLIES = ("case.created", "case.message_added", "activity.created")
LEADS = ("lead.created",)
EVENTS = (*CONVERSIONS, *REPLIES, *LEADS)
WRITTEN_CASE_CHANNELS = frozenset({"email", "portal", "web", "sms"})


class Conversion(NamedTuple):
    kind: str  # deal, order
    id: str
    at: datetime
    contact_ids: tuple[str, ...]
    revenue: Decimal  # in the tenant currency when it converted
    currency: str


class Touch(NamedTuple):
    campaign_id: str
    at: datetime  # to the second
    entry_id: str  # a ULID, to the millisecond: orders touches within a second


def on_event(event: DomainEvent) -> list[str]:
    """Credit what the event tells, within the tenant's window: a conversion (none for a deal not won), a reply, a
    lead. What was credited, as `<campaign id>:<what>`."""
    record = event.record or {}
    if event.detail_type in LEADS:
        campaign = repository.get(event.tenant_id, CAMPAIGN, str(record.get("campaign_id") or "-"))
        if campaign is None or campaign.deleted or not store.record_lead(event.tenant_id, campaign.id, event.entity_id):
            return []
        return [f"{campaign.id}:lead"]
    window = timedelta(days=MARKETING_SETTINGS.read(event.tenant_id).content.attribution_window_days)
    if event.detail_type in REPLIES:
        at = parse_instant(event.occurred_at)
        return [f"{campaign_id}:replied" for campaign_id in replied(event.tenant_id, repliers(event), at, window)]
    found = of_deal(event.entity_id, record) if event.entity == "deal" else of_order(event.entity_id, record)
    if found is None:
        return []
    return [f"{campaign_id}:{found.kind}" for campaign_id in credit(event.tenant_id, found, window)]


def repliers(event: DomainEvent) -> list[str]:
    """Who wrote to the company, by this event (one of REPLIES)."""
    record = event.record or {}
    if event.detail_type == "case.created":
        wrote = record.get("channel") in WRITTEN_CASE_CHANNELS
    elif event.detail_type == "case.message_added":
        wrote = (record.get("last_message") or {}).get("author") == "customer"
    else:
        wrote = record.get("direction") == "inbound"
    return [str(record["contact_id"])] if wrote and record.get("contact_id") else []


def replied(tenant_id: str, contact_ids: Iterable[str], at: datetime, window: timedelta) -> list[str]:
    """Stamp the reply on each contact's latest campaign message before it: the campaigns counting it (once a send)."""
    counted = []
    for contact_id in contact_ids:
        found = touches(tenant_id, [contact_id], at, window)
        if not found:
            continue
        latest = max(found, key=lambda touch: (touch.at, touch.entry_id))
        log = store.campaign_log(tenant_id, latest.campaign_id)
        if store.record_outcome(log, contact_id, "replied", instant(at)):
            counted.append(latest.campaign_id)
    return counted


def of_deal(deal_id: str, record: Mapping[str, Any]) -> Conversion | None:
    """A won deal's conversion (its amount in the tenant currency when won, its contacts), from its event's record."""
    closing = record.get("closing") or {}
    if record.get("status") != "won" or not record.get("closed_at") or not closing:
        return None
    contacts = tuple(record.get("contact_ids") or ())
    at = parse_instant(str(record["closed_at"]))
    return Conversion("deal", deal_id, at, contacts, Decimal(str(closing["value"])), str(closing["currency"]))


def of_order(order_id: str, record: Mapping[str, Any]) -> Conversion | None:
    """A placed order's conversion (its total in the tenant currency, its contact), from its event's record; a
    cancelled one is none."""
    total = record.get("tenant_total") or {}
    if not record.get("contact_id") or not total or record.get("status") == "cancelled":
        return None
    at = parse_instant(str(record["ordered_at"]))
    contacts = (str(record["contact_id"]),)
    return Conversion("order", order_id, at, contacts, Decimal(str(total["amount"])), str(total["currency"]))


def touches(tenant_id: str, contact_ids: Iterable[str], before: datetime, window: timedelta) -> list[Touch]:
    """The campaign messages sent to the contacts in the `window` up to `before` (not after it)."""
    found: list[Touch] = []
    for contact_id in contact_ids:
        pattern = access.entries_between(tenant_id, CONTACT, contact_id, before - window, before, (ENTRY_KIND,))
        position = None
        while True:
            page = repository.read_partition(pattern, limit=PAGE, position=position)
            for summary in page.summaries:
                entry = timeline.read_entry(summary)
                if isinstance(entry, NotificationEntry) and entry.campaign_id and entry.occurred_at < before:
                    found.append(Touch(entry.campaign_id, entry.occurred_at, entry.id))
            if page.next_position is None:
                break
            position = page.next_position
    return found


def shares(found: list[Touch]) -> dict[str, dict[str, Decimal]]:
    """Each campaign's share of the conversion under each model (each model's shares add up to 1)."""
    credit: dict[str, dict[str, Decimal]] = defaultdict(lambda: dict.fromkeys(MODELS, Decimal(0)))
    if not found:
        return {}
    ordered = sorted(found, key=lambda touch: (touch.at, touch.entry_id))
    credit[ordered[0].campaign_id]["first_touch"] += 1
    credit[ordered[-1].campaign_id]["last_touch"] += 1
    for touch in ordered:
        credit[touch.campaign_id]["linear"] += Decimal(1) / len(ordered)
    return dict(credit)


def credit(tenant_id: str, conversion: Conversion, window: timedelta) -> dict[str, dict[str, Decimal]]:
    """Credit the conversion to the campaigns that touched it: what each was credited (none if it was before)."""
    credited = {}
    for campaign_id, share in shares(touches(tenant_id, conversion.contact_ids, conversion.at, window)).items():
        cents = {model: _cents(conversion.revenue * part) for model, part in share.items()}
        if store.record_conversion(tenant_id, campaign_id, conversion, share, cents):
            credited[campaign_id] = share
    return credited


def _cents(amount: Decimal) -> int:
    return int((amount * 100).quantize(Decimal(1), rounding=ROUND_HALF_EVEN))
