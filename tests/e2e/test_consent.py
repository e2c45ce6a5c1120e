"""Consent over HTTP on the local runtime: the tenant's topics, a subscription and its history, and a message's
unsubscribe link as a link scanner and a mail client use it."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import requests

from tests.e2e.conftest import LocalRuntime, Staff, problem

AT = "2026-11-01T09:00:00Z"
RAPPORT = str(Path(sys.executable).with_name("rapport"))


def _rapport_link(runtime: LocalRuntime, tenant: str, contact_id: str, *options: str) -> str:
    """`rapport consent link`: a message's link, signed with the runtime's own secret, under its API."""
    where = ("--tenant", tenant, "--contact", contact_id, "--channel", "email", "--data-dir", str(runtime.data_dir))
    printed = subprocess.run(  # noqa: S603
        [RAPPORT, "consent", "link", *where, *options],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert printed.returncode == 0, printed.stderr
    return printed.stdout.strip()


def _link(runtime: LocalRuntime, tenant: str, contact_id: str, topic: str | None) -> str:
    """An unsubscribe link's token."""
    options = ("--topic", topic) if topic else ()
    return _rapport_link(runtime, tenant, contact_id, *options).rpartition("/")[2]


def _history(client: Any, contact_id: str) -> list[tuple[Any, ...]]:
    response = client.get(f"/contacts/{contact_id}/consent-history")
    assert response.status_code == 200, response.text
    return [(e["channel"], e["topic"], e["status"], e["source"]) for e in response.json()["items"]]


@pytest.fixture
def topics(staff: Staff) -> None:
    marketing = staff("marketing")
    version = marketing.get("/marketing-settings").json()["version"]
    body = {"topics": ["newsletter", "offers"], "postal_address": "1 Pyramid Way"}
    response = marketing.put("/marketing-settings", json=body, headers={"If-Match": f'"{version}"'})
    assert response.status_code == 200, response.text


@pytest.mark.usefixtures("topics")
def test_a_subscription_its_history_and_a_one_click_unsubscribe(
    staff: Staff, local_runtime: LocalRuntime, tenant: str
) -> None:
    marketing = staff("marketing")
    consent = {"email": {"status": "opted_in", "at": AT, "source": "web_form"}}
    contact = marketing.create("contacts", last_name="Tyrell", email="eldon@tyrell.example", consent=consent)
    change = {
        "channel": "email",
        "topic": "newsletter",
        "status": "opted_in",
        "source": "web_form",
        "ip": "203.0.113.7",
    }
    assert marketing.put(f"/contacts/{contact['id']}/consent", json=change).status_code == 200
    undeclared = marketing.put(f"/contacts/{contact['id']}/consent", json={**change, "topic": "casino"})
    assert problem(undeclared, 422)["errors"][0]["field"] == "consent.topics.email.casino"

    page = f"{local_runtime.url}/public/unsubscribe/{_link(local_runtime, tenant, contact['id'], 'newsletter')}"
    scanned = requests.get(page, timeout=30)  # no token: a link scanner, or the person reading first
    assert scanned.status_code == 200 and scanned.headers["Content-Type"].startswith("text/html")
    assert _history(marketing, contact["id"])[0] == ("email", "newsletter", "opted_in", "web_form")

    form = {"Content-Type": "application/x-www-form-urlencoded"}
    clicked = requests.post(page, data="List-Unsubscribe=One-Click", headers=form, timeout=30)
    assert clicked.status_code == 200, clicked.text
    assert _history(marketing, contact["id"]) == [
        ("email", "newsletter", "opted_out", "unsubscribe_link"),
        ("email", "newsletter", "opted_in", "web_form"),
        ("email", None, "opted_in", "web_form"),
    ]
    stored = marketing.get(f"/contacts/{contact['id']}").json()["consent"]
    assert stored["topics"]["email"]["newsletter"]["status"] == "opted_out" and stored["email"]["status"] == "opted_in"

    tampered = requests.get(page[:-2] + ("AA" if not page.endswith("AA") else "BB"), timeout=30)
    assert problem(tampered, 400)["errors"][0]["field"] == "token"


def test_double_opt_in_keeps_a_new_subscription_pending_until_its_link_s_post(
    staff: Staff, local_runtime: LocalRuntime, tenant: str
) -> None:
    marketing = staff("marketing")
    body = {"topics": ["newsletter"], "postal_address": "1 Pyramid Way", "double_opt_in": True}
    assert marketing.put("/marketing-settings", json=body, headers={"If-Match": '"0"'}).status_code == 200
    state = {"status": "opted_in", "at": AT, "source": "web_form"}
    consent = {"email": state, "topics": {"email": {"newsletter": state}}}
    contact = marketing.create("contacts", last_name="Tyrell", email="rachael@tyrell.example", consent=consent)
    assert contact["consent"]["email"]["status"] == "pending"
    assert contact["consent"]["topics"]["email"]["newsletter"]["status"] == "pending"

    page = _rapport_link(local_runtime, tenant, contact["id"], "--purpose", "confirm")
    assert page.startswith(f"{local_runtime.url}/public/preferences/")
    scanned = requests.get(page, timeout=30)
    assert scanned.status_code == 200 and "Confirm" in scanned.text and "newsletter" in scanned.text
    assert marketing.get(f"/contacts/{contact['id']}").json()["consent"]["email"]["status"] == "pending"
    confirmed = requests.post(page, headers={"User-Agent": "Mozilla/5.0 (e2e)"}, timeout=30)
    assert confirmed.status_code == 200 and "Subscribed" in confirmed.text, confirmed.text
    stored = marketing.get(f"/contacts/{contact['id']}").json()["consent"]
    assert stored["email"]["status"] == stored["topics"]["email"]["newsletter"]["status"] == "opted_in"
    assert stored["email"]["source"] == "double_opt_in" and stored["email"]["user_agent"] == "Mozilla/5.0 (e2e)"

    expired_or_changed = requests.post(page[:-2] + ("AA" if not page.endswith("AA") else "BB"), timeout=30)
    assert problem(expired_or_changed, 400)["errors"][0]["field"] == "token"
