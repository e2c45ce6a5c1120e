"""Every settings document follows one rule: GET answers its ETag ("0" and the defaults before the first save),
PUT requires If-Match (428 without, 412 when stale), and each save publishes `<document>.updated`."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import pytest

from rapport import contexts
from rapport.assignment.manifest import ASSIGNMENT_RULES
from rapport.cases.manifest import SERVICE_SETTINGS
from rapport.consent.manifest import MARKETING_SETTINGS
from rapport.contexts import Kind
from rapport.custom_fields.manifest import CUSTOM_FIELDS
from rapport.dal import keys
from rapport.dal.models import Item, RecordItem, SettingItem
from rapport.deals.manifest import CURRENCY_RATES
from rapport.followups.manifest import REMINDER_SETTINGS
from rapport.leads.manifest import SCORING_RULES
from rapport.notifications.manifest import NOTIFICATION_SETTINGS, NOTIFICATION_TEMPLATE
from rapport.orders.manifest import ANALYTICS_SETTINGS
from rapport.tenants.manifest import TENANT_SETTINGS
from tests.integration.outbox import published
from tools.lambda_api import Staff, call
from tools.metering import dynamodb_requests

ADMIN = Staff().as_("admin")
TEMPLATE = {"name": "lead_assigned", "channel": "email"}


@dataclass(frozen=True)
class Document:
    """A settings document: its kind, a content to save and another one, and the path parameters naming it when
    its kind has a document per key."""

    kind: Kind
    content: dict[str, Any]
    other: dict[str, Any]
    path: dict[str, str] | None = None

    @property
    def entity_id(self) -> str:
        return f"{self.path['name']}.{self.path['channel']}" if self.path else ADMIN.tenant


# Each settings document, by its operations' name.
DOCUMENTS = {
    "CurrencyRates": Document(CURRENCY_RATES, {"currency": "EUR", "rates": {"USD": "0.92"}}, {"currency": "EUR"}),
    "ScoringRules": Document(SCORING_RULES, {"fit": [{"field": "country", "any_of": ["GB"], "points": 10}]}, {}),
    "AssignmentRules": Document(ASSIGNMENT_RULES, {"default_team": "emea", "teams": {"emea": ["u1"]}}, {}),
    "ServiceSettings": Document(
        SERVICE_SETTINGS,
        {
            "queues": [{"name": "returns", "members": [{"user_id": "u1", "capacity": 5}]}],
            "default_queue": "returns",
            "calendars": [{"name": "paris", "time_zone": "Europe/Paris"}],
        },
        {"queues": [{"name": "billing", "manager_id": "m1", "strategy": "least_open"}]},
    ),
    "ReminderSettings": Document(REMINDER_SETTINGS, {"offsets_minutes": [30]}, {"offsets_minutes": [60, 15]}),
    "NotificationSettings": Document(
        NOTIFICATION_SETTINGS,
        {"time_zone": "Europe/Berlin", "locale": "de-DE"},
        {"time_zone": "America/New_York"},
    ),
    "NotificationTemplate": Document(
        NOTIFICATION_TEMPLATE,
        {"subject": "{{ lead.name }}", "text": "Hi {{ recipient.first_name }}"},
        {"subject": "New lead", "text": "Hello", "html": "<p>{{ lead.name }}</p>"},
        TEMPLATE,
    ),
    "TenantSettings": Document(TENANT_SETTINGS, {"name": "Acme", "time_zone": "Europe/Berlin"}, {"name": "Acme Ltd"}),
    "MarketingSettings": Document(
        MARKETING_SETTINGS,
        {"topics": ["newsletter", "offers"], "postal_address": "1 Main St, Springfield", "double_opt_in": True},
        {"topics": ["newsletter"]},
    ),
    "CustomFields": Document(
        CUSTOM_FIELDS,
        {"contacts": [{"key": "tier", "label": "Tier", "type": "enum", "options": ["gold", "silver"]}]},
        {"deals": [{"key": "region", "label": "Region", "type": "text", "required": True}]},
    ),
    "AnalyticsSettings": Document(
        ANALYTICS_SETTINGS,
        {"churn_drop_percent": 30, "churn_min_baseline": "250.00", "lost_after_days": 90},
        {"churn_drop_percent": 50},
    ),
}


def test_every_settings_document_is_tested_here() -> None:
    assert {document.kind for document in DOCUMENTS.values()} == {kind for kind in contexts.kinds() if kind.document}


def _get(name: str, staff: Staff = ADMIN, **parameters: Any) -> Any:
    return call(f"get{name}", staff, path=DOCUMENTS[name].path, **parameters)


def _history(name: str, staff: Staff = ADMIN, **parameters: Any) -> Any:
    return call(f"list{name}History", staff, path=DOCUMENTS[name].path, **parameters)


def _put(name: str, body: dict[str, Any], if_match: str | None, staff: Staff = ADMIN) -> Any:
    return call(f"put{name}", staff, body=body, headers={"If-Match": if_match}, path=DOCUMENTS[name].path)


@pytest.mark.parametrize("name", sorted(DOCUMENTS))
def test_a_settings_document_is_read_with_its_etag_and_replaced_only_over_it(name: str) -> None:
    content, other = DOCUMENTS[name].content, DOCUMENTS[name].other
    first = _get(name)
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

    read = _get(name)
    assert (read.etag, read.body) == ('"2"', again.body)


@pytest.mark.parametrize("name", sorted(DOCUMENTS))
def test_each_save_publishes_the_documents_update_by_whoever_saved_it_when_they_did(name: str) -> None:
    kind, content, other = DOCUMENTS[name].kind, DOCUMENTS[name].content, DOCUMENTS[name].other
    before = datetime.now(UTC).replace(microsecond=0)  # events tell time to the millisecond
    _put(name, content, '"0"')
    _put(name, other, '"1"')
    after = datetime.now(UTC)

    events = [event for event in published() if event.entity == kind.entity]

    assert [event.detail_type for event in events] == [f"{kind.entity}.updated"] * 2
    assert [event.version for event in events] == [1, 2]
    for event in events:
        assert (event.actor, event.tenant_id) == (ADMIN.user, ADMIN.tenant)
        assert event.entity_id == DOCUMENTS[name].entity_id
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


def test_templates_saved_as_records_before_are_listed_read_and_replaced_over_their_version() -> None:
    template_id = "lead_assigned.email"
    stored = {"name": "lead_assigned", "channel": "email", "subject": "Yours: {{ lead.name }}", "text": "Hi"}
    pk, sk = keys.record_pk(ADMIN.tenant, NOTIFICATION_TEMPLATE, template_id), keys.META_SK  # where the record was
    legacy = RecordItem(pk, sk, tenant_id=ADMIN.tenant, kind="NTPL", id=template_id, data=stored)
    legacy.gsi1pk, legacy.gsi1sk = keys.list_pk(ADMIN.tenant, NOTIFICATION_TEMPLATE), template_id
    legacy.created_at = legacy.updated_at = "2026-10-01T08:00:00Z"
    legacy.created_by = legacy.updated_by = "founder"
    legacy.save()

    read = _get("NotificationTemplate")
    assert (read.etag, read.body["subject"], read.body["customized"]) == ('"1"', stored["subject"], True)
    listed = call("listNotificationTemplates", ADMIN).body["items"]
    assert [(item["name"], item["channel"], item["version"]) for item in listed if item["customized"]] == [
        ("lead_assigned", "email", 1)
    ]
    saved = _put("NotificationTemplate", {"subject": "{{ lead.name }}", "text": "Hello"}, '"1"')
    assert (saved.status, saved.etag, saved.body["text"]) == (200, '"2"', "Hello"), saved.body
    assert isinstance(Item.get(pk, sk), SettingItem)
    assert [
        item["version"] for item in call("listNotificationTemplates", ADMIN).body["items"] if item["customized"]
    ] == [2]
    history = _history("NotificationTemplate").body["items"]
    assert [(save["version"], save["changes"]) for save in history] == [
        (
            2,
            {
                "subject": {"before": stored["subject"], "after": "{{ lead.name }}"},
                "text": {"before": "Hi", "after": "Hello"},
            },
        )
    ]


@pytest.mark.parametrize("name", sorted(DOCUMENTS))
def test_sales_reps_may_read_but_not_replace_them_whether_or_not_they_send_if_match(name: str) -> None:
    content = DOCUMENTS[name].content
    rep = Staff().as_("sales")
    for if_match in (None, '"0"'):
        assert _put(name, content, if_match, rep).status == 403


@pytest.mark.parametrize("name", sorted(DOCUMENTS))
def test_the_history_lists_each_save_newest_first_with_who_when_and_what_changed_in_one_query(name: str) -> None:
    content, other = DOCUMENTS[name].content, DOCUMENTS[name].other
    assert _history(name).body == {"items": [], "next_cursor": None}
    first = _put(name, content, '"0"').body
    editor = Staff(user="second-admin").as_("admin")
    second = _put(name, other, '"1"', editor).body

    with dynamodb_requests() as requests:
        history = _history(name)
    assert requests == ["Query"]

    assert history.status == 200, history.body
    assert [(save["version"], save["updated_by"]) for save in history.body["items"]] == [
        (2, "second-admin"),
        (1, ADMIN.user),
    ]
    assert [save["updated_at"] for save in history.body["items"]] == [second["updated_at"], first["updated_at"]]
    newest, oldest = history.body["items"]
    assert newest["changes"], "the second save changed the document"
    for field, change in newest["changes"].items():
        assert (change["before"], change["after"]) == (first[field], second[field])
    assert oldest["changes"], "the first save changed the defaults"
    for field, change in oldest["changes"].items():
        assert change["after"] == first[field]


@pytest.mark.parametrize("name", sorted(DOCUMENTS))
def test_the_history_is_paged_and_a_cursor_serves_only_the_history_it_came_from(name: str) -> None:
    content, other = DOCUMENTS[name].content, DOCUMENTS[name].other
    _put(name, content, '"0"')
    _put(name, other, '"1"')
    _put(name, content, '"2"')

    pages, cursor = [], None
    while True:
        page = _history(name, query={"limit": "2", **({"cursor": cursor} if cursor else {})})
        assert page.status == 200, page.body
        pages.append([save["version"] for save in page.body["items"]])
        cursor = page.body["next_cursor"]
        if cursor is None:
            break
    assert pages == [[3, 2], [1]]

    first = _history(name, query={"limit": "1"}).body["next_cursor"]
    stranger = _history(name, Staff(tenant="someone-else").as_("admin"), query={"cursor": first})
    assert stranger.status == 400, stranger.body
