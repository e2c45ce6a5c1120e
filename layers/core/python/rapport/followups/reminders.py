"""Task and appointment reminders: a sweep every few minutes puts one notification request per reminder due.

Design. A reminder is not an item of its own: an open task with a `reminder_at` sits in its tenant's sparse
partition of pending reminders (sorted by reminder time), and a scheduled appointment in its tenant's scheduled
appointments (sorted by start) — index keys of the record itself (rapport.tasks.store, rapport.appointments.store),
so they are written in the very write that changes the task or appointment, cost no extra transaction item (an
appointment's transaction is already budgeted to 100 items), move when `reminder_at` or `starts_at` changes,
and vanish when the task is done/cancelled/trashed or the appointment cancelled/done/trashed.

The sweep (`sweep`, run by an EventBridge schedule every 5 minutes, `now` = the scheduled event's time) reads
the tenant registry (one Query on its own small table: a list of all tenants cannot live in the single table,
whose every key starts with one tenant), then per tenant:

- tasks: ONE Query, reminder times in (now - LOOKBACK, now];
- appointments: ONE Query, starts in (now, now + the largest offset]; each offset whose reminder time
  (start - offset) falls in (now - LOOKBACK, now] is due (an appointment that has started gets none).

LOOKBACK (1 hour) lets a sweep that failed or ran late catch up; older reminders are dropped as stale.
Each reminder fires once: before putting its request, the sweep claims a marker named after the reminder
and its time (a conditional put in the idempotency table, with a TTL); a second sweep over the same window,
or a redelivered schedule, finds the marker and sends nothing. If the bus refuses the request, the claim is
released and the error raised, so the next run (or Lambda's retry) tries again. The request's `dedupe_key` is
the marker's name too, so the notifier also sends nothing twice. Rescheduling changes the reminder's time and
so its marker: the new time fires again, as it should.

Appointment reminder offsets are a tenant's settings document (`GET/PUT /reminder-settings`,
`{"offsets_minutes": [...]}`, rapport.settings), default 24 h and 1 h before. Staff reminders go to each
attendee (recipient user); the customer reminder is a request with the contact as recipient and no channel: the
notifier checks the contact's consent and picks email or SMS.

Limits: the index is eventually consistent, so a task completed within a second of its reminder may still be
reminded; one tenant partition takes about 1,000 reminder writes a second (write-shard it if a tenant ever
needs more).
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Annotated, Any, NamedTuple

from pydantic import Field, StrictInt

from rapport import normalize
from rapport.appointments import store as appointment_store
from rapport.appointments.manifest import APPOINTMENT
from rapport.contexts import Kind
from rapport.dal import repository
from rapport.dal.repository import Record
from rapport.events.bus import PutEvents
from rapport.followups import manifest as followups_manifest
from rapport.followups import store
from rapport.notifications.requests import (
    NotificationRequest,
    Recipient,
    RecipientType,
    request_notification,
)
from rapport.settings import SettingsDocument
from rapport.tasks import store as task_store
from rapport.tasks.manifest import TASK
from rapport.types import StrictModel

SWEEP_MINUTES = 5
LOOKBACK = timedelta(hours=1)
DEFAULT_OFFSETS_MINUTES = (24 * 60, 60)
MAX_OFFSET_MINUTES = 7 * 24 * 60
TASK_TEMPLATE = "task_reminder"
APPOINTMENT_TEMPLATE = "appointment_reminder"


class ReminderSettings(StrictModel):
    offsets_minutes: list[Annotated[StrictInt, Field(gt=0, le=MAX_OFFSET_MINUTES)]] = Field(
        default_factory=lambda: list(DEFAULT_OFFSETS_MINUTES),
        max_length=5,
        description=f"Appointment reminders, minutes before the start (1 to {MAX_OFFSET_MINUTES})",
    )

    def offsets(self) -> list[timedelta]:
        return [timedelta(minutes=minutes) for minutes in sorted(set(self.offsets_minutes), reverse=True)]


REMINDER_SETTINGS = SettingsDocument(
    followups_manifest.REMINDER_SETTINGS,
    ReminderSettings,
    resource="reminder_settings",
    default=lambda _: ReminderSettings(),
)


class Reminder(NamedTuple):
    """One message due: which record, to whom, and the name that makes it fire once."""

    tenant_id: str
    kind: Kind
    record_id: str
    at: str  # when it is due (canonical UTC)
    recipient: Recipient
    template: str
    context: Mapping[str, Any]

    @property
    def name(self) -> str:
        return f"REMIND#{self.kind}#{self.record_id}#{self.at}#{self.recipient.type}#{self.recipient.id}"

    def request(self) -> NotificationRequest:
        return NotificationRequest(
            tenant_id=self.tenant_id,
            recipient=self.recipient,
            template=self.template,
            context=dict(self.context),
            dedupe_key=f"{self.tenant_id}#{self.name}",
        )


def _instant(value: datetime) -> str:
    return normalize.instant(value)


def task_reminders(tasks: Iterable[Record]) -> Iterator[Reminder]:
    """The reminders of tasks read from the pending-reminders partition: one to each task's assignee."""
    for task in tasks:
        data = task.data
        yield Reminder(
            tenant_id=task.tenant_id,
            kind=TASK,
            record_id=task.id,
            at=data["reminder_at"],
            recipient=Recipient(type=RecipientType.USER, id=data["assignee_id"]),
            template=TASK_TEMPLATE,
            context={
                "task": {
                    "id": task.id,
                    "title": data["title"],
                    "due_at": data.get("due_at"),
                    "priority": data.get("priority"),
                    "reminder_at": data["reminder_at"],
                },
                "link": f"/tasks/{task.id}",
                **{field: data[field] for field in ("contact_id", "deal_id", "account_id", "lead_id") if field in data},
            },
        )


def appointment_reminders(
    appointments: Iterable[Record], offsets: Sequence[timedelta], now: datetime, lookback: timedelta = LOOKBACK
) -> Iterator[Reminder]:
    """The reminders due at `now`: each offset whose time (start - offset) is in (now - lookback, now], for a
    scheduled appointment that has not started; one to each attendee and one to the contact, if any."""
    for appointment in appointments:
        data = appointment.data
        starts_at = datetime.fromisoformat(data["starts_at"])
        if data.get("status") != "scheduled" or starts_at <= now:
            continue
        for offset in offsets:
            at = starts_at - offset
            if not now - lookback < at <= now:
                continue
            context: dict[str, Any] = {
                "appointment": {
                    "id": appointment.id,
                    "title": data["title"],
                    "starts_at": data["starts_at"],
                    "ends_at": data["ends_at"],
                    "location": data.get("location") or data.get("channel"),
                },
                "minutes_before": int(offset.total_seconds() // 60),
                **({"contact_id": data["contact_id"]} if "contact_id" in data else {}),
            }
            recipients = [Recipient(type=RecipientType.USER, id=user) for user in data["attendee_ids"]]
            if data.get("contact_id"):
                recipients.append(Recipient(type=RecipientType.CONTACT, id=data["contact_id"]))
            for recipient in recipients:
                yield Reminder(
                    tenant_id=appointment.tenant_id,
                    kind=APPOINTMENT,
                    record_id=appointment.id,
                    at=_instant(at),
                    recipient=recipient,
                    template=APPOINTMENT_TEMPLATE,
                    context=context,
                )


def due(tenant_id: str, now: datetime, lookback: timedelta = LOOKBACK) -> list[Reminder]:
    """Every reminder of `tenant_id` due at `now`: two Queries (and a read of the tenant's settings)."""
    tasks = repository.records(
        task_store.reminders_between(tenant_id, _instant(now - lookback + timedelta(seconds=1)), _instant(now))
    )
    offsets = REMINDER_SETTINGS.read(tenant_id).content.offsets()
    reminders = list(task_reminders(tasks))
    if offsets:
        appointments = repository.records(
            appointment_store.scheduled_between(
                tenant_id, _instant(now + timedelta(seconds=1)), _instant(now + max(offsets))
            )
        )
        reminders += appointment_reminders(appointments, offsets, now, lookback)
    return reminders


@dataclass
class SweepReport:
    sent: int = 0
    already_sent: int = 0
    tenants: int = 0


def send(reminders: Iterable[Reminder], now: datetime, put_events: PutEvents | None = None) -> SweepReport:
    """Put one request per reminder not sent before (see the module's docstring for fire-once)."""
    report = SweepReport()
    for reminder in reminders:
        if not store.mark_sent(reminder.tenant_id, reminder.name, now):
            report.already_sent += 1
            continue
        try:
            if put_events is None:
                request_notification(reminder.request())
            else:
                request_notification(reminder.request(), put_events)
        except Exception:
            store.unmark_sent(reminder.tenant_id, reminder.name)
            raise
        report.sent += 1
    return report


def sweep(now: datetime, put_events: PutEvents | None = None) -> SweepReport:
    """Every registered tenant's due reminders, each sent once."""
    total = SweepReport()
    for tenant_id in store.tenants():
        report = send(due(tenant_id, now), now, put_events)
        total.sent += report.sent
        total.already_sent += report.already_sent
        total.tenants += 1
    return total
