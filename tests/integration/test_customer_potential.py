"""The customers' potential from the daily ranking (their peer group's 75th percentile, or the one staff set), the
report by potential gap, and the report's RFM segment filter combined with every level, sort and tier."""

from __future__ import annotations

from decimal import Decimal
from itertools import product
from typing import Any

import pytest

from rapport.accounts.manifest import ACCOUNT
from rapport.dal import keys, tenancy
from rapport.dal.models import SummaryItem
from rapport.orders import store
from rapport.orders.potential import MIN_PEERS
from rapport.orders.reports import rank_tenant
from rapport.orders.rfm import Segment
from tests.integration.followups import Bus
from tests.integration.sales import set_rates
from tests.integration.test_customer_ranking import MANAGER, NOW, TENANT, buys, delivered, report
from tools.lambda_api import call, create
from tools.metering import dynamodb_requests

LEVELS = ("account", "contact")
SORTS = ("value", "churn_risk", "potential_gap")
TIERS = (None, "A", "B", "C")


@pytest.fixture
def bus() -> Bus:
    assert set_rates("USD", {}).status == 200
    create("createProduct", MANAGER, sku="KIT", name="Kit", unit_price="100.00")
    return Bus()


def customer(name: str, **account: Any) -> dict[str, str]:
    account_id = create("createAccount", name=name, **account)["id"]
    contact = create("createContact", last_name=name, account_id=account_id)["id"]
    return {"contact": contact, "account": account_id}


def peers_and_others(bus: Bus) -> dict[str, dict[str, str]]:
    """Six software companies of 11-50 people, who bought 1 to 6 kits (100.00 each) over the year: their 75th
    percentile is 475.00 (rank 3.75 of 0..5: 400 + 0.75 x 100); two retailers, too few for a potential, one of
    which staff gave one; and a company of no known size."""
    people = {f"Soft{kits}": customer(f"Soft{kits}", industry=" software ", size="11-50") for kits in range(1, 7)} | {
        "Shop": customer("Shop", industry="Retail", size="11-50"),
        "Mall": customer("Mall", industry="Retail", size="11-50", potential="5000"),
        "Unsized": customer("Unsized", industry="Software"),
    }
    # each one's kits (months back: kits), spread so that their recency and frequency differ (their RFM segments)
    bought = {
        "Soft1": {1: 1},
        "Soft2": {6: 2},
        "Soft3": {1: 1, 2: 1, 3: 1},
        "Soft4": {9: 4},
        "Soft5": {1: 5},
        "Soft6": {1: 2, 2: 2, 3: 2},
        "Shop": {10: 2},
        "Mall": {1: 10, 2: 10, 3: 10},
        "Unsized": {0: 1},
    }
    for name, kits_by_month in bought.items():
        buys(people[name], kits_by_month)
    delivered(bus)
    return people


def every(**parameters: Any) -> list[dict[str, Any]]:
    """Every item of the report, page after page (ONE Query each)."""
    items, cursor = [], None
    for _ in range(100):
        page = report(**parameters, **({"cursor": cursor} if cursor else {}))
        items += page["items"]
        if (cursor := page["next_cursor"]) is None:
            return items
    raise AssertionError("the report's pages never end")


def test_the_potential_is_the_peer_groups_75th_percentile_unless_staff_set_one(bus: Bus):
    people = peers_and_others(bus)
    assert MIN_PEERS == 5
    rank_tenant(TENANT, NOW)
    names = {who[level]: name for name, who in people.items() for level in LEVELS}
    peers = [
        ("Soft1", "475.00", "375.00", "peers"),
        ("Soft2", "475.00", "275.00", "peers"),
        ("Soft3", "475.00", "175.00", "peers"),
        ("Soft4", "475.00", "75.00", "peers"),
        ("Soft6", "475.00", "0.00", "peers"),  # bought more than the potential: no gap, by rank
        ("Soft5", "475.00", "0.00", "peers"),
    ]
    expected = {
        # the retailers are too few peers, the unsized company has none: after every gap, by rank
        "account": [("Mall", "5000.00", "2000.00", "staff"), *peers, ("Shop", None, None, None)],
        "contact": [*peers, ("Mall", None, None, None), ("Shop", None, None, None)],  # staff set the account's
    }
    for level in LEVELS:
        by_gap = report(level=level, sort="potential_gap")["items"]
        assert [
            (names[item["id"]], item.get("potential"), item.get("potential_gap"), item.get("potential_source"))
            for item in by_gap
        ] == [*expected[level], ("Unsized", None, None, None)]
    overview = call("getContact360", record_id=people["Soft2"]["contact"]).body
    assert overview["standing"]["potential"] == "475.00" and overview["standing"]["potential_gap"] == "275.00"
    value = call("getAccountValue", record_id=people["Mall"]["account"]).body
    assert (value["standing"]["potential"], value["standing"]["potential_source"]) == ("5000.00", "staff")


def test_a_potential_staff_set_or_drop_shows_from_the_next_ranking(bus: Bus):
    people = peers_and_others(bus)
    rank_tenant(TENANT, NOW)
    reply = call("updateContact", record_id=people["Soft1"]["contact"], body={"potential": "150.00"})
    assert reply.status == 200, reply.body
    reply = call("updateAccount", record_id=people["Mall"]["account"], body={"potential": None})
    assert reply.status == 200, reply.body
    rank_tenant(TENANT, NOW)
    contact = report(level="contact", sort="potential_gap", limit="1")["items"][0]
    assert contact["id"] == people["Soft2"]["contact"]  # Mall's contact never had one of its own
    soft1 = call("getContactValue", record_id=people["Soft1"]["contact"]).body["standing"]
    assert (soft1["potential"], soft1["potential_gap"], soft1["potential_source"]) == ("150.00", "50.00", "staff")
    account = call("getAccountValue", record_id=people["Soft1"]["account"]).body["standing"]
    assert account["potential_source"] == "peers"  # the contact's potential is the contact's alone
    mall = call("getAccountValue", record_id=people["Mall"]["account"]).body["standing"]
    assert "potential" not in mall or mall["potential"] is None


def test_a_standing_put_before_potentials_is_put_again_with_its_copy_by_gap(bus: Bus):
    people = peers_and_others(bus)
    rank_tenant(TENANT, NOW)
    old = people["Soft1"]["account"]
    with tenancy.tenant_scope(TENANT):  # as the ranking put it before potentials: no figures, no copy by gap
        partition = keys.record_pk(TENANT, ACCOUNT, old)
        standing = SummaryItem.get(partition, store.STANDING_SK)
        standing.data = {
            name: value
            for name, value in standing.summary_data().items()
            if not name.startswith(("potential", "peer_"))
        }
        standing.save()
        SummaryItem.get(partition, store.GAP_SK).delete()
    assert old not in [item["id"] for item in every(level="account", sort="potential_gap")]
    assert rank_tenant(TENANT, NOW).written == 1  # nothing else moved
    first = report(level="account", sort="potential_gap", limit="2")["items"][1]
    assert (first["id"], first["potential_gap"], first["peer_count"]) == (old, "375.00", 6)


@pytest.mark.parametrize(
    ("operation", "potential"),
    [
        ("updateAccount", "-1"),
        ("updateAccount", "12.345"),
        ("updateAccount", "lots"),
        ("updateAccount", {"amount": "10", "currency": "EUR"}),
        ("updateContact", "-0.01"),
        ("updateContact", True),
        ("updateContact", "1e3"),
    ],
)
def test_a_potential_that_is_no_amount_of_money_is_refused_naming_the_field(operation: str, potential: Any):
    kind = "Account" if operation == "updateAccount" else "Contact"
    record = create("createAccount", name="Acme") if kind == "Account" else create("createContact", last_name="Doe")
    reply = call(operation, record_id=record["id"], body={"potential": potential})
    assert reply.status == 422, reply.body
    assert [error["field"] for error in reply.body["errors"]] == ["potential"]
    assert call(f"get{kind}", record_id=record["id"]).body.get("potential") is None


def test_every_level_sort_tier_and_segment_together_is_one_query_that_pages_to_the_end(bus: Bus):
    peers_and_others(bus)
    rank_tenant(TENANT, NOW)
    whole = {(level, sort): every(level=level, sort=sort) for level in LEVELS for sort in SORTS}
    found = {item["rfm"]["segment"] for items in whole.values() for item in items}
    assert len(found) >= 2  # the grid has more than one segment to tell apart
    absent = next(segment for segment in Segment if segment not in found)
    for (level, sort), tier, segment in product(whole, TIERS, [None, *sorted(found), absent]):
        expected = [
            item
            for item in whole[level, sort]
            if (tier is None or item["tier"] == tier) and (segment is None or item["rfm"]["segment"] == segment)
        ]
        parameters = {"level": level, "sort": sort} | ({"tier": tier} if tier else {})
        parameters |= {"segment": segment} if segment else {}
        assert every(**parameters) == expected, parameters  # page by page: `report` checks ONE Query each
        assert every(**parameters, limit="1") == expected, parameters


def test_a_segment_s_pages_may_be_short_but_always_move_on(bus: Bus):
    people = peers_and_others(bus)
    rank_tenant(TENANT, NOW)
    accounts = every(level="account")
    rare = next(
        segment
        for segment in {item["rfm"]["segment"] for item in accounts}
        if sum(item["rfm"]["segment"] == segment for item in accounts) < len(accounts) / 2
    )
    pages, cursor = [], None
    while True:
        with dynamodb_requests() as requests:
            reply = call(
                "listCustomerReport", query={"segment": rare, "limit": "2"} | ({"cursor": cursor} if cursor else {})
            )
        assert reply.status == 200 and requests == ["Query"]
        pages.append(len(reply.body["items"]))
        if (cursor := reply.body["next_cursor"]) is None:
            break
    assert len(pages) <= len(accounts) // 3 + 1  # each page reads 3 entries on: the walk ends
    assert sum(pages) == sum(item["rfm"]["segment"] == rare for item in accounts) and min(pages) < 2
    assert len(people) == len(accounts)


@pytest.mark.parametrize("segment", ["champion", "CHAMPIONS", "", "x"])
def test_an_unknown_segment_is_refused_naming_it(segment: str):
    reply = call("listCustomerReport", query={"segment": segment})
    assert reply.status == 400, reply.body
    assert [error["field"] for error in reply.body["errors"]] == ["segment"]


def test_a_cursor_is_bound_to_its_segment(bus: Bus):
    peers_and_others(bus)
    rank_tenant(TENANT, NOW)
    first = report(level="account", limit="1")
    assert first["next_cursor"] is not None
    moved = call(
        "listCustomerReport",
        query={"level": "account", "limit": "1", "segment": "champions", "cursor": first["next_cursor"]},
    )
    assert moved.status == 400, moved.body


def test_potential_amounts_are_cents_of_the_tenant_currency(bus: Bus):
    people = peers_and_others(bus)
    rank_tenant(TENANT, NOW)
    items = every(level="account", sort="potential_gap")
    for item in items:
        if item.get("potential") is not None:
            assert Decimal(item["potential"]).as_tuple().exponent == -2
            assert item["currency"] == "USD"
    assert {item["id"] for item in items} == {who["account"] for who in people.values()}
