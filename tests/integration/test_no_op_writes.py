"""A write that changes nothing writes nothing: no new version, no event, the record as it was."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from tests.integration.outbox import published
from tests.integration.sales import pipeline
from tools.lambda_api import Reply, Staff, call, create

MANAGER = Staff().as_("sales", "manager")
ADMIN = Staff().as_("admin")


def _account() -> dict[str, Any]:
    return create("createAccount", name="Acme", address={"city": "Springfield", "country": "US"}, tags=["vip"])


def _contact() -> dict[str, Any]:
    return create("createContact", last_name="Lovelace", email="ada@acme.example", job_title="CTO")


def _lead() -> dict[str, Any]:
    return create("createLead", last_name="Hopper", company="Navy Labs", title="Head of Research")


def _task() -> dict[str, Any]:
    return create("createTask", title="Call back", due_at="2026-11-27T17:00:00Z", priority="high")


def _deal() -> dict[str, Any]:
    return create("createDeal", name="Renewal", amount="1000.00", pipeline_id=pipeline()["id"], close_date="2026-12-15")


def _pipeline() -> dict[str, Any]:
    return pipeline(rotting_days=14)


# Each PATCH route: the record it changes, a patch setting fields to the values they have, and a real change.
CASES: dict[str, tuple[Callable[[], dict[str, Any]], str, Staff, dict[str, Any], dict[str, Any]]] = {
    "account": (_account, "updateAccount", Staff(), {"name": "Acme", "tags": ["vip"]}, {"name": "Acme Inc"}),
    "contact": (_contact, "updateContact", Staff(), {"job_title": "CTO"}, {"job_title": "CEO"}),
    "lead": (_lead, "updateLead", Staff(), {"company": "Navy Labs"}, {"company": "Navy"}),
    "task": (_task, "updateTask", Staff(), {"priority": "high"}, {"priority": "low"}),
    "deal": (_deal, "updateDeal", Staff(), {"amount": "1000.00", "stage": "Qualified"}, {"amount": "1200.00"}),
    "pipeline": (_pipeline, "updatePipeline", MANAGER, {"rotting_days": 14}, {"rotting_days": 21}),
}


def _patch(operation: str, staff: Staff, record: dict[str, Any], body: dict[str, Any]) -> Reply:
    return call(operation, staff, record_id=record["id"], body=body, headers={"If-Match": f'"{record["version"]}"'})


@pytest.mark.parametrize("sends", ["nothing", "the values it has"])
@pytest.mark.parametrize("case", sorted(CASES))
def test_a_patch_that_changes_nothing_keeps_the_version_and_publishes_nothing(case: str, sends: str) -> None:
    make, operation, staff, same, _ = CASES[case]
    record = make()
    before = [event.event_id for event in published()]

    reply = _patch(operation, staff, record, {} if sends == "nothing" else same)

    assert reply.status == 200, reply.body
    assert reply.etag == f'"{record["version"]}"'
    assert reply.body == record
    assert [event.event_id for event in published()] == before


@pytest.mark.parametrize("case", sorted(CASES))
def test_after_a_patch_that_changed_nothing_the_same_etag_still_changes_it_once(case: str) -> None:
    make, operation, staff, _, change = CASES[case]
    record = make()
    assert _patch(operation, staff, record, {}).status == 200

    changed = _patch(operation, staff, record, change)

    assert changed.status == 200, changed.body
    assert changed.body["version"] == record["version"] + 1
    assert _patch(operation, staff, record, {}).status == 412
    updates = [event for event in published() if event.detail_type.endswith(".updated")]
    assert [event.entity_id for event in updates] == [record["id"]]


def test_setting_the_same_away_window_again_changes_nothing() -> None:
    user = "6f1b3c6e-1111-4a2b-9c3d-000000000001"
    assert call("putUser", ADMIN, record_id=user, headers={"If-Match": None}).status == 201
    first = call("setUserAvailability", ADMIN, record_id=user, headers={"If-Match": None})
    assert first.status == 200, first.body
    before = [event.event_id for event in published()]

    again = call("setUserAvailability", ADMIN, record_id=user, headers={"If-Match": None})

    assert (again.status, again.etag, again.body) == (200, first.etag, first.body)
    assert [event.event_id for event in published()] == before
