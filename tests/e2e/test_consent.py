"""Consent over HTTP on the local runtime: the tenant's topics, a subscription and its history, and a message's
unsubscribe link as a link scanner and a mail client use it."""

from __future__ import annotations

import os
from typing import Any

import boto3  # type: ignore[import-untyped]
import pytest
import requests

from rapport import config
from rapport.consent import links
from tests.e2e.conftest import LocalRuntime, Staff, problem

AT = "2026-11-01T09:00:00Z"


def _link(runtime: LocalRuntime, tenant: str, contact_id: str, topic: str | None) -> str:
    """An unsubscribe link's token, signed with the runtime's own secret (what the stack's functions sign with)."""
    client = boto3.client("secretsmanager", endpoint_url=runtime.aws_endpoint, region_name="eu-west-1")
    [secret] = client.list_secrets()["SecretList"]
    value = client.get_secret_value(SecretId=secret["ARN"])["SecretString"]
    previous = os.environ.get("CURSOR_SECRET")
    os.environ["CURSOR_SECRET"] = value
    config.reload()
    try:
        return links.token(links.Link(links.Purpose.UNSUBSCRIBE, tenant, contact_id, "email", topic))
    finally:
        os.environ["CURSOR_SECRET"] = previous or ""
        config.reload()


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
