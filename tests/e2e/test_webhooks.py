"""Webhooks over HTTP on the local runtime: a receiver in this test (http://localhost, which the suite's runtime
allows with --webhooks-allow-http-localhost) answers the first attempt with a 500 and the retry with a 204; both
attempts are signed afresh and verify with the standardwebhooks package; the delivery log shows them."""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest
from standardwebhooks.webhooks import Webhook as Verifier

from tests.e2e.conftest import LocalRuntime, Staff, problem


@dataclass
class Receiver:
    """A tiny HTTP endpoint: answers each POST with the next of `statuses` (the last repeats)."""

    statuses: list[int]
    received: list[tuple[dict[str, str], bytes]] = field(default_factory=list)
    server: ThreadingHTTPServer | None = None

    @property
    def url(self) -> str:
        assert self.server is not None
        return f"http://localhost:{self.server.server_address[1]}/hooks/rapport"

    def serve(self) -> None:
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers["Content-Length"]))
                receiver.received.append(({name.lower(): value for name, value in self.headers.items()}, body))
                status = receiver.statuses.pop(0) if len(receiver.statuses) > 1 else receiver.statuses[0]
                self.send_response(status)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *args: Any) -> None:
                return

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def wait_for(self, count: int, seconds: float) -> None:
        deadline = time.monotonic() + seconds
        while len(self.received) < count:
            assert time.monotonic() < deadline, f"the receiver got {len(self.received)} of {count} deliveries"
            time.sleep(0.2)


@pytest.fixture
def receiver(local_runtime: LocalRuntime) -> Iterator[Receiver]:
    endpoint = Receiver([500, 204])
    endpoint.serve()
    yield endpoint
    assert endpoint.server is not None
    endpoint.server.shutdown()


def test_a_delivery_fails_is_retried_and_both_attempts_are_signed(staff: Staff, receiver: Receiver) -> None:
    admin = staff("admin", user="hook-admin")
    created = admin.post("/webhooks", json={"url": receiver.url, "event_types": ["contact.created"]})
    assert created.status_code == 201, created.text
    webhook = created.json()
    contact = admin.create("contacts", first_name="Pris", last_name="Stratton", email="pris@nexus.example")
    receiver.wait_for(2, seconds=90)  # the retry waits 5 s (±20 %) after the first attempt
    (first_headers, first_body), (second_headers, second_body) = receiver.received[:2]
    for headers, body in receiver.received[:2]:
        payload = Verifier(webhook["secret"]).verify(body, headers)
        assert payload["type"] == "contact.created"
        assert payload["data"]["entity_id"] == contact["id"]
    assert first_headers["webhook-id"] == second_headers["webhook-id"]
    assert first_headers["webhook-signature"] != second_headers["webhook-signature"]
    assert first_body == second_body
    deliveries = _delivered(admin, webhook["id"])
    assert [attempt["status_code"] for attempt in deliveries["attempts"]] == [500, 204]
    assert deliveries["id"] == first_headers["webhook-id"]


def _delivered(admin: Any, webhook_id: str) -> dict[str, Any]:
    """The webhook's only delivery once its log says delivered (the attempt's write follows its POST)."""
    for _ in range(50):
        items: list[dict[str, Any]] = admin.get(f"/webhooks/{webhook_id}/deliveries").json()["items"]
        if items and items[0]["status"] == "delivered":
            assert len(items) == 1
            return items[0]
        time.sleep(0.2)
    raise AssertionError(f"never delivered: {items}")


def test_the_errors_a_client_can_make(staff: Staff) -> None:
    admin = staff("admin")
    private = admin.post("/webhooks", json={"url": "https://10.0.0.1/hook", "event_types": ["deal.*"]})
    assert problem(private, 422)["errors"][0]["field"] == "url"
    unknown = admin.post("/webhooks", json={"url": "https://93.184.215.14/hook", "event_types": ["unicorn.*"]})
    assert problem(unknown, 422)["errors"][0]["field"] == "event_types[0]"
    assert problem(staff("manager").get("/webhooks"), 403)
    assert problem(admin.get("/webhooks/01JD5Y7M7ZV1W4T5C9H2K3N4P6/deliveries"), 404)
    made = admin.post("/webhooks", json={"url": "https://93.184.215.14/hook", "event_types": ["deal.*"]})
    webhook = made.json()
    assert "secret" not in admin.get(f"/webhooks/{webhook['id']}").json()
    assert problem(admin.patch(f"/webhooks/{webhook['id']}", json={"active": False}), 428)
    rotated = admin.post(f"/webhooks/{webhook['id']}/rotate-secret")
    assert rotated.status_code == 200 and rotated.json()["secret"] != webhook["secret"]
    assert json.loads(admin.get("/webhooks").text)["items"][-1]["id"] == webhook["id"]
