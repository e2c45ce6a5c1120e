"""A deserting customer's retention episode, as the retention workflow (rapport.orders.retention) keeps it in the
customer's partition (`B#RETENTION`, rapport.orders.store): the latest episode only, an episode being one spell of
`deserting` (its `since`, the churn's). Reads show it beside the standing: `GET /contacts/{id}/value`,
`GET /accounts/{id}/value` and the contact's 360 view (`retention`)."""

from __future__ import annotations

from enum import StrEnum

from pydantic import Field

from rapport.orders.churn import ChurnReason
from rapport.types import Instant, LazyModel


class RetentionStatus(StrEnum):
    OPEN = "open"  # the offer is out, the workflow waits
    RECOVERED = "recovered"  # the customer bought again (a paid or fulfilled order) after the episode began
    ESCALATED = "escalated"  # it did not: the owner's manager was told and given the task


class RetentionEpisode(LazyModel):
    status: RetentionStatus
    since: Instant = Field(description="When the customer was found deserting: the episode's start (churn.since)")
    started_at: Instant = Field(description="When the retention workflow started")
    wait_until: Instant = Field(description="When the workflow checks whether the customer bought again")
    reasons: list[ChurnReason] = Field(default_factory=list, description="The churn reasons the episode began with")
    coupon_code: str = Field(description="The customer's coupon code for this episode, unique in the tenant")
    offer_contact_id: str | None = Field(default=None, description="The contact the offer was emailed to")
    offer_skipped: str | None = Field(default=None, description="Why no offer was emailed")
    owner_id: str | None = Field(default=None, description="The customer's owner when the episode began")
    task_id: str | None = Field(default=None, description="The retention task (none for a customer nobody owns)")
    recovered_at: Instant | None = None
    recovered_by_order: str | None = Field(default=None, description="The order that won the customer back")
    escalated_at: Instant | None = None
    escalated_to: str | None = Field(default=None, description="The owner's manager the task went to")
    escalation_note: str | None = Field(default=None, description="What the escalation did, or why it could not")
    execution: str = Field(description="The workflow execution that started the episode")
    updated_at: Instant
    updated_by: str
