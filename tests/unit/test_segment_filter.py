"""The segment filter: its validation (errors by JSON path) and its pure evaluation over a contact's view."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st
from pydantic import TypeAdapter, ValidationError

from rapport.events.models import DomainEvent, FieldChange
from rapport.events.publisher import derivations
from rapport.segments import membership
from rapport.segments.filter import MAX_CLAUSES, ContactView, Filter, Node, matches
from rapport.segments.models import MembersChange, SegmentCreate

FILTER: TypeAdapter[Node] = TypeAdapter(Filter)
ADA = {
    "first_name": "Ada",
    "last_name": "Lovelace",
    "email": "ada@example.com",
    "job_title": "Chief Engineer",
    "address": {"city": "London", "country": "GB"},
    "tags": ["VIP", "beta"],
    "owner_id": "user-1",
    "consent": {
        "email": {"status": "opted_in", "at": "2026-01-01T00:00:00Z", "source": "api"},
        "topics": {"email": {"newsletter": {"status": "pending", "at": "2026-01-01T00:00:00Z", "source": "api"}}},
    },
}
VIEW = ContactView(
    contact=ADA,
    account={"name": "Analytical", "industry": "Software", "size": "51-200"},
    open_deals=1,
    tier="A",
    churn_status="at_risk",
    last_activity_at=datetime(2026, 6, 1, 12, tzinfo=UTC),
)
BARE = ContactView(contact={"last_name": "Nobody"})


def holds(tree: dict[str, Any], view: ContactView = VIEW) -> bool:
    return matches(FILTER.validate_python(tree), view)


@pytest.mark.parametrize(
    ("tree", "ada", "bare"),
    [
        ({"type": "field", "field": "first_name", "op": "equals", "value": "ADA"}, True, False),
        ({"type": "field", "field": "email", "op": "contains", "value": "@example."}, True, False),
        ({"type": "field", "field": "job_title", "op": "starts_with", "value": "chief"}, True, False),
        ({"type": "field", "field": "job_title", "op": "starts_with", "value": "engineer"}, False, False),
        ({"type": "field", "field": "city", "op": "equals", "value": "london"}, True, False),
        ({"type": "field", "field": "country", "op": "equals", "value": "FR"}, False, False),
        ({"type": "field", "field": "phone", "op": "is_set"}, False, False),
        ({"type": "field", "field": "last_name", "op": "is_set"}, True, True),
        ({"type": "tag", "tag": "vip"}, True, False),
        ({"type": "tag", "tag": "gold"}, False, False),
        ({"type": "consent", "channel": "email", "statuses": ["opted_in"]}, True, False),
        ({"type": "consent", "channel": "email", "topic": "newsletter", "statuses": ["pending"]}, True, False),
        ({"type": "consent", "channel": "email", "topic": "offers", "statuses": ["unknown"]}, True, True),
        ({"type": "consent", "channel": "sms", "statuses": ["unknown"]}, True, True),
        ({"type": "consent", "channel": "sms", "statuses": ["opted_in", "pending"]}, False, False),
        ({"type": "owner", "owner_ids": ["user-1", "user-2"]}, True, False),
        ({"type": "account_industry", "industries": ["software"]}, True, False),
        ({"type": "account_size", "sizes": ["51-200"]}, True, False),
        ({"type": "account_size", "sizes": ["1-10"]}, False, False),
        ({"type": "value_tier", "tiers": ["A", "B"]}, True, False),
        ({"type": "churn_status", "statuses": ["deserting"]}, False, False),
        ({"type": "churn_status", "statuses": ["at_risk"]}, True, False),
        ({"type": "open_deal", "has": True}, True, False),
        ({"type": "open_deal", "has": False}, False, True),
        ({"type": "last_activity", "after": "2026-06-01T12:00:00Z"}, True, False),
        ({"type": "last_activity", "before": "2026-06-01T12:00:00Z"}, False, False),
        ({"type": "last_activity", "after": "2026-01-01T00:00:00Z", "before": "2026-07-01T00:00:00Z"}, True, False),
    ],
)
def test_each_clause_on_a_contact_that_has_everything_and_one_that_has_nothing(
    tree: dict[str, Any], ada: bool, bare: bool
):
    assert holds(tree) is ada
    assert holds(tree, BARE) is bare


def test_the_groups_combine_their_clauses():
    vip = {"type": "tag", "tag": "vip"}
    gold = {"type": "tag", "tag": "gold"}
    assert holds({"type": "and", "filters": [vip, {"type": "not", "filter": gold}]})
    assert not holds({"type": "and", "filters": [vip, gold]})
    assert holds({"type": "or", "filters": [gold, vip]})
    assert not holds({"type": "or", "filters": [gold]})
    assert holds({"type": "not", "filter": {"type": "not", "filter": vip}})


CLAUSES = st.sampled_from(
    [
        {"type": "tag", "tag": "vip"},
        {"type": "tag", "tag": "gold"},
        {"type": "open_deal", "has": True},
        {"type": "value_tier", "tiers": ["B"]},
        {"type": "consent", "channel": "sms", "statuses": ["unknown"]},
    ]
)
TREES = st.recursive(
    CLAUSES,
    lambda children: st.one_of(
        st.builds(lambda fs: {"type": "and", "filters": fs}, st.lists(children, min_size=1, max_size=3)),
        st.builds(lambda fs: {"type": "or", "filters": fs}, st.lists(children, min_size=1, max_size=3)),
        st.builds(lambda f: {"type": "not", "filter": f}, children),
    ),
    max_leaves=8,
)
VIEWS = st.sampled_from([VIEW, BARE])


@given(TREES, TREES, VIEWS)
def test_the_groups_follow_boolean_logic(left: dict[str, Any], right: dict[str, Any], view: ContactView):
    a, b = holds(left, view), holds(right, view)
    assert holds({"type": "and", "filters": [left, right]}, view) is (a and b)
    assert holds({"type": "or", "filters": [left, right]}, view) is (a or b)
    assert holds({"type": "not", "filter": {"type": "and", "filters": [left, right]}}, view) is holds(
        {"type": "or", "filters": [{"type": "not", "filter": left}, {"type": "not", "filter": right}]}, view
    )


def _errors(body: dict[str, Any]) -> list[tuple[str, ...]]:
    with pytest.raises(ValidationError) as raised:
        SegmentCreate.model_validate({"name": "Segment", **body})
    return [tuple(str(part) for part in error["loc"]) for error in raised.value.errors()]


def test_errors_are_located_by_the_json_path_of_the_clause():
    tree = {
        "type": "and",
        "filters": [
            {"type": "tag", "tag": "x"},
            {"type": "or", "filters": [{"type": "field", "field": "tag", "op": "equals", "value": "x"}]},
            {"type": "not", "filter": {"type": "field", "field": "email", "op": "contains"}},
            {"type": "nope"},
        ],
    }
    assert _errors({"filter": tree}) == [
        ("filter", "filters", "1", "filters", "0", "field"),
        ("filter", "filters", "2", "filter"),
        ("filter", "filters", "3"),
    ]


def test_a_dynamic_segment_needs_a_filter_a_static_one_has_none_and_a_tree_is_bounded():
    assert _errors({}) == [("filter",)]
    assert _errors({"kind": "static", "filter": {"type": "tag", "tag": "x"}}) == [("filter",)]
    wide = {"type": "or", "filters": [{"type": "and", "filters": [{"type": "tag", "tag": str(n)}]} for n in range(30)]}
    assert _errors({"filter": wide}) == [("filter",)]
    assert len(wide["filters"]) * 2 > MAX_CLAUSES


def test_a_members_change_names_some_distinct_contacts():
    with pytest.raises(ValidationError):
        MembersChange.model_validate({})
    with pytest.raises(ValidationError):
        MembersChange.model_validate({"add": ["a"], "remove": ["a"]})
    assert MembersChange.model_validate({"add": ["a"], "remove": ["b"]}).remove == ["b"]


def _event(detail_type: str, record: dict[str, Any], changes: dict[str, FieldChange] | None = None) -> DomainEvent:
    entity = detail_type.split(".")[0]
    return DomainEvent(
        event_id="e",
        detail_type=detail_type,
        tenant_id="t",
        entity=entity,
        entity_id="r",
        actor="u",
        occurred_at="2026-11-30T00:00:00Z",
        version=2,
        changes=changes or {},
        record=record,
    )


def test_the_contacts_an_event_concerns_before_and_after_its_change():
    moved = {"contact_ids": FieldChange(before=["a", "b"], after=["b", "c"])}
    assert membership.contacts_of(_event("deal.updated", {"contact_ids": ["b", "c"]}, moved)) == ["a", "b", "c"]
    relinked = {"contact_id": FieldChange(before="a", after="b")}
    assert membership.contacts_of(_event("activity.updated", {"contact_id": "b"}, relinked)) == ["a", "b"]
    assert membership.contacts_of(_event("contact.updated", {})) == ["r"]
    assert membership.contacts_of(_event("customer.churn_changed", {})) == ["r"]
    renamed = {"name": FieldChange(before="A", after="B")}
    assert membership.account_of(_event("account.updated", {}, renamed)) is None
    resized = {"size": FieldChange(before=None, after="1-10")}
    assert membership.account_of(_event("account.updated", {}, resized)) == "r"
    assert membership.account_of(_event("account.deleted", {})) == "r"


def test_a_fill_starts_for_a_dynamic_segment_created_restored_or_refiltered():
    dynamic = {"kind": "dynamic"}
    assert membership.fills(_event("segment.created", dynamic))
    assert membership.fills(_event("segment.restored", dynamic))
    assert not membership.fills(_event("segment.created", {"kind": "static"}))
    renamed = {"name": FieldChange(before="A", after="B")}
    assert not membership.fills(_event("segment.updated", dynamic, renamed))
    refiltered = {"filter": FieldChange(before={}, after={})}
    assert membership.fills(_event("segment.updated", dynamic, refiltered))


def test_a_customer_s_standing_says_when_its_tier_or_churn_moved():
    derive = derivations()["customer"].derive
    assert derive({"tier": "A", "churn": {"status": "active"}}, {"tier": "B", "churn": {"status": "active"}}) == [
        "tier_changed"
    ]
    assert derive({}, {"tier": "C", "churn": {"status": "active"}}) == ["churn_changed", "tier_changed"]
    assert derive({"tier": "C"}, {"tier": "C"}) == []
