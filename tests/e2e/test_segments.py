"""Segments over HTTP on the local runtime: a contact edited into and out of a dynamic segment by its workers, a
new segment filled from the contacts there are, a static list by hand, and the errors a client can make."""

from __future__ import annotations

import time
from typing import Any

from tests.e2e.conftest import Client, Staff, problem

VIP = {"type": "tag", "tag": "vip"}


def _members(client: Client, segment_id: str, expected: list[str]) -> dict[str, Any]:
    """The segment once its members are `expected` and its fill (if any) is done: the workers run a moment after
    the write."""
    found: list[str] = []
    for _ in range(60):
        page = client.get(f"/segments/{segment_id}/members", params={"limit": "100"}).json()
        found = sorted(member["contact_id"] for member in page["items"])
        segment: dict[str, Any] = client.get(f"/segments/{segment_id}").json()
        if found == sorted(expected) and (segment["backfill"] or {}).get("state", "done") == "done":
            return segment
        time.sleep(0.5)
    raise AssertionError(f"the members of {segment_id} never became {expected}: {found}")


def _edit(client: Client, path: str, **fields: Any) -> dict[str, Any]:
    etag = client.get(path).headers["ETag"]
    reply = client.patch(path, json=fields, headers={"If-Match": etag})
    assert reply.status_code == 200, reply.text
    edited: dict[str, Any] = reply.json()
    return edited


def test_a_contact_edited_into_and_out_of_a_segment(staff: Staff) -> None:
    marketer = staff("marketing")
    early = marketer.create("contacts", last_name="Early", tags=["VIP"])
    vips = marketer.create("segments", name="VIPs", filter=VIP)
    filled = _members(marketer, vips["id"], [early["id"]])
    assert filled["count"] == 1 and filled["backfill"]["state"] == "done"

    person = marketer.create("contacts", last_name="Lovelace")
    _edit(marketer, f"/contacts/{person['id']}", tags=["vip"])
    assert _members(marketer, vips["id"], [early["id"], person["id"]])["count"] == 2
    _edit(marketer, f"/contacts/{person['id']}", tags=[])
    assert _members(marketer, vips["id"], [early["id"]])["count"] == 1


def test_an_account_and_consent_clause_follow_their_changes(staff: Staff) -> None:
    manager = staff("manager")
    account = manager.create("accounts", name="Initech", industry="Software")
    person = manager.create("contacts", last_name="Gibbons", account_id=account["id"])
    segment = manager.create(
        "segments",
        name="Emailable software people",
        filter={
            "type": "and",
            "filters": [
                {"type": "account_industry", "industries": ["software"]},
                {"type": "consent", "channel": "email", "statuses": ["opted_in"]},
            ],
        },
    )
    _members(manager, segment["id"], [])
    consent = {"channel": "email", "status": "opted_in"}
    assert manager.put(f"/contacts/{person['id']}/consent", json=consent).status_code == 200
    _members(manager, segment["id"], [person["id"]])
    _edit(manager, f"/accounts/{account['id']}", industry="Retail")
    _members(manager, segment["id"], [])


def test_a_static_list_by_hand_and_the_errors_a_client_can_make(staff: Staff) -> None:
    marketer = staff("marketing")
    person = marketer.create("contacts", last_name="Hopper")
    listed = marketer.create("segments", name="Trade show", kind="static")
    added = marketer.post(f"/segments/{listed['id']}/members", json={"add": [person["id"]]})
    assert added.status_code == 200 and added.json() == {"added": [person["id"]], "removed": [], "count": 1}
    assert _members(marketer, listed["id"], [person["id"]])["count"] == 1

    dynamic = marketer.create("segments", name="Dynamic", filter=VIP)
    problem(marketer.post(f"/segments/{dynamic['id']}/members", json={"add": [person["id"]]}), 409)
    bad = {"name": "Bad", "filter": {"type": "or", "filters": [VIP, {"type": "tag"}]}}
    assert problem(marketer.post("/segments", json=bad), 422)["errors"][0]["field"] == "filter.filters[1].tag"
    problem(staff("sales").post("/segments", json={"name": "Mine", "filter": VIP}), 403)
