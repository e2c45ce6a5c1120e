"""Deliveries: the events a webhook subscribed to, queued per webhook and attempted until delivered or given up.

`dispatch` (the dispatcher worker, on every domain event of the bus) queues a delivery for each active webhook
whose patterns match and starts its run (rapport.webhooks.runs). `attempt` (the delivery state machine's task)
makes one attempt, signed afresh (rapport.webhooks.signing), and says what comes next:

- a 2xx: delivered; the webhook's `failing_since` is cleared;
- a 410 Gone: the delivery is dead and the webhook disabled (`gone`) at once;
- anything else (another status, a timeout, a refused address): a failure. The next attempt waits the back-off
  (5 s, then times 3 each time up to 12 h, each jittered by ±20 % so that a recovering endpoint is not hit by every
  delivery at once) unless that is past `gives_up_at` (3 days after queueing): then the delivery is dead. A
  webhook whose attempts have all failed for a day (`failing_since`) is disabled (`failing`).

A disabled webhook's pending deliveries die at their next attempt, kept for `POST .../redeliver`. Disabling asks
the notifier to tell the admins who created and last changed the webhook (`webhook_disabled`).
"""

from __future__ import annotations

import contextlib
import json
import random
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from enum import StrEnum
from typing import Any, NamedTuple, Protocol

from rapport.auth import Caller, Role
from rapport.dal import repository
from rapport.dal.repository import Record, StaleVersion, UnitOfWork
from rapport.errors import Conflict
from rapport.notifications.requests import NotificationRequest, Recipient, RecipientType
from rapport.webhooks import addresses, signing, store
from rapport.webhooks.addresses import Refused, Resolve, Target
from rapport.webhooks.manifest import WEBHOOK
from rapport.webhooks.models import DeliveryStatus, DisabledReason
from rapport.webhooks.runs import DeliveryRun, StartDelivery, gives_up_at
from rapport.webhooks.service import WebhookService, matches

ACTOR = "rapport-webhooks"  # who disables a webhook, in its events
FIRST_WAIT_S = 5.0
GROWTH = 3.0
LONGEST_WAIT_S = 12 * 3600.0
JITTER = 0.2
FAILING_FOR = timedelta(days=1)
GONE = 410


class SendFailed(Exception):
    """The endpoint gave no HTTP answer (a timeout, a refused connection, TLS); the message says which."""


class Sender(Protocol):
    def post(self, target: Target, headers: Mapping[str, str], body: bytes) -> int:
        """POST `body` to `target`; the status code, or SendFailed."""


class Outcome(StrEnum):
    DELIVERED = "delivered"
    RETRY = "retry"
    DEAD = "dead"


class Next(NamedTuple):
    """What the run does after an attempt: wait `wait_seconds` and attempt again, or end."""

    outcome: Outcome
    wait_seconds: int = 0


RequestNotification = Callable[[NotificationRequest], None]
Jitter = Callable[[float, float], float]


def backoff(failures: int, jitter: Jitter = random.uniform) -> float:
    """Seconds to wait after the `failures`-th failed attempt in a row."""
    nominal = min(FIRST_WAIT_S * GROWTH ** (failures - 1), LONGEST_WAIT_S)
    return nominal * jitter(1 - JITTER, 1 + JITTER)


def dispatch(detail: Mapping[str, Any], start: StartDelivery, now: Callable[[], datetime]) -> list[DeliveryRun]:
    """Queue the domain event `detail` for each of its tenant's active webhooks that subscribed to its type."""
    tenant_id, detail_type = str(detail["tenant_id"]), str(detail["detail_type"])
    body = json.dumps({"type": detail_type, "timestamp": detail["occurred_at"], "data": detail}, separators=(",", ":"))
    queued_at = _instant(now())
    runs = []
    for webhook in repository.records(store.active(tenant_id)):
        if not matches(webhook.data["event_types"], detail_type):
            continue
        delivery_id = store.delivery_id(str(detail["occurred_at"]), str(detail["event_id"]), webhook.id)
        data = {
            "event_id": detail["event_id"],
            "event_type": detail_type,
            "status": DeliveryStatus.PENDING.value,
            "created_at": queued_at,
            "next_attempt_at": queued_at,
            "gives_up_at": gives_up_at(queued_at),
            "payload": body,
            "run": 0,
            "failures": 0,
        }
        item = store.delivery_item(tenant_id, webhook.id, delivery_id, data)
        work = UnitOfWork()
        work.put_item(item, store.delivery_absent())
        with contextlib.suppress(StaleVersion):  # queued by an earlier try of this event: its run starts once
            work.commit()
        run = DeliveryRun(tenant_id, webhook.id, delivery_id, 0)
        start(run)
        runs.append(run)
    return runs


@dataclass
class Deliverer:
    """One attempt of a delivery, with its side effects injected."""

    webhooks: WebhookService
    send: Sender
    resolve: Resolve
    request_notification: RequestNotification
    now: Callable[[], datetime] = lambda: datetime.now(UTC)
    jitter: Jitter = random.uniform
    allow_http_localhost: Callable[[], bool] = addresses.local_http_allowed

    def attempt(self, run: DeliveryRun) -> Next:
        data = store.read_delivery(run.tenant_id, run.webhook_id, run.delivery_id)
        if data is None or data["status"] != DeliveryStatus.PENDING or int(data.get("run", 0)) != run.run:
            return Next(Outcome.DEAD)  # erased, or superseded by a redelivery: this run has nothing left to do
        webhook = repository.get(run.tenant_id, WEBHOOK, run.webhook_id)
        started = self.now()
        if webhook is None or webhook.deleted or not webhook.data["active"]:
            why = "not sent: the webhook is deleted" if webhook is None or webhook.deleted else "not sent: disabled"
            return self._record(run, data, {"at": _instant(started), "error": why, "duration_ms": 0}, Outcome.DEAD)
        status, error = self._post(run, webhook, data["payload"], started)
        attempt: dict[str, Any] = {"at": _instant(started), "duration_ms": _ms(self.now() - started)}
        attempt.update({"status_code": status} if status is not None else {})
        attempt.update({"error": error} if error is not None else {})
        if status is not None and 200 <= status < 300:
            self._healthy(webhook)
            return self._record(run, data, attempt, Outcome.DELIVERED)
        if status == GONE:
            self._disable(webhook, DisabledReason.GONE, f"its endpoint answered {GONE} Gone")
            return self._record(run, data, attempt, Outcome.DEAD)
        if self._failing_for_a_day(webhook, started):
            last = f"{status}" if status is not None else error
            self._disable(webhook, DisabledReason.FAILING, f"every delivery failed for a day (last: {last})")
            return self._record(run, data, attempt, Outcome.DEAD)
        wait = backoff(int(data.get("failures", 0)) + 1, self.jitter)
        next_at = started + timedelta(seconds=wait)
        if next_at > datetime.fromisoformat(data["gives_up_at"]):
            return self._record(run, data, attempt, Outcome.DEAD)
        return self._record(run, data, attempt, Outcome.RETRY, next_at, round(wait))

    def _post(self, run: DeliveryRun, webhook: Record, payload: str, at: datetime) -> tuple[int | None, str | None]:
        """The endpoint's status, or why there is none."""
        try:
            target = addresses.check(
                webhook.data["url"], self.resolve, allow_http_localhost=self.allow_http_localhost()
            )
        except Refused as refused:
            return None, f"not sent: the url {refused}"
        secrets = self.webhooks.secrets_in_use(run.tenant_id, webhook.id, at)
        headers = signing.headers(secrets, run.delivery_id, int(at.timestamp()), payload)
        try:
            return self.send.post(target, headers, payload.encode()), None
        except SendFailed as failed:
            return None, f"no answer: {failed}"

    def _record(
        self,
        run: DeliveryRun,
        data: Mapping[str, Any],
        attempt: Mapping[str, Any],
        outcome: Outcome,
        next_at: datetime | None = None,
        wait_seconds: int = 0,
    ) -> Next:
        status = {
            Outcome.DELIVERED: DeliveryStatus.DELIVERED.value,
            Outcome.RETRY: DeliveryStatus.PENDING.value,
            Outcome.DEAD: DeliveryStatus.DEAD.value,
        }[outcome]
        updated = {**data, "status": status, "attempts": [*data.get("attempts", []), dict(attempt)]}
        updated["failures"] = 0 if outcome is Outcome.DELIVERED else int(data.get("failures", 0)) + 1
        updated["next_attempt_at"] = _instant(next_at) if next_at is not None else None
        item = store.delivery_item(run.tenant_id, run.webhook_id, run.delivery_id, updated)
        work = UnitOfWork()
        work.put_item(item, store.delivery_in_run(run.run))
        try:
            work.commit()
        except StaleVersion:
            return Next(Outcome.DEAD)  # redelivered meanwhile: the new run goes on
        return Next(outcome, wait_seconds)

    def _failing_for_a_day(self, webhook: Record, at: datetime) -> bool:
        """Whether this failure makes a day of failures; the first of a series stamps `failing_since`."""
        since = webhook.data.get("failing_since")
        if since is None:
            self._change(webhook, {"failing_since": _instant(at)})
            return False
        return at - datetime.fromisoformat(since) >= FAILING_FOR

    def _healthy(self, webhook: Record) -> None:
        if webhook.data.get("failing_since") is not None:
            self._change(webhook, {"failing_since": None})

    def _disable(self, webhook: Record, reason: DisabledReason, why: str) -> None:
        admins = {webhook.created_by, webhook.updated_by} - {ACTOR}
        changed = self._change(
            webhook, {"active": False, "disabled_reason": reason, "disabled_at": _instant(self.now())}
        )
        if changed is None:
            return
        for admin in sorted(admins):
            self.request_notification(
                NotificationRequest(
                    tenant_id=webhook.tenant_id,
                    recipient=Recipient(type=RecipientType.USER, id=admin),
                    template="webhook_disabled",
                    context={
                        "webhook": {"id": webhook.id, "url": webhook.data["url"], "reason": why},
                        "link": f"/webhooks/{webhook.id}",
                    },
                    dedupe_key=f"webhook_disabled:{webhook.id}:{changed.updated_at}:{admin}",
                )
            )

    def _change(self, webhook: Record, patch: Mapping[str, Any]) -> Record | None:
        """`webhook` changed by `patch` as Rapport (the record read again while an admin's change races it); None
        when it is gone or the change is moot."""
        system = Caller(webhook.tenant_id, ACTOR, frozenset({Role.ADMIN}))
        for _ in range(self.webhooks.write_attempts):
            current = repository.get(webhook.tenant_id, WEBHOOK, webhook.id)
            if current is None or current.deleted:
                return None
            if "active" in patch and not current.data["active"]:
                return None  # disabled already: tell nobody twice
            work = UnitOfWork()
            try:
                self.webhooks.stage_update(work, system, current, patch)
                work.commit()
            except (StaleVersion, Conflict):
                continue
            return current
        return None


def _ms(elapsed: timedelta) -> int:
    return max(0, round(elapsed.total_seconds() * 1000))


def _instant(at: datetime) -> str:
    return at.astimezone(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")
