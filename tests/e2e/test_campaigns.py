"""Campaigns over HTTP on the local runtime: a campaign scheduled, its run executed by the state machine and its
sender (one message each to the consenting members, paced by moto's SES quota), its report and sends; and the
errors a client can make."""

from __future__ import annotations

import re
import time
import uuid
from typing import Any

import requests

from tests.e2e.conftest import Client, LocalRuntime, Staff, problem

AT = "2026-01-05T10:00:00Z"
POSTAL = "Tyrell Corp, 1 Pyramid Way, Los Angeles"


def _sent_to(runtime: LocalRuntime, to: str) -> list[dict[str, Any]]:
    """The emails sent to `to`, as `rapport mail outbox` lists them."""
    emails: list[dict[str, Any]] = requests.get(f"{runtime.url}/_local/outbox", timeout=30).json()["emails"]
    return [email for email in emails if email["to"] == [to]]


def _person(client: Client, name: str, unique: str, offers: str | None) -> dict[str, Any]:
    consent: dict[str, Any] = {"email": {"status": "opted_in", "at": AT, "source": "web_form"}}
    if offers:
        consent["topics"] = {"email": {"offers": {"status": offers, "at": AT, "source": "web_form"}}}
    return client.create(
        "contacts", first_name=name, last_name="Tyrell", email=f"{name}-{unique}@tyrell.example", consent=consent
    )


def _when(client: Client, path: str, status: str) -> dict[str, Any]:
    for _ in range(120):
        found: dict[str, Any] = client.get(path).json()
        if found["status"] == status:
            return found
        time.sleep(0.5)
    raise AssertionError(f"{path} never became {status}: {found}")


def test_a_campaign_goes_to_each_consenting_member_once_and_its_report_says_so(
    staff: Staff, local_runtime: LocalRuntime
) -> None:
    marketer = staff("marketing")
    settings = {"topics": ["offers"], "postal_address": POSTAL}
    assert marketer.put("/marketing-settings", json=settings, headers={"If-Match": '"0"'}).status_code == 200
    unique = uuid.uuid4().hex[:8]
    ada, bea = _person(marketer, "ada", unique, "opted_in"), _person(marketer, "bea", unique, None)
    fair = marketer.create("segments", name="Spring fair", kind="static")
    shop = marketer.create("segments", name="Web shop", kind="static")
    for segment, members in ((fair, [ada, bea]), (shop, [ada])):
        added = marketer.post(f"/segments/{segment['id']}/members", json={"add": [m["id"] for m in members]})
        assert added.status_code == 200, added.text
    campaign = marketer.create(
        "campaigns",
        name="Spring offers",
        channel="email",
        topic="offers",
        content={"subject": "Spring offers, {{ recipient.first_name }}", "text": "Hello {{ recipient.first_name }}!"},
        audience={"segments": [fair["id"], shop["id"]]},
        cost={"amount": "80.00", "currency": "EUR"},
    )
    assert campaign["status"] == "draft"
    scheduled = marketer.post(f"/campaigns/{campaign['id']}/schedule")
    assert scheduled.status_code == 200 and scheduled.json()["status"] == "scheduled", scheduled.text

    sent = _when(marketer, f"/campaigns/{campaign['id']}", "sent")
    assert sent["started_at"] and sent["finished_at"]
    report = marketer.get(f"/campaigns/{campaign['id']}/report").json()
    assert (report["recipients"], report["sent"], report["skipped"], report["failed"]) == (2, 1, 1, 0)
    assert report["cost"] == {"amount": "80.00", "currency": "EUR"}
    sends = {item["contact_id"]: item for item in marketer.get(f"/campaigns/{campaign['id']}/sends").json()["items"]}
    assert (sends[ada["id"]]["status"], sends[bea["id"]]["status"]) == ("sent", "skipped")

    [mail] = _sent_to(local_runtime, f"ada-{unique}@tyrell.example")
    assert mail["subject"] == "Spring offers, ada"
    assert (
        mail["headers"]["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
        and "/public/unsubscribe/" in mail["headers"]["List-Unsubscribe"]
    )
    assert _sent_to(local_runtime, f"bea-{unique}@tyrell.example") == []
    outbox = requests.get(f"{local_runtime.url}/_local/outbox", timeout=30).json()["emails"]  # rapport mail outbox
    [listed] = [mail for mail in outbox if mail["to"] == [f"ada-{unique}@tyrell.example"]]
    assert listed["subject"] == "Spring offers, ada" and POSTAL in listed["body"]
    assert listed["headers"]["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"

    assert problem(marketer.post(f"/campaigns/{campaign['id']}/pause"), 409)["detail"].startswith(
        "The campaign is sent"
    )
    edit = marketer.patch(
        f"/campaigns/{campaign['id']}", json={"name": "x"}, headers={"If-Match": f'"{sent["version"]}"'}
    )
    assert "pause it" in problem(edit, 409)["detail"]


def test_the_errors_a_client_can_make(staff: Staff) -> None:
    marketer = staff("marketing")
    segment = marketer.create("segments", name="Anyone", kind="static")
    body = {
        "name": "Bad",
        "channel": "email",
        "topic": "offers",
        "content": {"text": "hi"},
        "audience": {"segments": [segment["id"]]},
    }
    refused = problem(marketer.post("/campaigns", json=body), 422)
    assert {error["field"] for error in refused["errors"]} >= {"content.subject"}
    body["content"] = {"subject": "Hi", "text": "Hi"}
    body["topic"] = "gossip"
    assert [error["field"] for error in problem(marketer.post("/campaigns", json=body), 422)["errors"]] == ["topic"]
    assert problem(staff("sales").post("/campaigns", json=body), 403)


def test_tracked_links_the_open_pixel_and_a_won_deal_fill_the_report(staff: Staff, local_runtime: LocalRuntime) -> None:
    marketer, manager = staff("marketing"), staff("sales,manager")
    version = marketer.get("/marketing-settings").json()["version"]
    settings = {"topics": ["offers"], "postal_address": POSTAL}
    saved = marketer.put("/marketing-settings", json=settings, headers={"If-Match": f'"{version}"'})
    assert saved.status_code == 200, saved.text
    unique = uuid.uuid4().hex[:8]
    ada = _person(marketer, "ada", unique, "opted_in")
    fair = marketer.create("segments", name="Autumn fair", kind="static")
    assert marketer.post(f"/segments/{fair['id']}/members", json={"add": [ada["id"]]}).status_code == 200
    campaign = marketer.create(
        "campaigns",
        name="Autumn offers",
        channel="email",
        topic="offers",
        content={
            "subject": "Autumn offers",
            "text": "See https://shop.tyrell.example/autumn",
            "html": '<p><a href="https://shop.tyrell.example/autumn">See the offers</a></p>',
        },
        audience={"segments": [fair["id"]]},
        cost={"amount": "100.00", "currency": "USD"},
    )
    assert marketer.post(f"/campaigns/{campaign['id']}/schedule").status_code == 200
    _when(marketer, f"/campaigns/{campaign['id']}", "sent")

    [mail] = _sent_to(local_runtime, f"ada-{unique}@tyrell.example")
    [link] = re.findall(r'href="([^"]+/public/clicks/[^"]+)"', mail["html"])
    [pixel] = re.findall(r'src="([^"]+/public/opens/[^"]+)"', mail["html"])
    scanner = {"User-Agent": "Mozilla/5.0 (compatible; Barracuda Sentinel)"}
    followed = requests.get(_local(local_runtime, link), headers=scanner, allow_redirects=False, timeout=30)
    assert followed.status_code == 302 and followed.headers["Location"] == "https://shop.tyrell.example/autumn"
    image = requests.get(_local(local_runtime, pixel), headers={"Accept": "image/webp,image/*"}, timeout=30)
    assert image.status_code == 200 and image.headers["Content-Type"] == "image/gif"
    assert image.content.startswith(b"GIF89a")

    pipeline = manager.create(
        "pipelines",
        name=f"Autumn sales {unique}",
        stages=[{"name": "Talk", "probability": 20}, {"name": "Won", "probability": 100, "status": "won"}],
    )
    manager.create(
        "deals",
        name="Kits",
        amount="500.00",
        pipeline_id=pipeline["id"],
        stage="Won",
        contact_ids=[ada["id"]],
        close_date="2026-11-30",
    )
    for _ in range(120):
        report = marketer.get(f"/campaigns/{campaign['id']}/report").json()
        if report["deals_won"]:
            break
        time.sleep(0.5)
    assert (report["machine_clicked"], report["machine_opened"], report["clicked"]) == (1, 1, 0)
    assert (report["deals_won"], report["revenue"], report["roi"]) == (
        1.0,
        [{"amount": "500.00", "currency": "USD"}],
        4.0,
    )


def _local(runtime: LocalRuntime, url: str) -> str:
    """A link of the email, on the local runtime's port (the public URL the stage gives it is the API's)."""
    return f"{runtime.url}/{url.split('/', 3)[3]}"
