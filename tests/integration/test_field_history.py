"""Field history: the worker keeps each record's changes from its domain events (read from the table's stream, as
the publisher sends them), and `GET /<records>/{id}/history` answers them newest first in ONE Query."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from field_history.handler import lambda_handler as field_history

from rapport.accounts.manifest import ACCOUNT
from rapport.contacts.manifest import CONTACT
from rapport.dal import keys
from rapport.dal.models import FieldChangesItem
from tests.integration.outbox import published
from tools.lambda_api import LambdaContext, Staff, call, create
from tools.metering import dynamodb_requests

CONTEXT: Any = LambdaContext()
ADMIN = Staff().as_("admin")
SALES = Staff()
OTHER_TENANT = Staff(tenant="tenant-b", user="user-9", groups=("admin",))
UNKNOWN = "01JD5Y7M7ZV1W4T5C9H2K3N4P5"
ANY_VERSION: dict[str, str | None] = {"If-Match": None}
_seen: set[str] = set()


@pytest.fixture(autouse=True)
def _fresh() -> None:
    _seen.clear()


def kept() -> list[str]:
    """Deliver every event published since the last call to the worker; its outcomes."""
    outcomes = []
    for event in published():
        if event.event_id in _seen:
            continue
        _seen.add(event.event_id)
        outcomes.append(field_history({"detail": event.model_dump(mode="json")}, CONTEXT)["outcome"])
    return outcomes


def history(operation: str, record_id: str, staff: Staff = SALES, **query: str) -> dict[str, Any]:
    with dynamodb_requests() as requests:
        reply = call(operation, staff, record_id=record_id, query=query or None)
    assert reply.status == 200, reply.body
    assert requests == ["Query"]
    return dict(reply.body)


def patch(operation: str, record_id: str, version: int, body: dict[str, Any], staff: Staff = SALES) -> None:
    reply = call(operation, staff, record_id=record_id, body=body, headers={"If-Match": f'"{version}"'})
    assert reply.status == 200, reply.body


def changes(entry: dict[str, Any]) -> dict[str, tuple[Any, Any]]:
    return {change["field"]: (change["before"], change["after"]) for change in entry["changes"]}


def test_a_merge_patch_shows_only_what_it_changed_nested_fields_by_json_pointer():
    account = create("createAccount", name="Acme", address={"city": "Paris", "country": "FR"})
    patch("updateAccount", account["id"], 1, {"address": {"city": "Lyon"}, "industry": "Software"})
    patch("updateAccount", account["id"], 2, {"industry": None}, staff=Staff(user="user-2"))
    assert kept() == ["kept", "kept", "kept"]

    newest, middle, first = history("listAccountHistory", account["id"])["items"]
    assert (newest["version"], newest["action"], newest["actor"]) == (3, "updated", "user-2")
    assert changes(newest) == {"/industry": ("Software", None)}
    assert changes(middle) == {"/address/city": ("Paris", "Lyon"), "/industry": (None, "Software")}
    assert (first["version"], first["action"], first["actor"]) == (1, "created", "user-1")
    assert changes(first)["/address/city"] == (None, "Paris") and changes(first)["/name"] == (None, "Acme")
    assert middle["at"] <= newest["at"]


def test_a_new_nested_object_shows_each_value_and_a_list_is_one_value():
    contact = create("createContact", last_name="Lovelace", tags=["vip"])
    patch("updateContact", contact["id"], 1, {"tags": ["vip", "press"], "address": {"city": "London"}})
    kept()
    newest = history("listContactHistory", contact["id"])["items"][0]
    assert changes(newest) == {"/address/city": (None, "London"), "/tags": (["vip"], ["vip", "press"])}


def test_trash_and_restore_show_as_such():
    task = create("createTask", title="Call back")
    assert call("deleteTask", ADMIN, record_id=task["id"], headers=ANY_VERSION).status == 204
    assert call("restoreTask", ADMIN, record_id=task["id"], headers=ANY_VERSION).status == 200
    kept()
    restored, trashed, created = history("listTaskHistory", task["id"])["items"]
    assert [restored["action"], trashed["action"], created["action"]] == ["restored", "deleted", "created"]
    assert changes(trashed)["/deleted_by"] == (None, ADMIN.user)
    assert changes(restored)["/deleted_by"] == (ADMIN.user, None)
    assert trashed["actor"] == ADMIN.user


def test_the_trash_keeps_its_history_readable():
    task = create("createTask", title="Call back")
    assert call("deleteTask", ADMIN, record_id=task["id"], headers=ANY_VERSION).status == 204
    kept()
    assert [entry["action"] for entry in history("listTaskHistory", task["id"])["items"]] == ["deleted", "created"]


def test_an_erased_record_s_history_is_erased_with_it_and_late_events_bring_none_back():
    account = create("createAccount", name="Acme")
    patch("updateAccount", account["id"], 1, {"industry": "Software"})
    events = [event for event in published() if event.entity_id == account["id"]]
    kept()
    erase = {"permanent": "true"}
    assert call("deleteAccount", ADMIN, record_id=account["id"], query=erase, headers=ANY_VERSION).status == 204
    assert kept() == ["erased"]
    assert list(FieldChangesItem.query(keys.history_pk("tenant-a", ACCOUNT, account["id"]))) == []
    late = [field_history({"detail": event.model_dump(mode="json")}, CONTEXT)["outcome"] for event in events]
    assert late == ["gone", "gone"]
    assert list(FieldChangesItem.query(keys.history_pk("tenant-a", ACCOUNT, account["id"]))) == []
    assert call("listAccountHistory", record_id=account["id"]).status == 404


def test_a_redelivered_event_keeps_one_entry():
    contact = create("createContact", last_name="Lovelace")
    kept()
    [event] = [event for event in published() if event.entity_id == contact["id"]]
    assert field_history({"detail": event.model_dump(mode="json")}, CONTEXT)["outcome"] == "kept"
    assert len(history("listContactHistory", contact["id"])["items"]) == 1


def test_pages_newest_first_with_a_cursor_bound_to_the_record_and_tenant():
    task = create("createTask", title="v1")
    for version in range(1, 5):
        patch("updateTask", task["id"], version, {"title": f"v{version + 1}"})
    kept()
    first = history("listTaskHistory", task["id"], limit="3")
    rest = history("listTaskHistory", task["id"], limit="3", cursor=first["next_cursor"])
    assert [entry["version"] for entry in first["items"] + rest["items"]] == [5, 4, 3, 2, 1]
    assert rest["next_cursor"] is None
    other = create("createTask", title="other")
    query = {"cursor": first["next_cursor"]}
    assert call("listTaskHistory", record_id=other["id"], query=query).status == 400
    assert call("listTaskHistory", OTHER_TENANT, record_id=task["id"], query=query).status == 400


def test_unknown_and_other_tenants_records_are_404_and_a_record_without_history_is_empty():
    contact = create("createContact", last_name="Lovelace")
    assert call("listContactHistory", record_id=UNKNOWN).status == 404
    assert call("listContactHistory", OTHER_TENANT, record_id=contact["id"]).status == 404
    assert call("listContactHistory", record_id=contact["id"]).body == {"items": [], "next_cursor": None}


def test_reading_the_history_needs_the_right_to_read_the_record():
    contact = create("createContact", last_name="Lovelace")
    kept()
    assert call("listContactHistory", Staff(groups=()), record_id=contact["id"]).status == 403


def test_the_tenant_s_retention_expires_each_change_by_ttl(monkeypatch: pytest.MonkeyPatch):
    reply = call("putTenantSettings", ADMIN, body={"history_retention_days": 30}, headers={"If-Match": '"0"'})
    assert reply.status == 200, reply.body
    contact = create("createContact", last_name="Lovelace")
    kept()
    [item] = FieldChangesItem.query(keys.history_pk("tenant-a", CONTACT, contact["id"]))
    expected = datetime.fromisoformat(contact["created_at"].replace("Z", "+00:00")) + timedelta(days=30)
    assert item.expires_at is not None
    assert abs(item.expires_at - expected.astimezone(UTC)) < timedelta(seconds=1)


def test_without_retention_changes_are_kept_for_ever():
    contact = create("createContact", last_name="Lovelace")
    kept()
    [item] = FieldChangesItem.query(keys.history_pk("tenant-a", CONTACT, contact["id"]))
    assert item.expires_at is None


def test_settings_saves_and_derived_events_are_not_a_record_s_history():
    reply = call("putTenantSettings", ADMIN, body={"name": "Acme"}, headers={"If-Match": '"0"'})
    assert reply.status == 200, reply.body
    assert kept() == ["ignored"]
