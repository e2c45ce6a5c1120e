"""Segments under moto: the records, a static list's members, and dynamic membership kept by the table's stream
(the outbox played by hand, its events routed to the workers as their rules do)."""

from __future__ import annotations

from typing import Any

import pytest

from rapport.contacts.manifest import CONTACT
from rapport.dal import repository, tenancy
from rapport.orders import store as order_store
from rapport.segments import placement, store
from rapport.segments.membership import BACKFILL_EVENTS, CONTINUED, MEMBERSHIP_EVENTS
from tests.integration.followups import CONTEXT, Bus
from tests.integration.outbox import published
from tests.integration.sales import deal, move, pipeline
from tools.lambda_api import Staff, call, create
from tools.metering import dynamodb_requests

MARKETER = Staff().as_("marketing")
SALES = Staff()
OTHER_TENANT = Staff(tenant="tenant-b", user="user-9", groups=("admin",))
NO_KEY: dict[str, str | None] = {"Idempotency-Key": None}
VIP = {"type": "tag", "tag": "vip"}


@pytest.fixture
def bus() -> Bus:
    return Bus()


def deliver(bus: Bus, *, remaining_ms: int = 600_000) -> list[dict[str, Any]]:
    """The new events (and fill continuations) routed to the segment workers until none is left; their answers."""
    from segment_backfill.handler import handle
    from segment_membership.handler import lambda_handler

    answers: list[dict[str, Any]] = []
    while events := bus.publish_new() + continuations(bus):
        for event in events:
            if event["detail-type"] in MEMBERSHIP_EVENTS:
                answers.append(lambda_handler(event, CONTEXT))
            elif event["detail-type"] in (*BACKFILL_EVENTS, CONTINUED):
                answers.append(handle(event, lambda: remaining_ms, bus.put_events))
    return answers


def continuations(bus: Bus) -> list[dict[str, Any]]:
    import json

    found = [e for e in bus.entries if e["DetailType"] == CONTINUED]
    bus.entries = [e for e in bus.entries if e["DetailType"] != CONTINUED]
    return [{"source": e["Source"], "detail-type": e["DetailType"], "detail": json.loads(e["Detail"])} for e in found]


def new_segment(staff: Staff = MARKETER, **fields: Any) -> dict[str, Any]:
    reply = call("createSegment", staff, body={"name": "Segment", **fields}, headers=NO_KEY)
    assert reply.status == 201, reply.body
    return dict(reply.body)


def segment(segment_id: str, staff: Staff = MARKETER) -> dict[str, Any]:
    reply = call("getSegment", staff, record_id=segment_id)
    assert reply.status == 200, reply.body
    return dict(reply.body)


def members(segment_id: str, staff: Staff = MARKETER) -> list[str]:
    reply = call("listSegmentMembers", staff, record_id=segment_id, query={"limit": "100"})
    assert reply.status == 200, reply.body
    return sorted(member["contact_id"] for member in reply.body["items"])


def contact(**fields: Any) -> dict[str, Any]:
    return create("createContact", **{"last_name": "Lovelace", **fields})


def edit(record: dict[str, Any], operation: str = "updateContact", **fields: Any) -> dict[str, Any]:
    current = call(operation.replace("update", "get"), record_id=record["id"]).etag
    reply = call(operation, record_id=record["id"], body=fields, headers={"If-Match": current})
    assert reply.status == 200, reply.body
    return dict(reply.body)


def change(segment_id: str, staff: Staff = MARKETER, **body: Any) -> Any:
    return call("changeSegmentMembers", staff, record_id=segment_id, body=body)


# The records


def test_a_segment_is_read_with_its_count_and_fill_in_one_query():
    created = new_segment(filter=VIP)
    assert (created["kind"], created["filter"]) == ("dynamic", VIP)
    with dynamodb_requests() as requests:
        read = segment(created["id"])
    assert requests == ["Query"]
    assert read["count"] == 0
    assert read["backfill"]["state"] == "running" and read["backfill"]["processed"] == 0
    with dynamodb_requests() as requests:
        listed = call("listSegments", MARKETER).body["items"]
    assert requests == ["Query"]
    assert [item["id"] for item in listed] == [created["id"]]


@pytest.mark.parametrize(
    ("body", "field"),
    [
        (
            {"filter": {"type": "and", "filters": [VIP, {"type": "or", "filters": [{"type": "bogus"}]}]}},
            "filter.filters[1].filters[0]",
        ),
        ({"filter": {"type": "not", "filter": {"type": "field", "field": "email", "op": "equals"}}}, "filter.filter"),
        ({"filter": {"type": "field", "field": "shoe_size", "op": "equals", "value": "9"}}, "filter.field"),
        ({"filter": {"type": "consent", "channel": "fax", "statuses": ["opted_in"]}}, "filter.channel"),
        ({"filter": {"type": "last_activity"}}, "filter"),
        ({"filter": {"type": "or", "filters": []}}, "filter.filters"),
        ({}, "filter"),
        ({"kind": "static", "filter": VIP}, "filter"),
    ],
)
def test_a_bad_filter_is_a_422_naming_the_clause_by_its_json_path(body: dict[str, Any], field: str):
    reply = call("createSegment", MARKETER, body={"name": "Bad", **body}, headers=NO_KEY)
    assert reply.status == 422, reply.body
    assert field in [error["field"] for error in reply.body["errors"]], reply.body


def test_a_filter_too_deep_is_refused():
    tree: dict[str, Any] = VIP
    for _ in range(7):
        tree = {"type": "not", "filter": tree}
    reply = call("createSegment", MARKETER, body={"name": "Deep", "filter": tree}, headers=NO_KEY)
    assert reply.status == 422 and reply.body["errors"][0]["field"] == "filter", reply.body


def test_sales_read_segments_but_only_marketers_make_them():
    assert call("createSegment", SALES, body={"name": "Mine", "filter": VIP}, headers=NO_KEY).status == 403
    made = new_segment(filter=VIP)
    assert call("getSegment", SALES, record_id=made["id"]).status == 200
    assert call("getSegment", OTHER_TENANT, record_id=made["id"]).status == 404


# Static lists


def test_a_static_list_s_members_are_added_and_removed_by_id():
    first, second, third = contact(last_name="One"), contact(last_name="Two"), contact(last_name="Three")
    listed = new_segment(kind="static")
    reply = change(listed["id"], add=[first["id"], second["id"]])
    assert reply.status == 200, reply.body
    assert reply.body == {"added": [first["id"], second["id"]], "removed": [], "count": 2}
    again = change(listed["id"], add=[first["id"], third["id"]], remove=[second["id"]]).body
    assert (again["added"], again["removed"], again["count"]) == ([third["id"]], [second["id"]], 2)
    with dynamodb_requests() as requests:
        assert members(listed["id"]) == sorted([first["id"], third["id"]])
    assert requests == ["Query"]
    assert segment(listed["id"])["count"] == 2
    assert change(listed["id"], remove=[second["id"]]).body["removed"] == []


def moves(segment_id: str) -> list[tuple[str, str, str]]:
    """The segment's `segment_membership` events the table's stream makes: (joined or left, contact, actor), as the
    contact sorts, joins first."""
    found = [e for e in published() if e.entity == "segment_membership" and e.entity_id == segment_id]
    assert all(e.version is None and e.tenant_id == SALES.tenant for e in found)
    verb = {"segment_membership.joined": "joined", "segment_membership.left": "left"}
    return sorted((verb[e.detail_type], e.record["contact_id"], e.actor) for e in found)


def test_a_static_list_s_members_joining_and_leaving_are_events_by_whoever_changed_it():
    ada = Staff(user="marketer-7", groups=("marketing",))
    first, second = contact(last_name="One"), contact(last_name="Two")
    listed = new_segment(ada, kind="static")
    assert change(listed["id"], ada, add=[first["id"], second["id"]]).status == 200
    assert change(listed["id"], MARKETER, remove=[first["id"]]).status == 200
    assert moves(listed["id"]) == [
        *sorted([("joined", first["id"], "marketer-7"), ("joined", second["id"], "marketer-7")]),
        ("left", first["id"], "unknown"),  # a delete says nothing of who made it
    ]
    events = {(e.detail_type, e.record["contact_id"]): e for e in published() if e.entity == "segment_membership"}
    joined = events["segment_membership.joined", second["id"]]
    assert joined.record == {
        "contact_id": second["id"],
        "joined_at": joined.occurred_at,
        "updated_by": "marketer-7",
        "updated_at": joined.occurred_at,
    }
    left = events["segment_membership.left", first["id"]]
    assert (left.entity_id, left.record["contact_id"]) == (listed["id"], first["id"])
    assert left.occurred_at >= left.record["joined_at"]


def test_a_static_list_refuses_unknown_contacts_and_a_dynamic_one_any_hand_change():
    known = contact()
    listed = new_segment(kind="static")
    reply = change(listed["id"], add=[known["id"], "01JD5Y7M7ZV1W4T5C9H2K3N4ZZ"])
    assert reply.status == 422 and [e["field"] for e in reply.body["errors"]] == ["add[1]"], reply.body
    assert members(listed["id"]) == []
    assert change(listed["id"], add=[known["id"]], remove=[known["id"]]).status == 422
    assert change(listed["id"]).status == 422
    dynamic = new_segment(filter=VIP)
    assert change(dynamic["id"], add=[known["id"]]).status == 409
    assert call("listSegmentMembers", MARKETER, record_id="01JD5Y7M7ZV1W4T5C9H2K3N4ZZ").status == 404


def test_members_page_with_a_cursor():
    people = [contact(last_name=f"P{n}") for n in range(5)]
    listed = new_segment(kind="static")
    assert change(listed["id"], add=[p["id"] for p in people]).status == 200
    seen: list[str] = []
    cursor = None
    while True:
        query = {"limit": "2", **({"cursor": cursor} if cursor else {})}
        with dynamodb_requests() as requests:
            page = call("listSegmentMembers", MARKETER, record_id=listed["id"], query=query).body
        assert requests == ["Query"]
        seen += [member["contact_id"] for member in page["items"]]
        cursor = page["next_cursor"]
        if cursor is None:
            break
    assert sorted(seen) == sorted(p["id"] for p in people)


# Dynamic membership, kept by the stream


def test_a_contact_edited_into_and_out_of_a_segment(bus: Bus):
    vips = new_segment(filter=VIP)
    person = contact()
    deliver(bus)
    assert members(vips["id"]) == []
    person = edit(person, tags=["vip"])
    deliver(bus)
    assert members(vips["id"]) == [person["id"]]
    assert segment(vips["id"])["count"] == 1
    assert store.segment_ids_of(SALES.tenant, person["id"]) == {vips["id"]}
    edit(person, tags=["regular"])
    deliver(bus)
    assert members(vips["id"]) == [] and segment(vips["id"])["count"] == 0
    assert store.segment_ids_of(SALES.tenant, person["id"]) == set()


def test_dynamic_placement_joins_and_leaves_are_events_by_the_workers(bus: Bus):
    filled = contact(last_name="Filled", tags=["vip"])
    deliver(bus)
    vips = new_segment(filter=VIP)
    deliver(bus)
    assert moves(vips["id"]) == [("joined", filled["id"], placement.FILL_ACTOR)]
    person = contact()
    deliver(bus)
    person = edit(person, tags=["vip"])
    deliver(bus)
    edit(person, tags=["regular"])
    deliver(bus)
    assert moves(vips["id"]) == [
        *sorted([("joined", filled["id"], placement.FILL_ACTOR), ("joined", person["id"], placement.MEMBERSHIP_ACTOR)]),
        ("left", person["id"], "unknown"),
    ]
    admin = Staff().as_("admin")
    assert call("deleteSegment", admin, record_id=vips["id"], query={"permanent": "true"}).status == 204
    deliver(bus)  # an erased segment's members leave it
    assert ("left", filled["id"], "unknown") in moves(vips["id"])


def test_a_new_segment_fills_from_the_contacts_there_are_with_progress(bus: Bus):
    tagged = [contact(last_name=f"Vip {n}", tags=["VIP"]) for n in range(3)]
    contact(last_name="Other")
    deliver(bus)
    vips = new_segment(filter=VIP)
    deliver(bus, remaining_ms=0)  # one page per invocation: the fill goes on through its continuations
    assert members(vips["id"]) == sorted(c["id"] for c in tagged)
    read = segment(vips["id"])
    assert read["count"] == 3
    assert (read["backfill"]["state"], read["backfill"]["processed"]) == ("done", 4)
    assert read["backfill"]["version"] == 1


def test_a_changed_filter_refills_the_segment(bus: Bus):
    lyon = contact(last_name="Lyon", address={"city": "Lyon", "country": "FR"}, tags=["vip"])
    paris = contact(last_name="Paris", address={"city": "Paris", "country": "FR"})
    made = new_segment(filter=VIP)
    deliver(bus)
    assert members(made["id"]) == [lyon["id"]]
    city = {"type": "field", "field": "city", "op": "equals", "value": "paris"}
    reply = call("updateSegment", MARKETER, record_id=made["id"], body={"filter": city}, headers={"If-Match": '"1"'})
    assert reply.status == 200, reply.body
    assert segment(made["id"])["backfill"]["state"] == "running"
    deliver(bus)
    assert members(made["id"]) == [paris["id"]]
    assert segment(made["id"])["backfill"]["version"] == 2


def test_consent_per_channel_and_topic_moves_membership(bus: Bus):
    readers = new_segment(
        filter={"type": "consent", "channel": "email", "topic": "newsletter", "statuses": ["opted_in"]}
    )
    unknown = new_segment(filter={"type": "consent", "channel": "sms", "statuses": ["unknown"]})
    topics = call(
        "putMarketingSettings", Staff().as_("manager"), body={"topics": ["newsletter"]}, headers={"If-Match": '"0"'}
    )
    assert topics.status == 200, topics.body
    person = contact(email="ada@example.com")
    deliver(bus)
    assert members(readers["id"]) == [] and members(unknown["id"]) == [person["id"]]
    opt_in = {"channel": "email", "topic": "newsletter", "status": "opted_in"}
    assert call("putContactConsent", record_id=person["id"], body=opt_in).status == 200
    deliver(bus)
    assert members(readers["id"]) == [person["id"]]
    opt_out = {**opt_in, "status": "opted_out", "source": "unsubscribe_link"}
    assert call("putContactConsent", record_id=person["id"], body=opt_out).status == 200
    deliver(bus)
    assert members(readers["id"]) == []


def test_the_account_s_industry_and_size_move_its_contacts(bus: Bus):
    account = create("createAccount", name="Initech", industry="Software")
    person = contact(account_id=account["id"])
    big_software = new_segment(
        filter={
            "type": "and",
            "filters": [
                {"type": "account_industry", "industries": ["software"]},
                {"type": "account_size", "sizes": ["201-1000", "1001-5000"]},
            ],
        }
    )
    deliver(bus)
    assert members(big_software["id"]) == []
    edit(account, "updateAccount", size="201-1000")
    deliver(bus)
    assert members(big_software["id"]) == [person["id"]]
    edit(account, "updateAccount", industry="Retail")
    deliver(bus)
    assert members(big_software["id"]) == []


def test_an_open_deal_and_the_latest_activity_move_membership(bus: Bus):
    person = contact()
    with_deal = new_segment(filter={"type": "open_deal", "has": True})
    quiet = new_segment(
        filter={
            "type": "and",
            "filters": [
                {"type": "not", "filter": {"type": "open_deal", "has": True}},
                {"type": "last_activity", "after": "2026-01-01T00:00:00Z"},
            ],
        }
    )
    deliver(bus)
    sales = pipeline()
    opened = deal(sales["id"], contact_ids=[person["id"]])
    deliver(bus)
    assert members(with_deal["id"]) == [person["id"]] and members(quiet["id"]) == []
    move(opened, "Lost", lost_reason="price")
    body = {"type": "call", "occurred_at": "2026-03-01T10:00:00Z", "subject": "Check-in", "contact_id": person["id"]}
    assert call("createActivity", body=body, headers=NO_KEY).status == 201
    deliver(bus)
    assert members(with_deal["id"]) == [] and members(quiet["id"]) == [person["id"]]


def test_a_trashed_contact_leaves_dynamic_segments_and_comes_back_restored(bus: Bus):
    person = contact(tags=["vip"])
    vips = new_segment(filter=VIP)
    kept = new_segment(kind="static")
    deliver(bus)
    assert change(kept["id"], add=[person["id"]]).status == 200
    assert call("deleteContact", record_id=person["id"]).status == 204
    deliver(bus)
    assert members(vips["id"]) == [] and members(kept["id"]) == [person["id"]]
    assert (
        call("restoreContact", Staff().as_("manager"), record_id=person["id"], headers={"If-Match": None}).status == 200
    )
    deliver(bus)
    assert members(vips["id"]) == [person["id"]]
    erased = call(
        "deleteContact",
        Staff().as_("admin"),
        record_id=person["id"],
        query={"permanent": "true"},
        headers={"If-Match": None},
    )
    assert erased.status == 204, erased.body
    deliver(bus)
    assert members(vips["id"]) == [] and members(kept["id"]) == []
    assert segment(kept["id"])["count"] == 0


def test_an_erased_segment_takes_its_members_out(bus: Bus):
    person = contact(tags=["vip"])
    vips = new_segment(filter=VIP)
    deliver(bus)
    assert store.segment_ids_of(SALES.tenant, person["id"]) == {vips["id"]}
    admin = Staff().as_("admin")
    assert call("deleteSegment", admin, record_id=vips["id"], query={"permanent": "true"}).status == 204
    deliver(bus)
    assert store.segment_ids_of(SALES.tenant, person["id"]) == set()


def test_a_trashed_segment_is_not_kept(bus: Bus):
    vips = new_segment(filter=VIP)
    assert call("deleteSegment", MARKETER, record_id=vips["id"]).status == 204
    person = contact(tags=["vip"])
    deliver(bus)
    assert members(vips["id"]) == []
    assert call("restoreSegment", MARKETER, record_id=vips["id"], headers={"If-Match": None}).status == 200
    deliver(bus)
    assert members(vips["id"]) == [person["id"]]


def rank(contact_id: str, tier: str, churn: str) -> None:
    """The daily ranking's standing of the contact (what rapport.orders.reports puts when it changed)."""
    standing = {
        "rank": 1,
        "tier": tier,
        "churn": {"status": churn},
        "updated_at": "2026-11-30T03:00:00Z",
        "updated_by": "rapport:ranking",
    }
    with tenancy.tenant_scope(SALES.tenant):
        order_store.put_standing(SALES.tenant, CONTACT, contact_id, standing, rank=1, tier=tier, risk=0, gap=None)


def test_the_daily_ranking_s_tier_and_churn_move_membership(bus: Bus):
    person = contact()
    top = new_segment(filter={"type": "value_tier", "tiers": ["A"]})
    leaving = new_segment(filter={"type": "churn_status", "statuses": ["deserting", "at_risk"]})
    deliver(bus)
    rank(person["id"], "A", "active")
    deliver(bus)
    assert members(top["id"]) == [person["id"]] and members(leaving["id"]) == []
    rank(person["id"], "B", "active")
    deliver(bus)
    assert members(top["id"]) == []
    rank(person["id"], "B", "deserting")
    deliver(bus)
    assert members(leaving["id"]) == [person["id"]]


def test_a_rename_keeps_the_fill_and_a_static_list_made_dynamic_is_filled(bus: Bus):
    tagged, other = contact(last_name="Tagged", tags=["vip"]), contact(last_name="Other")
    made = new_segment(filter=VIP, description="Our best customers")
    deliver(bus)
    renamed = call("updateSegment", MARKETER, record_id=made["id"], body={"name": "VIPs"}, headers={"If-Match": '"1"'})
    assert renamed.status == 200, renamed.body
    deliver(bus)
    assert segment(made["id"])["backfill"]["version"] == 1 and members(made["id"]) == [tagged["id"]]

    listed = new_segment(kind="static")
    assert change(listed["id"], add=[other["id"]]).status == 200
    made_dynamic = {"kind": "dynamic", "filter": VIP}
    reply = call("updateSegment", MARKETER, record_id=listed["id"], body=made_dynamic, headers={"If-Match": '"1"'})
    assert reply.status == 200, reply.body
    deliver(bus)
    assert members(listed["id"]) == [tagged["id"]] and segment(listed["id"])["count"] == 1
    assert change(listed["id"], add=[other["id"]]).status == 409
    made_static = {"kind": "static", "filter": None}
    reply = call("updateSegment", MARKETER, record_id=listed["id"], body=made_static, headers={"If-Match": '"2"'})
    assert reply.status == 200, reply.body
    assert segment(listed["id"])["backfill"] is None and members(listed["id"]) == [tagged["id"]]


def test_another_tenant_s_segment_is_not_found():
    listed = new_segment(kind="static")
    person = contact()
    assert call("listSegmentMembers", OTHER_TENANT, record_id=listed["id"]).status == 404
    assert change(listed["id"], OTHER_TENANT, add=[person["id"]]).status == 404
    assert members(listed["id"]) == []


def test_a_tenant_without_segments_pays_two_queries_a_contact_event(bus: Bus):
    from segment_membership.handler import lambda_handler

    contact(tags=["vip"])
    [event] = [e for e in bus.publish_new() if e["detail-type"] == "contact.created"]
    with dynamodb_requests() as requests:
        assert lambda_handler(event, CONTEXT)["contacts"] == {event["detail"]["entity_id"]: {"joined": [], "left": []}}
    assert requests == ["Query", "Query"]


def test_a_decision_on_a_contact_as_it_was_does_not_land_after_it_changed(bus: Bus):
    """Events are handled concurrently and in any order: an invocation that read the contact tagged must not put
    it in after another read it untagged and left it out."""
    vips = new_segment(filter=VIP)
    person = contact(tags=["vip"])
    with tenancy.tenant_scope(SALES.tenant):
        as_read = repository.get(SALES.tenant, CONTACT, person["id"])
    assert as_read is not None
    edit(person, tags=[])
    with tenancy.tenant_scope(SALES.tenant):
        assert placement.join(SALES.tenant, vips["id"], as_read, by=placement.MEMBERSHIP_ACTOR) is False
    assert members(vips["id"]) == [] and segment(vips["id"])["count"] == 0
    deliver(bus)
    assert members(vips["id"]) == []
    edit(person, tags=["vip"])
    deliver(bus)
    with tenancy.tenant_scope(SALES.tenant):
        assert placement.leave(SALES.tenant, vips["id"], person["id"], as_read) is False
    assert members(vips["id"]) == [person["id"]]


def test_a_filter_sent_again_writes_nothing_and_another_replaces_it_whole(bus: Bus):
    nested = {"type": "not", "filter": {"type": "tag", "tag": "vip"}}
    made = new_segment(filter=nested)
    deliver(bus)
    same = call("updateSegment", MARKETER, record_id=made["id"], body={"filter": nested}, headers={"If-Match": '"1"'})
    assert same.status == 200 and same.body["version"] == 1, same.body
    assert segment(made["id"])["backfill"]["state"] == "done"
    other = {"type": "not", "filter": {"type": "owner", "owner_ids": ["user-2"]}}
    replaced = call(
        "updateSegment", MARKETER, record_id=made["id"], body={"filter": other}, headers={"If-Match": '"1"'}
    )
    assert replaced.status == 200 and replaced.body["filter"] == other, replaced.body
