import statistics
from decimal import Decimal

import pytest

from rapport.orders.potential import (
    MIN_PEERS,
    NO_PROFILE,
    PeerGroup,
    Peers,
    Potential,
    PotentialSource,
    Profile,
    peer_group,
    peer_groups,
    percentile,
    potential_of,
    set_potential,
)

SOFTWARE = PeerGroup("software", "11-50")
RETAIL = PeerGroup("retail", "11-50")


def figures(*amounts: str) -> list[Decimal]:
    return [Decimal(amount) for amount in amounts]


@pytest.mark.parametrize(
    ("amounts", "expected"),
    [
        (("100", "200", "300", "400", "500"), "400.00"),  # rank 3 of 0..4 exactly
        (("500", "100", "400", "200", "300"), "400.00"),  # whatever the order they come in
        (("0", "0", "0", "0", "10"), "0.00"),
        (("10", "20", "30", "40", "50", "60"), "47.50"),  # rank 3.75: between 40 and 50
        (("1.00", "1.00", "1.01", "1.01", "1.02", "1.02", "1.03"), "1.02"),  # half a cent rounds to even
    ],
)
def test_the_percentile_interpolates_between_the_nearest_figures(amounts: tuple[str, ...], expected: str):
    assert percentile(figures(*amounts)) == Decimal(expected)
    inclusive = statistics.quantiles(figures(*amounts), n=4, method="inclusive")[2]
    assert abs(percentile(figures(*amounts)) - inclusive) < Decimal("0.01")


def test_a_peer_group_needs_min_peers_members_for_a_potential():
    members = [(SOFTWARE, Decimal(amount)) for amount in ("100", "200", "300", "400", "500")]
    too_few = [(RETAIL, Decimal(amount)) for amount in ("1000",) * (MIN_PEERS - 1)]
    assert MIN_PEERS == 5
    assert peer_groups(members + too_few) == {SOFTWARE: Peers(5, Decimal("400.00")), RETAIL: Peers(4, None)}
    assert peer_groups([]) == {}


@pytest.mark.parametrize(
    ("account", "expected"),
    [
        ({"industry": "Software", "size": "11-50"}, SOFTWARE),
        ({"industry": "  SOFTWARE ", "size": "11-50"}, SOFTWARE),  # as the segments' industry clause folds it
        ({"industry": "Computer  software", "size": "11-50"}, PeerGroup("computer software", "11-50")),
        ({"industry": "Software"}, None),
        ({"size": "11-50"}, None),
        ({"industry": "", "size": "11-50"}, None),
        ({}, None),
    ],
)
def test_an_account_s_peer_group_is_its_industry_and_its_size_band(account: dict[str, str], expected: PeerGroup):
    assert peer_group(account) == expected


def test_a_potential_set_by_staff_wins_over_the_peers_and_the_gap_is_never_negative():
    groups = {SOFTWARE: Peers(6, Decimal("400.00")), RETAIL: Peers(4, None)}
    peers_only = Profile(SOFTWARE, None)
    assert potential_of(peers_only, groups, Decimal("150.00")) == Potential(
        Decimal("400.00"), Decimal("250.00"), PotentialSource.PEERS, 6
    )
    assert potential_of(peers_only, groups, Decimal("900.00")) == Potential(
        Decimal("400.00"), Decimal("0.00"), PotentialSource.PEERS, 6
    )
    set_by_staff = Profile(SOFTWARE, Decimal("1000"))
    assert potential_of(set_by_staff, groups, Decimal("150.00")) == Potential(
        Decimal("1000.00"), Decimal("850.00"), PotentialSource.STAFF, 6
    )
    assert potential_of(Profile(None, Decimal("0")), groups, Decimal("10")) == Potential(
        Decimal("0.00"), Decimal("0.00"), PotentialSource.STAFF, 0
    )
    assert potential_of(Profile(RETAIL, None), groups, Decimal("1")) == Potential(None, None, None, 4)  # too few
    assert potential_of(Profile(PeerGroup("mining", "5001+"), None), groups, Decimal("1")) == Potential(
        None, None, None, 0
    )  # a group none of whose members bought: the customer is unranked
    assert potential_of(NO_PROFILE, groups, Decimal("1")) == Potential(None, None, None, 0)


def test_the_potential_staff_set_is_read_from_the_record_fields():
    assert set_potential({"potential": "2500.00"}) == Decimal("2500.00")
    assert set_potential({"potential": None}) is None
    assert set_potential({}) is None
