"""A customer's potential: what it could buy over 12 months, and the gap to what it bought (the up-sell room).

The potential is the 75th percentile of the 12 months' revenue (the figure the ranking ranks on,
rapport.orders.standing) among the customers of its level in its peer group: accounts of the same industry
(case- and space-insensitive) and the same head count band (`size`, rapport.accounts.models.CompanySize); a
contact's peer group is its account's. A peer group of fewer than MIN_PEERS ranked customers, or a customer whose
account lacks an industry or a size, has no computed potential. The percentile interpolates linearly between the
two nearest figures (rank (n - 1) x 0.75 of the n sorted ones, as `statistics.quantiles(method="inclusive")`),
rounded to cents.

A potential staff set on the account or the contact (its `potential` field, tenant currency) wins over the peers'.
The gap is the potential less the 12 months' revenue, never below zero.

It is exact, not estimated: the daily ranking already holds each customer's 12 months' figure to rank them
(rapport.orders.reports), so grouping those same figures by peer group costs one peer group reference each.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from decimal import Decimal
from enum import StrEnum
from typing import Any, NamedTuple

from rapport.deals.money import cents

MIN_PEERS = 5
PERCENTILE = Decimal("0.75")


class PotentialSource(StrEnum):
    PEERS = "peers"
    STAFF = "staff"


class PeerGroup(NamedTuple):
    industry: str
    size: str


class Profile(NamedTuple):
    """What the ranking knows of a customer beside its orders: its peer group and the potential staff set."""

    peers: PeerGroup | None
    set_potential: Decimal | None


class Peers(NamedTuple):
    members: int
    potential: Decimal | None  # None: fewer than MIN_PEERS


class Potential(NamedTuple):
    """A customer's potential (None without one), its gap, where it comes from, and how many share its peer group."""

    amount: Decimal | None
    gap: Decimal | None
    source: PotentialSource | None
    peer_count: int


NO_PROFILE = Profile(None, None)


def peer_group(account: Mapping[str, Any]) -> PeerGroup | None:
    """The peer group of an account's fields, None without both an industry and a size."""
    industry, size = " ".join(str(account.get("industry") or "").split()).casefold(), account.get("size")
    return PeerGroup(industry, size) if industry and size else None


def set_potential(record: Mapping[str, Any]) -> Decimal | None:
    """The potential staff set on an account's or a contact's fields, if any."""
    amount = record.get("potential")
    return None if amount is None else Decimal(str(amount))


def percentile(figures: list[Decimal]) -> Decimal:
    """The PERCENTILE of `figures` (sorted in place), interpolated linearly."""
    figures.sort()
    position = (len(figures) - 1) * PERCENTILE
    below = int(position)
    above = min(below + 1, len(figures) - 1)
    return cents(figures[below] + (figures[above] - figures[below]) * (position - below))


def peer_groups(revenues: Iterable[tuple[PeerGroup, Decimal]]) -> dict[PeerGroup, Peers]:
    """Each peer group's size and potential (from MIN_PEERS members), from each member's 12 months' revenue."""
    grouped: dict[PeerGroup, list[Decimal]] = {}
    for group, revenue in revenues:
        grouped.setdefault(group, []).append(revenue)
    return {
        group: Peers(len(figures), percentile(figures) if len(figures) >= MIN_PEERS else None)
        for group, figures in grouped.items()
    }


def potential_of(profile: Profile, groups: Mapping[PeerGroup, Peers], revenue: Decimal) -> Potential:
    """A customer's potential and gap: the one staff set, else its peer group's, else none."""
    peers = groups.get(profile.peers) if profile.peers is not None else None
    count = peers.members if peers else 0
    if profile.set_potential is not None:
        amount, source = profile.set_potential, PotentialSource.STAFF
    elif peers is not None and peers.potential is not None:
        amount, source = peers.potential, PotentialSource.PEERS
    else:
        return Potential(None, None, None, count)
    return Potential(cents(amount), cents(max(amount - revenue, Decimal(0))), source, count)
