"""Webhooks: an admin's subscriptions, their signing secrets and their delivery log.

A webhook is a record (rapport.records: merge-patch PATCH with If-Match, trash, restore, erase); its URL is
checked when it is set (rapport.webhooks.addresses, with the resolver the service is made with) and its event type
patterns against the event catalog. Its secret is made at creation, shown once, and kept sealed beside it
(rapport.webhooks.store); rotating makes a new one and keeps the previous one signing for a day.
"""

from __future__ import annotations

import fnmatch
from collections.abc import Callable, Mapping, Sequence
from datetime import UTC, datetime, timedelta
from typing import Any

from rapport.auth import Action, Caller
from rapport.dal import repository
from rapport.dal.repository import Guard, IndexKeys, Record, StaleVersion, UnitOfWork
from rapport.errors import Conflict, FieldError, InvalidInput, NotFound
from rapport.events.publisher import detail_types
from rapport.pagination import Page
from rapport.records import RecordService
from rapport.types import utc_now
from rapport.webhooks import addresses, signing, store
from rapport.webhooks.addresses import Refused, Resolve
from rapport.webhooks.manifest import WEBHOOK
from rapport.webhooks.models import (
    Delivery,
    DeliveryStatus,
    RotatedSecret,
    Webhook,
    WebhookCreate,
    WebhookStored,
    WebhookWithSecret,
)
from rapport.webhooks.runs import DeliveryRun, StartDelivery, gives_up_at

ROTATION_OVERLAP = timedelta(hours=24)
OWN_EVENTS = f"{WEBHOOK.entity}."  # a webhook's own changes are not delivered: its deliveries change it


def subscribable() -> list[str]:
    """The event types a webhook may subscribe to: the catalog but the webhooks' own."""
    return [detail_type for detail_type in detail_types() if not detail_type.startswith(OWN_EVENTS)]


def matches(patterns: Sequence[str], detail_type: str) -> bool:
    return not detail_type.startswith(OWN_EVENTS) and any(fnmatch.fnmatchcase(detail_type, p) for p in patterns)


class WebhookService(RecordService[WebhookCreate, Webhook]):
    kind = WEBHOOK
    resource = "webhooks"
    label = "webhook"
    create_model = WebhookStored
    out_model = Webhook

    def __init__(self, resolve: Resolve, allow_http_localhost: Callable[[], bool] = addresses.local_http_allowed):
        self._resolve = resolve
        self._allow_http_localhost = allow_http_localhost

    def guards(self, data: Mapping[str, Any]) -> dict[Guard, str]:
        return {}

    def index_keys(self, tenant_id: str, record_id: str, data: Mapping[str, Any], *, deleted: bool) -> IndexKeys:
        return store.index_keys(tenant_id, record_id, active=bool(data["active"]), deleted=deleted)

    def derive(self, tenant_id: str, data: dict[str, Any], before: Record | None) -> dict[str, Any]:
        """A new or changed URL is checked; enabling a webhook again clears why it was disabled."""
        previous = before.data if before is not None else {}
        if data["url"] != previous.get("url"):
            self.target(data["url"])
        if data["event_types"] != previous.get("event_types"):
            _check_patterns(data["event_types"])
        if data["active"] and not previous.get("active", True):
            for stamp in ("disabled_reason", "disabled_at", "failing_since"):
                data.pop(stamp, None)
        return data

    def target(self, url: str) -> addresses.Target:
        """Where `url` delivers now; a 422 on `url` when it may not."""
        try:
            return addresses.check(url, self._resolve, allow_http_localhost=self._allow_http_localhost())
        except Refused as error:
            raise InvalidInput.of("url", str(error), "refused_url") from error

    def erase(self, caller: Caller, record_id: str, expected_version: int | None) -> None:
        """For good: the webhook, then its deliveries and its sealed secrets."""
        super().erase(caller, record_id, expected_version)
        deliveries = repository.partition_summaries(store.deliveries(caller.tenant_id, record_id))
        keys = [store.delivery_key(caller.tenant_id, record_id, delivery.ref_id) for delivery in deliveries]
        repository.delete_items([*keys, store.secrets_key(caller.tenant_id, record_id)])

    def create_with_secret(self, caller: Caller, payload: WebhookCreate) -> WebhookWithSecret:
        """The webhook with its new secret, shown this once."""
        caller.require(self.resource, Action.CREATE)
        work = UnitOfWork()
        record = self.stage_create(work, caller.tenant_id, caller.user_id, payload)
        secret = signing.new_secret()
        sealed = {"current": signing.seal(secret, caller.tenant_id, record.id)}
        work.put_item(store.secrets_item(caller.tenant_id, record.id, sealed))
        webhook = self.commit(work, record)
        return WebhookWithSecret.model_validate({**webhook.model_dump(), "secret": secret})

    def rotate_secret(self, caller: Caller, webhook_id: str, expected_version: int | None) -> RotatedSecret:
        """A new secret, shown this once; the previous one keeps signing (beside it) for ROTATION_OVERLAP."""
        caller.require(self.resource, Action.UPDATE)
        record = self._load(caller, webhook_id, expected_version)
        sealed = store.read_secrets(caller.tenant_id, webhook_id)
        if sealed is None:
            raise NotFound(f"No webhook has the id {webhook_id}.")
        now = datetime.now(UTC)
        expires_at = _instant(now + ROTATION_OVERLAP)
        secret = signing.new_secret()
        rotated = {
            "current": signing.seal(secret, caller.tenant_id, webhook_id),
            "previous": sealed["current"],
            "previous_expires_at": expires_at,
        }
        work = UnitOfWork()
        self.stage_update(work, caller, record, {"secret_rotated_at": _instant(now)})
        work.put_item(store.secrets_item(caller.tenant_id, webhook_id, rotated))
        self.commit(work, record)
        return RotatedSecret(secret=secret, previous_secret_expires_at=datetime.fromisoformat(expires_at))

    def secrets_in_use(self, tenant_id: str, webhook_id: str, at: datetime) -> list[str]:
        """The secrets that sign an attempt at `at`: the current one, and the previous one during its overlap."""
        sealed = store.read_secrets(tenant_id, webhook_id) or {}
        in_use = [sealed["current"]] if sealed.get("current") else []
        expires_at = sealed.get("previous_expires_at")
        if sealed.get("previous") and expires_at and at < datetime.fromisoformat(expires_at):
            in_use.append(sealed["previous"])
        return [signing.unseal(secret, tenant_id, webhook_id) for secret in in_use]

    def deliveries(self, caller: Caller, webhook_id: str, *, limit: int, cursor: str | None) -> Page[Delivery]:
        """The webhook's deliveries, newest first: ONE Query, which also reads the webhook on the first page (a 404
        for a webhook the tenant does not have)."""
        pattern = store.delivery_log(caller.tenant_id, webhook_id)
        found, next_cursor = self.child_summaries(
            caller, webhook_id, pattern, store.DELIVERY_KIND, limit=limit, cursor=cursor
        )
        items = [delivery_of(webhook_id, summary.ref_id, summary.data) for summary in found]
        return Page(items=items, next_cursor=next_cursor)

    def redeliver(self, caller: Caller, webhook_id: str, delivery_id: str, start: StartDelivery) -> Delivery:
        """Queue a dead delivery again, from now on for another 3 days, with the same webhook-id."""
        caller.require(self.resource, Action.UPDATE)
        record = self._load(caller, webhook_id)
        if record.deleted or not record.data["active"]:
            raise Conflict("The webhook is not active; enable it (PATCH active: true) before redelivering.")
        data = store.read_delivery(caller.tenant_id, webhook_id, delivery_id)
        if data is None:
            raise NotFound(f"The webhook has no delivery {delivery_id}.")
        if data["status"] != DeliveryStatus.DEAD:
            raise Conflict(f"The delivery is {data['status']}: only a dead delivery can be redelivered.")
        now = utc_now()
        run = DeliveryRun(caller.tenant_id, webhook_id, delivery_id, int(data.get("run", 0)) + 1)
        queued = {
            **data,
            "status": DeliveryStatus.PENDING.value,
            "next_attempt_at": now,
            "gives_up_at": gives_up_at(now),
        }
        queued.update(run=run.run, failures=0)
        work = UnitOfWork()
        item = store.delivery_item(caller.tenant_id, webhook_id, delivery_id, queued)
        work.put_item(item, store.delivery_is(DeliveryStatus.DEAD.value))
        try:
            work.commit()
        except StaleVersion as error:
            raise Conflict("The delivery was redelivered already.") from error
        start(run)
        return delivery_of(webhook_id, delivery_id, queued)


def delivery_of(webhook_id: str, delivery_id: str, data: Mapping[str, Any]) -> Delivery:
    return Delivery.model_validate({**data, "id": delivery_id, "webhook_id": webhook_id})


def _check_patterns(patterns: Sequence[str]) -> None:
    catalog = subscribable()
    errors = [
        FieldError(f"event_types[{index}]", f"matches no event type of the catalog ({pattern})", "unknown_event")
        for index, pattern in enumerate(patterns)
        if not any(fnmatch.fnmatchcase(detail_type, pattern) for detail_type in catalog)
    ]
    if errors:
        raise InvalidInput("The webhook's event types match no event of Rapport's catalog.", errors)


def _instant(at: datetime) -> str:
    return at.astimezone(UTC).isoformat(timespec="seconds").replace("+00:00", "Z")
