"""The outbox end to end: API writes -> the table's stream (moto) -> the publisher -> events on the bus."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest

from rapport.dal.repository import erasure
from rapport.events.models import DomainEvent
from rapport.events.outbox import publish
from rapport.events.publisher import events_of
from tests.integration.outbox import published, stream_records
from tests.integration.sales import pipeline
from tools.lambda_api import Staff, call, create

ADMIN = Staff().as_("admin")


def test_a_contacts_life_is_told_by_its_events():
    contact = create("createContact", last_name="Lovelace", email="ada@acme.example")
    call("updateContact", record_id=contact["id"], body={"job_title": "CTO"})
    call("deleteContact", record_id=contact["id"], headers={"If-Match": None})
    call("restoreContact", ADMIN, record_id=contact["id"], headers={"If-Match": None})
    call("deleteContact", ADMIN, record_id=contact["id"], query={"permanent": "true"}, headers={"If-Match": None})

    events = published()
    assert [event.detail_type for event in events] == [
        "contact.created",
        "contact.updated",
        "contact.deleted",
        "contact.restored",
        "contact.erased",
    ]
    created, updated, deleted, _, erased = events
    assert {event.entity_id for event in events} == {contact["id"]}
    assert {event.tenant_id for event in events} == {"tenant-a"}
    assert created.record["email"] == "ada@acme.example"
    assert created.version == 1
    assert updated.changes["job_title"].model_dump() == {"before": None, "after": "CTO"}
    assert set(updated.changes) == {"job_title"}
    assert deleted.actor == "user-1"
    assert deleted.changes["deleted_at"].before is None
    assert erased.version is None
    assert erased.record["last_name"] == "Lovelace"
    assert len({event.event_id for event in events}) == len(events)


def test_guards_and_idempotency_records_make_no_events():
    call("createAccount")  # with an Idempotency-Key and a domain guard
    assert [event.detail_type for event in published()] == ["account.created"]


def test_redelivery_keeps_event_ids():
    create("createAccount", name="Acme")
    assert [event.event_id for event in published()] == [event.event_id for event in published()]


@pytest.mark.parametrize("failing_entry", [0, 3])
def test_a_rejected_event_is_retried_from_its_record_on(failing_entry):
    for number in range(5):
        create("createAccount", name=f"Company {number}")
    records = stream_records()

    def put_events(batch: list[dict[str, Any]]) -> dict[str, Any]:
        results: list[dict[str, Any]] = [{"EventId": "x"} for _ in batch]
        results[failing_entry] = {"ErrorCode": "InternalFailure", "ErrorMessage": "try again"}
        return {"Entries": results, "FailedEntryCount": 1}

    retry = publish(records, "rapport-test", put_events, erasure)
    failing_record = [position for position, record in enumerate(records) if events_of(record, erasure)][failing_entry]
    assert retry == [record["dynamodb"]["SequenceNumber"] for record in records[failing_record:]]


REP1, REP2 = Staff(user="rep-1"), Staff(user="rep-2")
ADMIN2 = Staff(user="admin-2").as_("admin")


def _window(action: Any) -> tuple[datetime, datetime]:
    """From before `action` to after it, as events tell time: to the millisecond."""
    started = datetime.now(UTC)
    action()
    return started.replace(microsecond=started.microsecond // 1000 * 1000), datetime.now(UTC)


def _told(event: DomainEvent, actor: str, window: tuple[datetime, datetime]) -> None:
    assert event.actor == actor, event
    assert window[0] <= datetime.fromisoformat(event.occurred_at) <= window[1], event


@pytest.mark.parametrize("trashed_first", [False, True])
@pytest.mark.parametrize("kind", ["Account", "Deal"])
def test_an_admin_erasing_a_reps_record_is_the_erases_actor_at_the_erase_time(kind: str, trashed_first: bool):
    made = create(f"create{kind}", REP1, **({"name": "Acme"} if kind == "Account" else _deal_fields()))
    no_key: dict[str, str | None] = {"If-Match": None}
    if trashed_first:
        trash = _window(lambda: call(f"delete{kind}", ADMIN2, record_id=made["id"], headers=no_key))
    erase = _window(
        lambda: call(f"delete{kind}", ADMIN, record_id=made["id"], query={"permanent": "true"}, headers=no_key)
    )

    events = {event.detail_type.split(".")[1]: event for event in published() if event.entity_id == made["id"]}

    _told(events["erased"], ADMIN.user, erase)
    if trashed_first:
        _told(events["deleted"], ADMIN2.user, trash)


def _deal_fields() -> dict[str, Any]:
    return {"name": "Renewal", "amount": "1000.00", "pipeline_id": pipeline()["id"], "close_date": "2026-12-15"}


def test_an_activity_changes_its_deal_and_lead_as_its_author_when_logged():
    deal = create("createDeal", REP1, **_deal_fields())
    lead = create("createLead", REP1, last_name="Hopper")
    body = {"type": "call", "deal_id": deal["id"], "lead_id": lead["id"]}
    logged = _window(lambda: call("createActivity", REP2, body=body, headers={"Idempotency-Key": None}))

    updates = {event.entity: event for event in published() if event.detail_type.endswith(".updated")}

    _told(updates["deal"], REP2.user, logged)
    _told(updates["lead"], REP2.user, logged)
