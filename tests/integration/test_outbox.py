"""The outbox end to end: API writes -> the table's stream (moto) -> the publisher -> events on the bus."""

from __future__ import annotations

from typing import Any

import pytest

from local.lambda_api import Staff, call, create
from rapport.events.outbox import publish
from tests.integration.outbox import published, stream_records

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

    retry = publish(records, "rapport-test", put_events)
    assert retry == [record["dynamodb"]["SequenceNumber"] for record in records[failing_entry:]]
