"""What a campaign is, how it moves from draft to sent, and what its report and its sends say."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Annotated

from pydantic import AfterValidator, Field, model_validator

from rapport import merge_patch
from rapport.consent.models import Channel, TopicName
from rapport.deals.money import CurrencyCode, Money
from rapport.notifications.models import TemplateContent
from rapport.types import Instant, LazyModel, LongText, Name, RecordId, RecordMeta, StrictModel, UserId

MAX_SEGMENTS = 10
MAX_TEST_RECIPIENTS = 10


def _distinct(ids: list[str]) -> list[str]:
    if len(set(ids)) != len(ids):
        raise ValueError("names a segment twice")
    return ids


SegmentIds = Annotated[list[RecordId], Field(max_length=MAX_SEGMENTS), AfterValidator(_distinct)]


class Audience(StrictModel):
    segments: SegmentIds = Field(min_length=1, description="The segments whose contacts receive it")
    exclude: SegmentIds | None = Field(
        default=None, description="Segments whose contacts do not receive it, even when in one of `segments`"
    )

    @model_validator(mode="after")
    def _apart(self) -> Audience:
        if set(self.segments) & set(self.exclude or []):
            raise ValueError("a segment is both in segments and in exclude")
        return self


class Cost(StrictModel):
    amount: Money = Field(description="What the campaign cost, for its return on investment")
    currency: CurrencyCode


class CampaignCreate(StrictModel):
    name: Name
    description: LongText | None = None
    channel: Channel
    topic: TopicName = Field(description="One of the marketing settings' topics: only contacts opted in to it get it")
    content: TemplateContent = Field(
        description="Email: subject, text, and html optional; SMS: text only. Placeholders: {{ recipient.name }}, "
        "{{ recipient.first_name }}. An email gets the tenant's postal address and its unsubscribe link at its foot."
    )
    audience: Audience
    send_at: Instant | None = Field(default=None, description="When to send it once scheduled; at once if absent")
    cost: Cost | None = None


class CampaignStatus(StrEnum):
    DRAFT = "draft"  # edited freely; nothing goes out
    SCHEDULED = "scheduled"  # a run waits for send_at
    SENDING = "sending"  # the run walks the audience
    PAUSED = "paused"  # the run stopped where it was; editable, and resumed without sending anyone twice
    SENT = "sent"  # the run walked the whole audience
    CANCELLED = "cancelled"  # for good


EDITABLE = frozenset({CampaignStatus.DRAFT, CampaignStatus.PAUSED})


class CampaignStored(CampaignCreate):
    """A campaign as stored: the marketer's fields and those its life cycle sets."""

    status: CampaignStatus = CampaignStatus.DRAFT
    run: int = Field(default=0, description="Its runs so far: each schedule or resume starts one")
    scheduled_at: Instant | None = None
    started_at: Instant | None = None
    paused_at: Instant | None = None
    finished_at: Instant | None = None
    cancelled_at: Instant | None = None


class Campaign(CampaignStored, RecordMeta):
    pass


CampaignPatch = merge_patch.model(CampaignCreate, Campaign)


class SampleSend(StrictModel):
    user_ids: Annotated[list[UserId], AfterValidator(_distinct)] = Field(
        min_length=1, max_length=MAX_TEST_RECIPIENTS, description="Staff users whose profile's address gets a copy"
    )


class SampleCopy(LazyModel):
    user_id: str
    to: str | None = None
    message_id: str | None = None
    refused: str | None = Field(default=None, description="Why no copy went to this user")


class SampleSent(LazyModel):
    copies: list[SampleCopy]


class SendStatus(StrEnum):
    SENDING = "sending"  # claimed: what was sent or not is unknown until it is sent (never sent again)
    SENT = "sent"
    SKIPPED = "skipped"  # consent, address or exclusion at send time: see reason
    FAILED = "failed"  # SES or SNS refused this recipient


class Send(LazyModel):
    contact_id: str
    status: SendStatus
    reason: str | None = None
    message_id: str | None = None
    at: datetime
    delivered_at: datetime | None = None
    bounced_at: datetime | None = None
    complained_at: datetime | None = None
    unsubscribed_at: datetime | None = None
    replied_at: datetime | None = Field(None, description="When the recipient first wrote back after it")
    opened_at: datetime | None = Field(None, description="Its first open by a person")
    machine_opened_at: datetime | None = Field(None, description="Its first open by a machine (scanner, proxy)")
    clicked_at: datetime | None = Field(None, description="Its first followed link by a person")
    machine_clicked_at: datetime | None = Field(None, description="Its first followed link by a machine")


class AttributionModel(StrEnum):
    FIRST_TOUCH = "first_touch"
    LAST_TOUCH = "last_touch"
    LINEAR = "linear"


class Revenue(LazyModel):
    amount: Money
    currency: str


class CampaignReport(LazyModel):
    campaign_id: str
    status: CampaignStatus
    channel: Channel
    recipients: int = Field(description="Contacts the runs reached: sent, skipped and failed")
    sent: int
    skipped: int = Field(description="Not sent at send time: no consent to the topic, no address, or excluded")
    failed: int
    delivered: int = Field(description="Emails SES delivered to the recipient's mail server (its Delivery events)")
    bounced: int = Field(description="Emails that bounced for good (permanent bounces)")
    complained: int = Field(description="Recipients who marked the email as spam (they are opted out of email)")
    unsubscribed: int = Field(description="Recipients who unsubscribed through this campaign's message")
    opened: int = Field(
        description="Emails a person opened (their open pixel loaded, or a link followed), once each; machine opens "
        "left out"
    )
    machine_opened: int = Field(
        description="Emails whose open pixel a machine loaded (a mail scanner, a privacy proxy: a known user agent, "
        "none, or within seconds of the send), once each"
    )
    clicked: int = Field(description="Emails in which a person followed a link, once each")
    machine_clicked: int = Field(description="Emails whose links a machine (a link scanner) followed, once each")
    replied: int = Field(
        description="Recipients who wrote to the company (an email, a case, an inbound activity) after this campaign's "
        "message, within the attribution window, when it was the latest campaign message they got; once each"
    )
    leads_created: int = Field(description="Leads made for this campaign (their campaign_id, as web forms set it)")
    opened_rate: float | None = Field(
        description="opened ÷ emails that reached someone (sent less bounced); none for texts (not tracked)"
    )
    clicked_rate: float | None = Field(description="clicked ÷ emails that reached someone; none for texts")
    cost: Cost | None = None
    attribution: AttributionModel = Field(
        description="How won deals and placed orders are credited to the campaigns their contacts got messages from "
        "within the attribution window before: all to the first or the last message, or shared equally"
    )
    deals_won: float = Field(description="Won deals credited to it (shares of deals under `linear`)")
    orders: float = Field(description="Placed orders credited to it (shares under `linear`)")
    revenue: list[Revenue] = Field(
        description="Their amounts credited to it, in the tenant currency when they were won or placed"
    )
    roi: float | None = Field(
        description="(revenue - cost) / cost; none without a cost, or with revenue in another currency than the cost's"
    )
    started_at: datetime | None = None
    finished_at: datetime | None = None
