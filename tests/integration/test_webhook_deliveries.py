"""Webhook deliveries under moto: dispatch, signed attempts (checked with the standardwebhooks package), back-off,
give-up, automatic disable with a notification, the delivery log and redelivery. The HTTP client, the resolver,
the clock and the jitter are the Deliverer's parameters."""

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

import boto3  # type: ignore[import-untyped]
import pytest
from standardwebhooks.webhooks import Webhook as Verifier
from standardwebhooks.webhooks import WebhookVerificationError

from rapport import config
from rapport.auth import caller_from_claims
from rapport.dal import repository
from rapport.dal.repository import UnitOfWork
from rapport.notifications.requests import NotificationRequest
from rapport.webhooks.addresses import Target
from rapport.webhooks.delivery import Deliverer, Next, Outcome, SendFailed, backoff, dispatch
from rapport.webhooks.manifest import WEBHOOK
from rapport.webhooks.models import WebhookCreate
from rapport.webhooks.runs import DeliveryRun
from rapport.webhooks.service import WebhookService
from tools.lambda_api import Staff, call
from tools.metering import dynamodb_requests

ADMIN = Staff(user="admin-1", groups=("admin",))
OTHER_ADMIN = Staff(user="admin-2", groups=("admin",))
URL = "https://hooks.example.com/rapport"
START = datetime(2026, 11, 30, 9, 0, tzinfo=UTC)


@dataclass
class Clock:
    at: datetime = START

    def __call__(self) -> datetime:
        return self.at

    def advance(self, seconds: float) -> None:
        self.at += timedelta(seconds=seconds)


@dataclass
class Receiver:
    """The endpoint: answers each POST with the next status of `answers` (the last one repeats), or fails."""

    answers: list[int | Exception]
    received: list[tuple[Target, dict[str, str], bytes]] = field(default_factory=list)

    def post(self, target: Target, headers: Mapping[str, str], body: bytes) -> int:
        self.received.append((target, dict(headers), body))
        answer = self.answers.pop(0) if len(self.answers) > 1 else self.answers[0]
        if isinstance(answer, Exception):
            raise answer
        return answer


def resolve_to(*addresses: str) -> Any:
    def resolve(host: str, port: int) -> Sequence[str]:
        return addresses

    return resolve


@dataclass
class World:
    receiver: Receiver
    clock: Clock
    deliverer: Deliverer
    started: list[DeliveryRun]
    notified: list[NotificationRequest]

    def dispatch(self, detail: dict[str, Any]) -> list[DeliveryRun]:
        return dispatch(detail, self.started.append, self.clock)

    def attempt(self, run: DeliveryRun) -> Next:
        return self.deliverer.attempt(run)


def world(*answers: int | Exception, addresses: Sequence[str] = ("93.184.215.14",)) -> World:
    receiver, clock = Receiver(list(answers)), Clock()
    started: list[DeliveryRun] = []
    notified: list[NotificationRequest] = []
    resolve = resolve_to(*addresses)
    deliverer = Deliverer(
        webhooks=WebhookService(resolve=resolve),
        send=receiver,
        resolve=resolve,
        request_notification=notified.append,
        now=clock,
        jitter=lambda low, high: 1.0,
    )
    return World(receiver, clock, deliverer, started, notified)


def new_webhook(patterns: Sequence[str] = ("deal.*",), staff: Staff = ADMIN) -> dict[str, Any]:
    service = WebhookService(resolve=resolve_to("93.184.215.14"))
    made = service.create_with_secret(
        caller_from_claims(staff.claims()), WebhookCreate(url=URL, event_types=list(patterns))
    )
    return made.model_dump(mode="json")


def event(detail_type: str = "deal.won", event_id: str = "evt-1", tenant: str = "tenant-a") -> dict[str, Any]:
    return {
        "event_id": event_id,
        "detail_type": detail_type,
        "tenant_id": tenant,
        "entity": detail_type.split(".")[0],
        "entity_id": "01JD5Y7M7ZV1W4T5C9H2K3N4P5",
        "actor": "user-1",
        "occurred_at": "2026-11-30T08:59:59.000Z",
        "version": 3,
        "changes": {"stage": {"before": "proposal", "after": "won"}},
        "record": {"name": "Big deal", "stage": "won"},
    }


def log(webhook_id: str) -> list[dict[str, Any]]:
    reply = call("listWebhookDeliveries", ADMIN, record_id=webhook_id)
    assert reply.status == 200, reply.body
    return list(reply.body["items"])


def verify(secret: str, headers: Mapping[str, str], body: bytes) -> None:
    """The standardwebhooks package's own signature of the message with `secret` is among the attempt's (its
    `verify` also wants the timestamp within 5 minutes of the machine's clock, which these tests move)."""
    at = datetime.fromtimestamp(int(headers["webhook-timestamp"]), UTC)
    expected = Verifier(secret).sign(headers["webhook-id"], at, body.decode())
    if expected not in headers["webhook-signature"].split(" "):
        raise WebhookVerificationError("No matching signature found")


def test_a_delivery_made_now_verifies_with_the_packages_verify() -> None:
    webhook = new_webhook()
    there = world(200)
    there.clock.at = datetime.now(UTC)
    (run,) = there.dispatch(event())
    there.attempt(run)
    ((_, headers, body),) = there.receiver.received
    assert Verifier(webhook["secret"]).verify(body, dict(headers))["type"] == "deal.won"


def test_an_event_goes_to_each_active_webhook_that_subscribed_once() -> None:
    deals, contacts, everything = new_webhook(["deal.*"]), new_webhook(["contact.*"]), new_webhook(["*"])
    paused = new_webhook(["deal.won"])
    call("updateWebhook", ADMIN, record_id=paused["id"], body={"active": False}, headers={"If-Match": '"1"'})
    there = world(200)
    runs = there.dispatch(event("deal.won"))
    assert sorted(run.webhook_id for run in runs) == sorted([deals["id"], everything["id"]])
    assert there.started == runs
    again = there.dispatch(event("deal.won"))  # the bus delivered the event twice: one delivery each, same ids
    assert [run.delivery_id for run in again] == [run.delivery_id for run in runs]
    assert len(log(deals["id"])) == 1
    assert log(contacts["id"]) == []
    assert log(paused["id"]) == []


def test_webhooks_own_events_and_other_tenants_are_never_delivered() -> None:
    new_webhook(["*"])
    there = world(200)
    assert there.dispatch(event("webhook.updated")) == []
    assert there.dispatch(event("deal.won", tenant="tenant-b")) == []


def test_a_delivery_is_signed_per_standard_webhooks_and_logged() -> None:
    webhook = new_webhook()
    there = world(204)
    (run,) = there.dispatch(event())
    assert there.attempt(run) == Next(Outcome.DELIVERED)
    ((target, headers, body),) = there.receiver.received
    assert (target.host, target.address, target.port) == ("hooks.example.com", "93.184.215.14", 443)
    verify(webhook["secret"], headers, body)
    payload = json.loads(body)
    assert (payload["type"], payload["timestamp"]) == ("deal.won", "2026-11-30T08:59:59.000Z")
    assert payload["data"]["record"] == {"name": "Big deal", "stage": "won"}
    assert headers["webhook-id"] == run.delivery_id
    assert headers["webhook-timestamp"] == str(int(START.timestamp()))
    (delivery,) = log(webhook["id"])
    assert delivery["status"] == "delivered"
    assert delivery["attempts"] == [{"at": "2026-11-30T09:00:00Z", "status_code": 204, "error": None, "duration_ms": 0}]
    assert delivery["next_attempt_at"] is None


def test_a_signature_by_another_secret_or_a_changed_body_does_not_verify() -> None:
    new_webhook()
    there = world(200)
    (run,) = there.dispatch(event())
    there.attempt(run)
    ((_, headers, body),) = there.receiver.received
    with pytest.raises(WebhookVerificationError):
        verify("whsec_" + "A" * 43 + "=", headers, body)
    with pytest.raises(WebhookVerificationError):
        verify(new_webhook()["secret"], headers, body.replace(b"won", b"lost"))


def test_a_failure_is_retried_with_back_off_and_every_attempt_is_signed_afresh() -> None:
    webhook = new_webhook()
    there = world(500, SendFailed("ReadTimeoutError"), 200)
    (run,) = there.dispatch(event())
    assert there.attempt(run) == Next(Outcome.RETRY, 5)
    (pending,) = log(webhook["id"])
    assert pending["status"] == "pending"
    assert pending["next_attempt_at"] == "2026-11-30T09:00:05Z"
    there.clock.advance(5)
    assert there.attempt(run) == Next(Outcome.RETRY, 15)
    there.clock.advance(15)
    assert there.attempt(run) == Next(Outcome.DELIVERED)
    stamps = [headers["webhook-timestamp"] for _, headers, _ in there.receiver.received]
    assert stamps == [str(int(START.timestamp()) + seconds) for seconds in (0, 5, 20)]
    for _, headers, body in there.receiver.received:
        verify(webhook["secret"], headers, body)
    assert len({headers["webhook-signature"] for _, headers, _ in there.receiver.received}) == 3
    (delivery,) = log(webhook["id"])
    assert [(a["status_code"], a["error"]) for a in delivery["attempts"]] == [
        (500, None),
        (None, "no answer: ReadTimeoutError"),
        (200, None),
    ]
    assert call("getWebhook", ADMIN, record_id=webhook["id"]).body["failing_since"] is None


def test_the_back_off_grows_to_twelve_hours_with_jitter() -> None:
    waits = [backoff(failures, lambda low, high: 1.0) for failures in range(1, 13)]
    assert waits[:4] == [5.0, 15.0, 45.0, 135.0]
    assert waits[-1] == 12 * 3600.0
    assert backoff(1, lambda low, high: low) == 4.0
    assert backoff(1, lambda low, high: high) == 6.0


def test_a_delivery_is_given_up_after_three_days_then_redelivered_by_hand_with_the_same_id() -> None:
    webhook = new_webhook()
    there = world(503)
    (run,) = there.dispatch(event())
    outcomes: list[Outcome] = []
    while not outcomes or outcomes[-1] is Outcome.RETRY:
        outcome = there.attempt(run)
        outcomes.append(outcome.outcome)
        there.clock.advance(outcome.wait_seconds)
        other_deliveries_succeed(webhook["id"])
    assert outcomes[-1] is Outcome.DEAD
    assert timedelta(days=2) < there.clock.at - START <= timedelta(days=3)
    (dead,) = log(webhook["id"])
    assert (dead["status"], len(dead["attempts"]), dead["next_attempt_at"]) == ("dead", len(outcomes), None)
    there.started.clear()
    admin = caller_from_claims(ADMIN.claims())
    queued = there.deliverer.webhooks.redeliver(admin, webhook["id"], run.delivery_id, there.started.append)
    assert (queued.id, queued.status) == (run.delivery_id, "pending")
    assert queued.next_attempt_at is not None and queued.gives_up_at - queued.next_attempt_at == timedelta(days=3)
    assert there.started == [DeliveryRun(run.tenant_id, run.webhook_id, run.delivery_id, 1)]
    where = {"record_id": webhook["id"], "delivery_id": run.delivery_id}
    assert call("redeliverWebhookDelivery", ADMIN, path=where).status == 409  # pending again
    there.receiver.answers = [200]
    assert there.attempt(run) == Next(Outcome.DEAD)  # the first run is over: it sends nothing
    again = DeliveryRun(run.tenant_id, run.webhook_id, run.delivery_id, 1)
    sent_before = len(there.receiver.received)
    assert there.attempt(again) == Next(Outcome.DELIVERED)
    assert len(there.receiver.received) == sent_before + 1
    assert there.receiver.received[-1][1]["webhook-id"] == run.delivery_id
    (delivered,) = log(webhook["id"])
    assert delivered["status"] == "delivered"
    assert len(delivered["attempts"]) == len(outcomes) + 1


def test_redelivery_needs_a_dead_delivery_of_an_active_webhook() -> None:
    webhook = new_webhook()
    there = world(200)
    (run,) = there.dispatch(event())
    where = {"record_id": webhook["id"], "delivery_id": run.delivery_id}
    assert call("redeliverWebhookDelivery", ADMIN, path=where).status == 409  # pending
    unknown = {"record_id": webhook["id"], "delivery_id": "01JD5Y7M7ZV1W4T5C9H2K3N4P6"}
    assert call("redeliverWebhookDelivery", ADMIN, path=unknown).status == 404
    elsewhere = {"record_id": "01JD5Y7M7ZV1W4T5C9H2K3N4P7", "delivery_id": run.delivery_id}
    assert call("redeliverWebhookDelivery", ADMIN, path=elsewhere).status == 404
    assert call("redeliverWebhookDelivery", Staff(user="m", groups=("manager",)), path=where).status == 403


def test_a_410_kills_the_delivery_and_disables_the_webhook_telling_its_admins() -> None:
    webhook = new_webhook()
    changed = call(
        "updateWebhook", OTHER_ADMIN, record_id=webhook["id"], body={"description": "ERP"}, headers={"If-Match": '"1"'}
    )
    assert changed.status == 200
    there = world(410)
    (run,) = there.dispatch(event())
    assert there.attempt(run) == Next(Outcome.DEAD)
    read = call("getWebhook", ADMIN, record_id=webhook["id"]).body
    assert (read["active"], read["disabled_reason"]) == (False, "gone")
    assert sorted(request.recipient.id for request in there.notified) == ["admin-1", "admin-2"]
    assert {request.template for request in there.notified} == {"webhook_disabled"}
    assert "410" in there.notified[0].context["webhook"]["reason"]
    assert there.dispatch(event(event_id="evt-2")) == []  # disabled: nothing more is queued


def test_a_day_of_failures_disables_the_webhook_and_its_pending_deliveries_die_unsent() -> None:
    webhook = new_webhook()
    there = world(500)
    first, second = there.dispatch(event(event_id="evt-1"))[0], there.dispatch(event(event_id="evt-2"))[0]
    assert there.attempt(first).outcome is Outcome.RETRY
    assert call("getWebhook", ADMIN, record_id=webhook["id"]).body["failing_since"] == "2026-11-30T09:00:00Z"
    there.clock.advance(23 * 3600)
    assert there.attempt(first).outcome is Outcome.RETRY
    assert there.notified == []
    there.clock.advance(3600)
    assert there.attempt(first) == Next(Outcome.DEAD)
    read = call("getWebhook", ADMIN, record_id=webhook["id"]).body
    assert (read["active"], read["disabled_reason"]) == (False, "failing")
    assert [request.recipient.id for request in there.notified] == ["admin-1"]
    sent = len(there.receiver.received)
    assert there.attempt(second) == Next(Outcome.DEAD)
    assert len(there.receiver.received) == sent
    statuses = {item["id"]: (item["status"], item["attempts"][-1]["error"]) for item in log(webhook["id"])}
    assert statuses[second.delivery_id] == ("dead", "not sent: disabled")
    enabled = call(
        "updateWebhook",
        ADMIN,
        record_id=webhook["id"],
        body={"active": True},
        headers={"If-Match": f'"{read["version"]}"'},
    )
    assert enabled.status == 200
    assert (enabled.body["disabled_reason"], enabled.body["failing_since"]) == (None, None)


def test_a_name_that_now_resolves_to_a_private_address_is_not_sent_to() -> None:
    webhook = new_webhook()
    there = world(200, addresses=("10.0.0.5",))
    (run,) = there.dispatch(event())
    assert there.attempt(run).outcome is Outcome.RETRY
    assert there.receiver.received == []
    (delivery,) = log(webhook["id"])
    assert "10.0.0.5" in delivery["attempts"][0]["error"]


def test_during_a_rotation_both_secrets_sign_and_after_it_only_the_new_one() -> None:
    webhook = new_webhook()
    rotated = call("rotateWebhookSecret", ADMIN, record_id=webhook["id"]).body["secret"]
    there = world(500, 200)
    there.clock.at = datetime.now(UTC)
    (run,) = there.dispatch(event())
    there.attempt(run)
    _, headers, body = there.receiver.received[-1]
    assert len(headers["webhook-signature"].split(" ")) == 2
    verify(webhook["secret"], headers, body)
    verify(rotated, headers, body)
    there.clock.advance(25 * 3600)
    other_deliveries_succeed(webhook["id"])
    there.attempt(run)
    _, headers, body = there.receiver.received[-1]
    verify(rotated, headers, body)
    with pytest.raises(WebhookVerificationError):
        verify(webhook["secret"], headers, body)


def test_the_delivery_log_is_newest_first_one_query_and_pages() -> None:
    webhook = new_webhook()
    there = world(200)
    ids = []
    for number in range(3):
        detail = event(event_id=f"evt-{number}")
        detail["occurred_at"] = f"2026-11-30T08:5{number}:00.000Z"
        ids.append(there.dispatch(detail)[0].delivery_id)
    with dynamodb_requests() as requests:
        first = call("listWebhookDeliveries", ADMIN, record_id=webhook["id"], query={"limit": "2"})
    assert requests == ["Query"]
    assert [item["id"] for item in first.body["items"]] == [ids[2], ids[1]]
    rest = call(
        "listWebhookDeliveries",
        ADMIN,
        record_id=webhook["id"],
        query={"limit": "2", "cursor": first.body["next_cursor"]},
    )
    assert [item["id"] for item in rest.body["items"]] == [ids[0]]
    assert rest.body["next_cursor"] is None
    assert json.loads(json.dumps(first.body))["items"][0]["event_type"] == "deal.won"


def test_erasing_a_webhook_erases_its_deliveries_and_secrets() -> None:
    webhook, kept = new_webhook(), new_webhook()
    there = world(500)
    for run in there.dispatch(event()):
        there.attempt(run)
    erased = call("deleteWebhook", ADMIN, record_id=webhook["id"], query={"permanent": "true"})
    assert erased.status == 204
    items = boto3.client("dynamodb").scan(TableName=config.current().table_name)["Items"]
    assert webhook["id"] not in json.dumps(items)
    assert kept["id"] in json.dumps(items)
    assert len(log(kept["id"])) == 1


def other_deliveries_succeed(webhook_id: str) -> None:
    """What a delivery that succeeded meanwhile does: clears failing_since (so only this one's days count)."""
    record = repository.get("tenant-a", WEBHOOK, webhook_id)
    assert record is not None
    if record.data.get("failing_since"):
        work = UnitOfWork()
        WebhookService(resolve=resolve_to()).stage_update(
            work, caller_from_claims(ADMIN.claims()), record, {"failing_since": None}
        )
        work.commit()
