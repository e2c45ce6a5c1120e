"""Every settings document follows one rule: GET answers its ETag ("0" and the defaults before the first save),
PUT requires If-Match (428 without, 412 when stale), and each save publishes `<document>.updated`."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest

from local.lambda_api import Staff, call
from rapport import contexts
from rapport.assignment.manifest import ASSIGNMENT_RULES
from rapport.contexts import Kind
from rapport.dal import keys
from rapport.dal.models import Item, RecordItem, SettingItem
from rapport.deals.manifest import CURRENCY_RATES
from rapport.followups.manifest import REMINDER_SETTINGS
from rapport.leads.manifest import SCORING_RULES
from rapport.notifications.manifest import NOTIFICATION_SETTINGS
from tests.integration.outbox import published

ADMIN = Staff().as_("admin")
# Each settings document: its operations' name, its kind, a content to save, and another one.
DOCUMENTS: dict[str, tuple[Kind, dict[str, Any], dict[str, Any]]] = {
    "CurrencyRates": (CURRENCY_RATES, {"currency": "EUR", "rates": {"USD": "0.92"}}, {"currency": "EUR"}),
    "ScoringRules": (SCORING_RULES, {"fit": [{"field": "country", "any_of": ["GB"], "points": 10}]}, {}),
    "AssignmentRules": (ASSIGNMENT_RULES, {"default_team": "emea", "teams": {"emea": ["u1"]}}, {}),
    "ReminderSettings": (REMINDER_SETTINGS, {"offsets_minutes": [30]}, {"offsets_minutes": [60, 15]}),
    "NotificationSettings": (
        NOTIFICATION_SETTINGS,
        {"time_zone": "Europe/Berlin", "locale": "de-DE"},
        {"time_zone": "America/New_York"},
    ),
}


def test_every_settings_document_is_tested_here() -> None:
    assert {kind for kind, _, _ in DOCUMENTS.values()} == {kind for kind in contexts.kinds() if kind.document}


def _put(name: str, body: dict[str, Any], if_match: str | None) -> Any:
    return call(f"put{name}", ADMIN, body=body, headers={"If-Match": if_match})


@pytest.mark.parametrize("name", sorted(DOCUMENTS))
def test_a_settings_document_is_read_with_its_etag_and_replaced_only_over_it(name: str) -> None:
    _, content, other = DOCUMENTS[name]
    first = call(f"get{name}", ADMIN)
    assert (first.status, first.etag, first.body["version"]) == (200, '"0"', 0), first.body

    assert _put(name, content, None).status == 428
    assert _put(name, content, '"1"').status == 412
    saved = _put(name, content, '"0"')
    assert (saved.status, saved.etag) == (200, '"1"'), saved.body
    assert saved.body["updated_by"] == ADMIN.user
    assert _put(name, other, None).status == 428
    assert _put(name, other, '"0"').status == 412
    again = _put(name, other, '"1"')
    assert (again.status, again.etag) == (200, '"2"'), again.body

    read = call(f"get{name}", ADMIN)
    assert (read.etag, read.body) == ('"2"', again.body)


@pytest.mark.parametrize("name", sorted(DOCUMENTS))
def test_each_save_publishes_the_documents_update_by_whoever_saved_it_when_they_did(name: str) -> None:
    kind, content, other = DOCUMENTS[name]
    before = datetime.now(UTC).replace(microsecond=0)  # events tell time to the millisecond
    _put(name, content, '"0"')
    _put(name, other, '"1"')
    after = datetime.now(UTC)

    events = [event for event in published() if event.entity == kind.entity]

    assert [event.detail_type for event in events] == [f"{kind.entity}.updated"] * 2
    assert [event.version for event in events] == [1, 2]
    for event in events:
        assert (event.actor, event.entity_id, event.tenant_id) == (ADMIN.user, ADMIN.tenant, ADMIN.tenant)
        assert before <= datetime.fromisoformat(event.occurred_at) <= after
    assert events[1].changes, "what the second save changed"


def test_rules_saved_before_they_were_a_settings_document_are_read_and_replaced_over_their_version() -> None:
    stored = {"fit": [{"field": "country", "any_of": ["GB"], "points": 40}]}
    pk, sk = keys.record_pk(ADMIN.tenant, SCORING_RULES, "rules"), keys.META_SK  # where the record was
    legacy = RecordItem(pk, sk, tenant_id=ADMIN.tenant, kind="SCORING", id="rules", data=stored)
    legacy.created_at = legacy.updated_at = "2026-10-01T08:00:00Z"
    legacy.created_by = legacy.updated_by = "founder"
    legacy.save()
    legacy.save()  # version 2

    read = call("getScoringRules", ADMIN)
    assert (read.etag, read.body["fit"][0]["points"], read.body["updated_by"]) == ('"2"', 40, "founder")
    assert _put("ScoringRules", {"fit": []}, '"1"').status == 412
    saved = _put("ScoringRules", {"fit": []}, '"2"')
    assert (saved.status, saved.etag, saved.body["fit"]) == (200, '"3"', [])
    assert isinstance(Item.get(pk, sk), SettingItem)
    *_, event = [event for event in published() if event.entity == "scoring_rules"]
    assert (event.detail_type, event.actor) == ("scoring_rules.updated", ADMIN.user)
    assert event.changes["fit"].model_dump() == {"before": stored["fit"], "after": None}


@pytest.mark.parametrize("name", sorted(DOCUMENTS))
def test_sales_reps_may_read_but_not_replace_them_whether_or_not_they_send_if_match(name: str) -> None:
    _, content, _ = DOCUMENTS[name]
    rep = Staff().as_("sales")
    for if_match in (None, '"0"'):
        assert call(f"put{name}", rep, body=content, headers={"If-Match": if_match}).status == 403
