"""The daily ranking of a tenant's customers and the customer report it serves.

`rank_tenant` first reads the tenant's accounts, then its contacts (their lists: ONE Query each, paged), keeping
of each only its peer group and the potential staff set on it (rapport.orders.potential; a contact's peer group is
its account's). It then walks each level's customers with value figures twice (rapport.orders.store: ONE Query
each, paged, no Scan): first their revenue and buying, to rank them, find their tiers, score their RFM and find
their peer groups' potentials (rapport.orders.ranking, rapport.orders.rfm, rapport.orders.potential: a few
numbers a customer are held, not its id, as the second walk comes in the same id order), then each with its
standing, to assess its churn against the clock
(rapport.orders.churn) and put the standing of those whose standing changed. A change of churn status is then
`customer.churn_changed`, from the stream. `customers` answers `GET /reports/customers`: ONE Query per sort, with
or without a tier, with or without an RFM segment.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from decimal import Decimal
from typing import Any, Literal, NamedTuple

from rapport import pagination
from rapport.accounts.manifest import ACCOUNT
from rapport.auth import Action, Caller
from rapport.contacts.manifest import CONTACT
from rapport.contexts import Kind
from rapport.dal import access, repository
from rapport.dal.access import IndexQuery
from rapport.orders import store
from rapport.orders.churn import AnalyticsSettings
from rapport.orders.potential import (
    NO_PROFILE,
    PeerGroup,
    Peers,
    Profile,
    peer_group,
    peer_groups,
    potential_of,
    set_potential,
)
from rapport.orders.ranking import Ladder, Tier
from rapport.orders.rfm import RfmScale, Segment
from rapport.orders.settings import ANALYTICS_SETTINGS
from rapport.orders.standing import (
    CHURN_RISK,
    CustomerStanding,
    Level,
    RankedCustomer,
    behaviour,
    changed,
    ranked_revenue,
    standing_of,
)
from rapport.orders.value import CustomerValue
from rapport.pagination import Page

LEVELS: dict[Level, Kind] = {Level.ACCOUNT: ACCOUNT, Level.CONTACT: CONTACT}
RESOURCE = "customer_reports"

ReadSettings = Callable[[str], AnalyticsSettings]
ReportSort = Literal["value", "churn_risk", "potential_gap"]
PATTERNS: dict[str, Callable[[str, Kind, str | None, str | None], IndexQuery]] = {
    "value": store.by_value,
    "churn_risk": store.by_churn_risk,
    "potential_gap": store.by_potential_gap,
}


def saved_settings(tenant_id: str) -> AnalyticsSettings:
    return ANALYTICS_SETTINGS.read(tenant_id).content


class Ranked(NamedTuple):
    """What a tenant's ranking did: the customers it ranked and those whose standing it wrote."""

    customers: int = 0
    written: int = 0


def profiles(tenant_id: str) -> dict[Kind, dict[str, Profile]]:
    """The peer group and set potential of each account and contact that has either, from their lists."""
    accounts: dict[str, Profile] = {}
    for record in repository.records(access.listed(tenant_id, ACCOUNT)):
        if (profile := Profile(peer_group(record.data), set_potential(record.data))) != NO_PROFILE:
            accounts[record.id] = profile
    contacts: dict[str, Profile] = {}
    for record in repository.records(access.listed(tenant_id, CONTACT)):
        peers = accounts.get(record.data.get("account_id") or "", NO_PROFILE).peers
        if (profile := Profile(peers, set_potential(record.data))) != NO_PROFILE:
            contacts[record.id] = profile
    return {ACCOUNT: accounts, CONTACT: contacts}


def rank_tenant(tenant_id: str, now: datetime, read_settings: ReadSettings = saved_settings) -> Ranked:
    """Rank the tenant's accounts and contacts, assess their churn and find their potential at `now`."""
    settings = read_settings(tenant_id)
    known = profiles(tenant_id)
    customers = written = 0
    for kind in LEVELS.values():
        level_profiles = known[kind]
        measured = _measured(tenant_id, kind, level_profiles, now)
        placing, scores = measured.ladder.placing(), measured.scale.scores()
        for customer_id, figures, previous_data in store.walked(tenant_id, kind):
            value = CustomerValue.model_validate(figures["value"])
            revenue = ranked_revenue(value, now)
            place = placing.place(revenue, value.revenue_lifetime)
            if place is None:  # its value came or changed after the first walk: tomorrow's ranking places it
                continue
            previous = CustomerStanding.model_validate(previous_data) if previous_data else None
            potential = potential_of(level_profiles.get(customer_id, NO_PROFILE), measured.groups, revenue)
            rfm = scores.rfm(behaviour(value, now))
            standing = standing_of(value, place, rfm, len(measured.ladder), potential, settings, now, previous)
            if changed(previous, standing):
                risk = CHURN_RISK.index(standing.churn.status)
                data = standing.model_dump(mode="json")
                store.put_standing(
                    tenant_id, kind, customer_id, data, rank=place.rank, tier=place.tier, risk=risk, gap=potential.gap
                )
                written += 1
        customers += len(measured.ladder)
    return Ranked(customers, written)


class _Measured(NamedTuple):
    ladder: Ladder
    scale: RfmScale
    groups: dict[PeerGroup, Peers]


def _measured(tenant_id: str, kind: Kind, level_profiles: dict[str, Profile], now: datetime) -> _Measured:
    """The first walk of a level's customers: what ranks them, scores their RFM and makes their peer groups'
    potentials, a few numbers a customer."""
    ladder, scale = Ladder(), RfmScale()
    peered: list[tuple[PeerGroup, Decimal]] = []
    for customer_id, figures, _ in store.walked(tenant_id, kind):
        value = CustomerValue.model_validate(figures["value"])
        revenue = ranked_revenue(value, now)
        ladder.add(revenue, value.revenue_lifetime)
        scale.add(behaviour(value, now))
        if (peers := level_profiles.get(customer_id, NO_PROFILE).peers) is not None:
            peered.append((peers, revenue))
    return _Measured(ladder, scale, peer_groups(peered))


def customers(
    caller: Caller,
    *,
    level: Level,
    sort: ReportSort,
    tier: Tier | None,
    segment: Segment | None,
    limit: int,
    cursor: str | None,
) -> Page[RankedCustomer]:
    """The customers of a level by value (rank), churn risk or potential gap (then rank), of a tier and of an RFM
    segment if given: ONE Query."""
    caller.require(RESOURCE, Action.READ)
    kind = LEVELS[level]
    tenant = caller.tenant_id
    pattern = PATTERNS[sort](tenant, kind, tier, segment)
    filters: dict[str, Any] = {"level": level.value, "sort": sort, "tier": tier}
    if segment:  # cursors minted before segments were served stay bound to the same query
        filters["segment"] = segment
    binding = pagination.fingerprint(tenant, RESOURCE, filters)
    page = store.standings(pattern, limit=limit, position=pagination.decode_cursor(cursor, binding))
    return Page(
        items=[
            RankedCustomer.model_validate({**summary.data, "id": summary.ref_id, "level": level})
            for summary in page.summaries
        ],
        next_cursor=pagination.encode_cursor(page.next_position, binding),
    )
