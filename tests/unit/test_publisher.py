import re
from decimal import Decimal
from typing import Any

import pytest
from boto3.dynamodb.types import TypeSerializer  # type: ignore[import-untyped]

from rapport import contexts
from rapport.accounts.manifest import ACCOUNT
from rapport.contexts import Kind
from rapport.events.models import Erasure
from rapport.events.publisher import detail_types, events_of
from rapport.orders.manifest import CUSTOMER_STANDING, RETENTION
from rapport.segments.manifest import SEGMENT_MEMBERSHIP
from rapport.segments.store import MEMBERSHIP_KIND
from rapport.web_forms.manifest import WEB_FORM
from tools import event_schemas

SERIALIZER = TypeSerializer()


def no_erasures(tenant_id: str, kind: Kind, record_id: str) -> None:
    return None


def item(kind: str, data: dict[str, Any], **fields: Any) -> dict[str, Any]:
    plain = {
        "pk": f"T#t1#{kind}#01J",
        "sk": "A#META",
        "type": "record",
        "tenant_id": "t1",
        "kind": kind,
        "id": "01J",
        "data": data,
        "updated_at": "2026-11-22T10:00:00.000Z",
        "updated_by": "rep-1",
        "version": 2,
        **fields,
    }
    return {name: SERIALIZER.serialize(value) for name, value in plain.items()}


def insert(kind: str, data: dict[str, Any]) -> dict[str, Any]:
    return {"eventID": "e-0", "eventName": "INSERT", "dynamodb": {"NewImage": item(kind, data), "SequenceNumber": "0"}}


def setting(kind: str, data: dict[str, Any], version: int = 1) -> dict[str, Any]:
    """A settings document's item as the table's stream shows it."""
    plain = {
        "pk": "T#t1#SETTINGS",
        "sk": kind,
        "type": "setting",
        "tenant_id": "t1",
        "kind": kind,
        "data": data,
        "updated_at": "2026-11-22T10:00:00.000Z",
        "updated_by": "admin-1",
        "version": version,
    }
    return {name: SERIALIZER.serialize(value) for name, value in plain.items()}


def saved(kind: str, before: dict[str, Any] | None, after: dict[str, Any]) -> dict[str, Any]:
    images = {"NewImage": setting(kind, after, 2 if before else 1), "SequenceNumber": "3"}
    if before is not None:
        images["OldImage"] = setting(kind, before)
    return {"eventID": "e-3", "eventName": "MODIFY" if before else "INSERT", "dynamodb": images}


def first_event(kind: Kind) -> Any:
    """The first event a thing of `kind` makes: a record's creation, a settings document's first save."""
    record = saved(kind.code, None, {}) if kind.document else insert(kind.code, {})
    [event] = events_of(record, no_erasures)
    return event


def modify(kind: str, before: dict[str, Any], after: dict[str, Any], **fields: Any) -> dict[str, Any]:
    return {
        "eventID": "e-1",
        "eventName": "MODIFY",
        "dynamodb": {"OldImage": item(kind, before), "NewImage": item(kind, after, **fields), "SequenceNumber": "1"},
    }


@pytest.mark.parametrize(
    ("before", "after", "expected"),
    [
        ({"stage": "Qualify"}, {"stage": "Propose"}, ["deal.updated", "deal.stage_changed"]),
        (
            {"stage": "Propose", "status": "open"},
            {"stage": "Won", "status": "won"},
            ["deal.updated", "deal.stage_changed", "deal.won"],
        ),
        (
            {"stage": "Propose", "status": "open"},
            {"stage": "Lost", "status": "lost"},
            ["deal.updated", "deal.stage_changed", "deal.lost"],
        ),
        ({"name": "A"}, {"name": "B"}, ["deal.updated"]),
    ],
)
def test_deal_updates_say_what_happened(before, after, expected):
    assert [event.detail_type for event in events_of(modify("DEAL", before, after), no_erasures)] == expected


def test_a_lead_turning_converted_is_converted_once():
    assert [
        e.detail_type for e in events_of(modify("LEAD", {"status": "qualified"}, {"status": "converted"}), no_erasures)
    ] == [
        "lead.updated",
        "lead.converted",
    ]
    assert [
        e.detail_type for e in events_of(modify("LEAD", {"status": "converted"}, {"status": "converted"}), no_erasures)
    ] == ["lead.updated"]


def test_numbers_keep_their_exact_value():
    [event] = events_of(modify("DEAL", {"amount": Decimal(10)}, {"amount": Decimal("10.50")}), no_erasures)
    assert event.changes["amount"].model_dump() == {"before": 10, "after": "10.50"}
    assert event.version == 2


def test_every_produced_type_is_in_the_schema():
    types = set(detail_types())
    assert {"deal.won", "deal.stage_changed", "lead.converted", "task.completed", "contact.erased"} <= types


def test_the_committed_event_schema_is_current():
    assert event_schemas.DOCUMENT.read_text() == event_schemas.render(), "run `make event-schemas`"


EVENT_TYPE = re.compile(r"[a-z_]+\.[a-z_]+")


@pytest.mark.parametrize("kind", [kind for kind in contexts.kinds() if not kind.summary], ids=repr)
def test_every_kinds_event_types_are_its_snake_case_name_dot_a_verb(kind: Kind):
    created = first_event(kind)
    entity, _ = created.detail_type.split(".")
    assert EVENT_TYPE.fullmatch(created.detail_type)
    assert created.entity == entity
    of_kind = [detail_type for detail_type in detail_types() if detail_type.startswith(f"{entity}.")]
    assert created.detail_type in of_kind
    assert all(EVENT_TYPE.fullmatch(detail_type) for detail_type in of_kind)


def test_a_kind_named_in_two_words_publishes_under_one_snake_case_word():
    [event] = events_of(insert(WEB_FORM.code, {"name": "Contact us"}), no_erasures)
    assert (event.detail_type, event.entity) == ("web_form.created", "web_form")


@pytest.mark.parametrize("before", [None, {"currency": "USD"}])
def test_every_save_of_a_settings_document_is_an_update_by_whoever_saved_it(before):
    rates = {"currency": "EUR", "rates": {"USD": "0.92"}}
    [event] = events_of(saved("CURRENCY_RATES", before, rates), no_erasures)
    assert (event.detail_type, event.entity, event.entity_id) == ("currency_rates.updated", "currency_rates", "t1")
    assert (event.actor, event.occurred_at) == ("admin-1", "2026-11-22T10:00:00.000Z")
    assert event.changes["currency"].model_dump() == {"before": before and before["currency"], "after": "EUR"}
    assert event.record == {"currency": "EUR", "rates": {"USD": "0.92"}}


def test_scoring_rules_saved_over_their_old_record_are_an_update():
    record = {"eventID": "e-4", "eventName": "MODIFY"}
    images = {"OldImage": item("SCORING", {"fit": []}), "NewImage": setting("SCORING", {"fit": [{"points": 5}]})}
    [event] = events_of({**record, "dynamodb": {**images, "SequenceNumber": "4"}}, no_erasures)
    assert event.detail_type == "scoring_rules.updated"
    assert set(event.changes) == {"fit"}


def remove(kind: str, data: dict[str, Any], **fields: Any) -> dict[str, Any]:
    images = {"OldImage": item(kind, data, **fields), "SequenceNumber": "5"}
    return {"eventID": "e-5", "eventName": "REMOVE", "dynamodb": {**images, "ApproximateCreationDateTime": 1795400000}}


def test_an_erase_is_told_by_whoever_erased_it_when_they_did():
    erasures = {("t1", ACCOUNT, "01J"): Erasure(by="admin-1", at="2026-11-30T12:00:00.000Z")}
    trashed = {"deleted_at": "2026-11-23T08:00:00.000Z", "deleted_by": "rep-2"}
    [event] = events_of(remove("ACC", {"name": "Acme"}, **trashed), lambda *key: erasures.get(key))
    assert (event.detail_type, event.actor, event.occurred_at) == (
        "account.erased",
        "admin-1",
        "2026-11-30T12:00:00.000Z",
    )
    assert (event.version, event.record) == (None, {"name": "Acme"})


def test_an_erase_that_left_no_tombstone_says_so_and_when_the_stream_saw_it():
    [event] = events_of(remove("ACC", {"name": "Acme"}), no_erasures)
    assert (event.actor, event.occurred_at) == ("unknown", "2026-11-23T02:13:20.000Z")


def test_trashing_is_told_by_who_trashed_it_when_they_did():
    trashed = modify("ACC", {}, {}, deleted_at="2026-11-23T08:00:00.000Z", deleted_by="rep-2")
    [event] = events_of(trashed, no_erasures)
    assert (event.detail_type, event.actor, event.occurred_at) == (
        "account.deleted",
        "rep-2",
        "2026-11-23T08:00:00.000Z",
    )


def standing(churn: str | None, *, kind: str = CUSTOMER_STANDING.code) -> dict[str, Any]:
    """A customer's standing summary as the stream shows it (rapport.orders.store)."""
    plain = {
        "pk": "T#t1#CON#01J",
        "sk": "B#STANDING",
        "type": "summary",
        "tenant_id": "t1",
        "kind": kind,
        "ref_id": "01J",
        "data": {
            "rank": 1,
            "updated_at": "2026-11-22T03:00:00.000Z",
            "updated_by": "rapport:ranking",
            **({"churn": {"status": churn}} if churn else {}),
        },
    }
    return {name: SERIALIZER.serialize(value) for name, value in plain.items()}


def removed_summary(before: dict[str, Any]) -> dict[str, Any]:
    """A summary's REMOVE as the stream shows it: its old image, and when the stream saw it."""
    images = {"OldImage": before, "SequenceNumber": "6", "ApproximateCreationDateTime": 1795400000}
    return {"eventID": "e-6", "eventName": "REMOVE", "dynamodb": images}


def changed_summary(before: dict[str, Any] | None, after: dict[str, Any] | None) -> dict[str, Any]:
    images = {
        "SequenceNumber": "5",
        **({"OldImage": before} if before else {}),
        **({"NewImage": after} if after else {}),
    }
    name = "REMOVE" if after is None else "MODIFY" if before else "INSERT"
    return {"eventID": "e-5", "eventName": name, "dynamodb": images}


def test_a_summary_kind_publishes_only_what_its_derivation_finds_as_of_its_data():
    assert sorted(kind.entity for kind in contexts.kinds() if kind.summary) == [
        "customer",
        "retention",
        "segment_membership",
    ]
    assert not [
        detail_type
        for detail_type in detail_types()
        if detail_type.startswith("customer.")
        and detail_type not in ("customer.churn_changed", "customer.tier_changed")
    ]
    [first] = events_of(changed_summary(None, standing("active")), no_erasures)
    assert (first.detail_type, first.entity, first.entity_id) == ("customer.churn_changed", "customer", "01J")
    assert (first.actor, first.occurred_at, first.version) == ("rapport:ranking", "2026-11-22T03:00:00.000Z", None)
    [moved] = events_of(changed_summary(standing("active"), standing("deserting")), no_erasures)
    assert (moved.changes["churn"].before, moved.changes["churn"].after) == (
        {"status": "active"},
        {"status": "deserting"},
    )
    assert events_of(changed_summary(standing("deserting"), standing("deserting")), no_erasures) == []
    assert events_of(changed_summary(standing("deserting"), None), no_erasures) == []


def test_a_removed_standing_or_retention_episode_makes_no_event():
    """Their customer's erase deletes them: nothing happened to the standing or the episode worth telling."""
    for removed in (standing("deserting"), standing(None), episode("open"), episode("escalated")):
        assert events_of(removed_summary(removed), no_erasures) == []


def episode(status: str, since: str = "2026-11-22T03:00:00Z") -> dict[str, Any]:
    """A customer's retention episode as the stream shows it (rapport.orders.store, `B#RETENTION`)."""
    plain = {
        "pk": "T#t1#ACC#01J",
        "sk": "B#RETENTION",
        "type": "summary",
        "tenant_id": "t1",
        "kind": RETENTION.code,
        "ref_id": "01J",
        "data": {"status": status, "since": since, "updated_at": "2026-12-22T03:00:00Z", "updated_by": "retention"},
    }
    return {name: SERIALIZER.serialize(value) for name, value in plain.items()}


def test_a_retention_episode_publishes_its_start_and_its_end():
    [started] = events_of(changed_summary(None, episode("open")), no_erasures)
    assert (started.detail_type, started.entity_id, started.actor) == ("retention.started", "01J", "retention")
    [escalated] = events_of(changed_summary(episode("open"), episode("escalated")), no_erasures)
    assert escalated.detail_type == "retention.escalated" and escalated.record["status"] == "escalated"
    [recovered] = events_of(changed_summary(episode("open"), episode("recovered")), no_erasures)
    assert recovered.detail_type == "retention.recovered"
    [again] = events_of(changed_summary(episode("recovered"), episode("open", "2027-04-01T03:00:00Z")), no_erasures)
    assert again.detail_type == "retention.started"
    assert events_of(changed_summary(episode("escalated"), episode("escalated")), no_erasures) == []


def test_summaries_of_kinds_no_context_declares_a_summary_make_no_event():
    assert events_of(changed_summary(None, standing("active", kind="ORDERS")), no_erasures) == []
    assert events_of(changed_summary(None, standing("active", kind="entry")), no_erasures) == []


def membership(**data: Any) -> dict[str, Any]:
    """A contact's membership of a segment as the stream shows it (rapport.segments.store, `G#SEG#<segment id>`)."""
    plain = {
        "pk": "T#t1#CON#01C",
        "sk": "G#SEG#01S",
        "type": "summary",
        "tenant_id": "t1",
        "kind": MEMBERSHIP_KIND,
        "ref_id": "01S",
        "data": {
            "contact_id": "01C",
            "joined_at": "2026-11-22T10:00:00.000Z",
            "updated_by": "marketer-1",
            "updated_at": "2026-11-22T10:00:00.000Z",
            **data,
        },
    }
    return {name: SERIALIZER.serialize(value) for name, value in plain.items()}


def test_the_membership_kind_is_the_store_s():
    assert SEGMENT_MEMBERSHIP.code == MEMBERSHIP_KIND and contexts.kind(MEMBERSHIP_KIND) is SEGMENT_MEMBERSHIP
    assert {"segment_membership.joined", "segment_membership.left"} <= set(detail_types())
    assert not [
        t for t in detail_types() if t.startswith("segment_membership.") and not t.endswith((".joined", ".left"))
    ]


def test_a_contact_joining_a_segment_is_told_by_who_placed_it_with_the_contact():
    [joined] = events_of(changed_summary(None, membership()), no_erasures)
    assert (joined.detail_type, joined.entity, joined.entity_id) == (
        "segment_membership.joined",
        "segment_membership",
        "01S",
    )
    assert (joined.tenant_id, joined.actor, joined.occurred_at, joined.version) == (
        "t1",
        "marketer-1",
        "2026-11-22T10:00:00.000Z",
        None,
    )
    assert joined.record["contact_id"] == "01C"
    assert joined.record == {
        "contact_id": "01C",
        "joined_at": "2026-11-22T10:00:00.000Z",
        "updated_by": "marketer-1",
        "updated_at": "2026-11-22T10:00:00.000Z",
    }
    assert joined.changes["contact_id"].model_dump() == {"before": None, "after": "01C"}


def test_a_contact_leaving_a_segment_is_told_from_its_membership_as_it_was_by_unknown():
    [left] = events_of(removed_summary(membership()), no_erasures)
    assert (left.detail_type, left.entity, left.entity_id) == ("segment_membership.left", "segment_membership", "01S")
    assert left.record["contact_id"] == "01C" and left.record["joined_at"] == "2026-11-22T10:00:00.000Z"
    # nothing in a delete says who made it: by `unknown`, when the stream saw it
    assert (left.actor, left.occurred_at, left.version) == ("unknown", "2026-11-23T02:13:20.000Z", None)
    assert left.changes["contact_id"].model_dump() == {"before": "01C", "after": None}
    assert left.event_id != events_of(changed_summary(None, membership()), no_erasures)[0].event_id


def test_a_membership_put_again_or_one_that_never_named_its_contact_makes_no_event():
    again = membership(updated_by="segment_backfill")
    assert events_of(changed_summary(membership(), again), no_erasures) == []
    legacy = membership()
    legacy["data"]["M"].pop("contact_id")  # put before memberships named their contact: it never joined on the bus
    assert events_of(removed_summary(legacy), no_erasures) == []
