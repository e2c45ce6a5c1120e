"""Asking for a notification: an event on the Rapport bus that the notifier consumes, retries and dead-letters.

Workflows (lead assignment, reminders, digests) do not send email or SMS themselves: they put a
`notification.requested` event, so a failing SES or SNS call is retried by EventBridge's target retry policy and
lands in the notifier's dead-letter queue rather than failing — or losing — the workflow step that asked.
"""

from __future__ import annotations

from enum import StrEnum
from typing import Any

from pydantic import Field

from rapport.events import bus
from rapport.types import LazyModel

SOURCE = "rapport.workflows"
DETAIL_TYPE = "notification.requested"


class RecipientType(StrEnum):
    USER = "user"  # a staff user (token subject): their profile says how to reach them
    CONTACT = "contact"  # a customer: only on channels they consented to


class Recipient(LazyModel):
    type: RecipientType
    id: str


class NotificationRequest(LazyModel):
    tenant_id: str
    recipient: Recipient
    template: str = Field(description="The tenant's template name, e.g. lead_assigned, task_reminder")
    context: dict[str, Any] = Field(default_factory=dict, description="The values the template may use")
    channel: str | None = Field(default=None, description="email or sms; None: the recipient's preference")
    dedupe_key: str = Field(description="Stable per intended message: a redelivery sends nothing twice")
    topic: str | None = Field(
        default=None,
        description="The marketing topic (marketing settings) of a marketing message; none: a transactional one",
    )
    thread_id: str | None = Field(
        default=None,
        description="What an answer to the email is threaded back to (a case's id): the sent email's id is kept",
    )


def request_notification(request: NotificationRequest, put_events: bus.PutEvents | None = None) -> None:
    """Put the request on the bus named by EVENT_BUS_NAME; raises if the bus did not take it."""
    bus.put(SOURCE, DETAIL_TYPE, request, what="the notification request", sender=put_events)
