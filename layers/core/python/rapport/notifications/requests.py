"""Asking for a notification: an event on the Rapport bus that the notifier consumes, retries and dead-letters.

Workflows (lead assignment, reminders, digests) do not send email or SMS themselves: they put a
`notification.requested` event, so a failing SES or SNS call is retried by EventBridge's target retry policy and
lands in the notifier's dead-letter queue rather than failing — or losing — the workflow step that asked.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from enum import StrEnum
from typing import Any

from pydantic import Field

from rapport import aws, config
from rapport.types import LazyModel

SOURCE = "rapport.workflows"
DETAIL_TYPE = "notification.requested"
PutEvents = Callable[[list[dict[str, Any]]], Mapping[str, Any]]


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


def _events_client() -> Any:
    return aws.client("events")


def _put_events(entries: list[dict[str, Any]]) -> Mapping[str, Any]:
    return _events_client().put_events(Entries=entries)  # type: ignore[no-any-return]


def request_notification(request: NotificationRequest, put_events: PutEvents = _put_events) -> None:
    """Put the request on the bus named by EVENT_BUS_NAME; raises if the bus did not take it."""
    entry = {
        "Source": SOURCE,
        "DetailType": DETAIL_TYPE,
        "Detail": request.model_dump_json(),
        "EventBusName": config.current().require("event_bus_name"),
    }
    response = put_events([entry])
    failed = [result for result in response.get("Entries", []) if "ErrorCode" in result]
    if failed:
        raise RuntimeError(f"the bus refused the notification request: {failed[0]['ErrorCode']}")
