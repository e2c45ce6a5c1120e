"""A campaign run's batch: the next pages of its audience, each contact sent the message once, at a pace SES allows.

A batch walks the audience's segments in order, a page of members (at most 100) at a time, from where the last
batch stopped, for as long as its time allows; it returns where it stopped, or that the audience is walked (then
the campaign is sent). Before each page it reads the campaign: paused, cancelled or re-run, the batch stops there.
For a page, in three requests: the contacts that have a send already (a claim or a finished one: one
BatchGetItem), those in an exclusion segment (one per exclusion segment), the contacts themselves. Then each
contact, in member order:

- refused at this moment (no consent to the topic on the channel, opted out, no or a bounced address:
  rapport.notifications.notifier's rules, read now): its send is `skipped` with why, only if it has none;
- else its send is claimed, the message rendered (the recipient's name; an email with its links tracked and an open
  pixel (rapport.campaigns.tracking), the tenant's postal address, its unsubscribe link and RFC 8058's
  List-Unsubscribe headers) and sent, after waiting its turn (`Pacer`);
- sent: in one transaction the send `sent` with its message id, its count, and the message in the contact's and
  its account's timelines; refused for its address (`Rejected`): `failed` with why;
- throttled (`Throttled`): waited for with a jittered back-off that doubles, and the pace slowed; when the batch's
  time runs out first, the claim is released and the batch ends at that page, which the next batch walks again
  (what was sent there is skipped by its send): nothing is dropped, nobody gets two. A batch also ends at a page
  when its time runs out between two messages (at a slow pace a page outlasts a batch).

Any other failure releases the claim and raises: the state machine retries the batch.
"""

from __future__ import annotations

import random
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from rapport.campaigns import store, tracking
from rapport.campaigns.manifest import CAMPAIGN
from rapport.campaigns.service import campaigns, content_of
from rapport.contacts.manifest import CONTACT
from rapport.contacts.service import display_name
from rapport.dal import repository
from rapport.dal.repository import Record, StaleVersion, UnitOfWork
from rapport.errors import PreconditionFailed
from rapport.notifications.catalog import SMS_MAX_LENGTH
from rapport.notifications.catalog import Channel as MessageChannel
from rapport.notifications.models import TemplateContent
from rapport.notifications.notifier import (
    CAMPAIGN_TAG,
    CONTACT_TAG,
    STEP_TAG,
    TENANT_TAG,
    Rejected,
    SentMessage,
    Throttled,
    Transport,
    customer_audience,
    marketing_footer,
    marketing_refusal,
    sent_message_items,
)
from rapport.notifications.templates import render_content
from rapport.segments import store as segment_store
from rapport.types import utc_now

ACTOR = "campaign_sender"
PAGE = 100  # a BatchGetItem's most keys
SEND_SHARE = 0.8  # of the account's sending rate: the rest stays for the notifier's transactional messages
FIRST_BACK_OFF = 0.5  # seconds; doubled after each throttled attempt, with full jitter
MAX_BACK_OFF = 20.0
RESERVE = 30.0  # seconds a batch keeps for a page's writes and a back-off before its time runs out


class Pacer:
    """At most `rate` sends per second: `wait` sleeps until the next send's turn; `slow_down` halves the rate when
    the transport throttled anyway (another sender shares the quota)."""

    def __init__(
        self,
        rate: float,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], None] = time.sleep,
        jitter: Callable[[float, float], float] = random.uniform,
    ) -> None:
        self.interval = 1.0 / max(rate, 0.1)
        self._clock, self._sleep, self._jitter = clock, sleep, jitter
        self._next = clock()

    def wait(self) -> None:
        now = self._clock()
        if now < self._next:
            self._sleep(self._next - now)
            now = self._next
        self._next = now + self.interval

    def slow_down(self) -> None:
        self.interval = min(self.interval * 2, MAX_BACK_OFF)

    def back_off(self, attempt: int) -> None:
        """Sleep a full-jitter back-off after the `attempt`-th throttled try in a row (from 0)."""
        self._sleep(self._jitter(0, min(FIRST_BACK_OFF * 2**attempt, MAX_BACK_OFF)))


@dataclass
class Position:
    """Where a run is in its audience: the segment (by its index in `audience.segments`) and the page in it."""

    segment: int = 0
    after: dict[str, str] | None = None

    @classmethod
    def of(cls, given: Mapping[str, Any] | None) -> Position:
        given = given or {}
        return cls(int(given.get("segment", 0)), given.get("after"))


@dataclass
class Batch:
    done: bool  # nothing more for this run: the audience walked, or the campaign stopped
    position: Position | None = None
    counts: dict[str, int] = field(default_factory=dict)
    stopped: str | None = None  # why the run ends without the audience walked

    def as_dict(self) -> dict[str, Any]:
        position = None if self.position is None else {"segment": self.position.segment, "after": self.position.after}
        return {"done": self.done, "position": position, "counts": self.counts, "stopped": self.stopped}


@dataclass
class Sender:
    """What a batch sends with: the transport, the pace of a channel (`pace`, asked once a batch), the time the
    batch has left (seconds), the app's URL."""

    transport: Transport
    pace: Callable[[str], Pacer]
    time_left: Callable[[], float]
    app_url: str
    _pacers: dict[str, Pacer] = field(default_factory=dict)

    def pacer(self, channel: str) -> Pacer:
        if channel not in self._pacers:
            self._pacers[channel] = self.pace(channel)
        return self._pacers[channel]


def send_batch(tenant_id: str, campaign_id: str, run: int, position: Position, sender: Sender) -> Batch:
    """The run's next batch from `position` (rapport.campaigns.sending says how)."""
    counts: dict[str, int] = {}
    while True:
        campaign = campaigns.begin(tenant_id, ACTOR, campaign_id, run)
        if campaign is None:
            return Batch(True, None, counts, stopped=_why_stopped(tenant_id, campaign_id, run))
        segments = campaign.data["audience"]["segments"]
        if position.segment >= len(segments):
            try:
                campaigns.finish(tenant_id, ACTOR, campaign)
            except PreconditionFailed:
                return Batch(True, None, counts, stopped="the campaign was paused or cancelled as its run ended")
            return Batch(True, None, counts)
        if sender.time_left() < RESERVE:
            return Batch(False, position, counts)
        pattern = segment_store.members(tenant_id, segments[position.segment])
        page = repository.read_partition(pattern, limit=PAGE, position=position.after)
        members = [summary.ref_id for summary in page.summaries if summary.kind == segment_store.MEMBER_KIND]
        if not _send_page(campaign, members, sender, counts):
            return Batch(False, position, counts)
        if page.next_position is None:
            position = Position(position.segment + 1, None)
        else:
            position = Position(position.segment, page.next_position)


def _why_stopped(tenant_id: str, campaign_id: str, run: int) -> str:
    record = repository.get(tenant_id, CAMPAIGN, campaign_id)
    if record is None or record.deleted:
        return "the campaign is gone"
    if record.data.get("run") != run:
        return f"run {run} was followed by run {record.data.get('run')}"
    return f"the campaign is {record.data['status']}"


def _send_page(campaign: Record, members: list[str], sender: Sender, counts: dict[str, int]) -> bool:
    """Send to the page's members; False when the batch's time ran out first (the next batch walks the page again,
    skipping those it has a send for)."""
    tenant_id, data = campaign.tenant_id, campaign.data
    piece = Piece.of_campaign(campaign)
    done = store.claimed(piece.log, members)
    todo = [contact_id for contact_id in members if contact_id not in done]
    excluded: set[str] = set()
    for segment_id in data["audience"].get("exclude") or []:
        excluded |= segment_store.member_of(tenant_id, segment_id, todo) if todo else set()
    contacts = repository.get_many(tenant_id, CONTACT, [c for c in todo if c not in excluded]) if todo else {}
    for contact_id in todo:
        if sender.time_left() < RESERVE:
            return False  # at a slow pace a page outlasts a batch: the next batch walks it again
        contact = contacts.get(contact_id)
        if contact_id in excluded or contact is None or contact.deleted:
            continue  # not in the audience now: neither sent nor counted
        status = send_one(piece, contact, sender)
        if status is None:
            return False
        counts[status] = counts.get(status, 0) + 1
    return True


@dataclass(frozen=True)
class Piece:
    """One message that goes to many, to each once: a campaign's, or (with its `step`) a sequence step's."""

    log: store.SendLog
    origin_id: str  # the campaign's id, or the sequence's
    step: str | None
    channel: MessageChannel
    topic: str
    content: TemplateContent

    @classmethod
    def of_campaign(cls, campaign: Record) -> Piece:
        data = campaign.data
        log = store.campaign_log(campaign.tenant_id, campaign.id)
        return cls(log, campaign.id, None, MessageChannel(data["channel"]), data["topic"], content_of(data))

    @property
    def tenant_id(self) -> str:
        return self.log.tenant_id


def send_one(piece: Piece, contact: Record, sender: Sender) -> str | None:
    """The send of `piece` to `contact`, once: its status (`already` when it had one), or None when the sender's
    time ran out while throttled (its claim released: a later try sends it)."""
    now = utc_now()
    reason = marketing_refusal(piece.tenant_id, contact, piece.channel, piece.topic)
    if reason is not None:
        return _finish(piece, contact, {"status": "skipped", "reason": reason, "at": now}, None)
    message = _message(piece, contact, sender.app_url)
    if not store.claim(piece.log, contact.id, now):
        return "already"
    try:
        message_id = _deliver(piece, contact, message, sender)
    except Rejected as error:
        return _finish(piece, contact, {"status": "failed", "reason": str(error), "at": utc_now()}, message)
    except BaseException:
        store.release(piece.log, contact.id)
        raise
    if message_id is None:
        store.release(piece.log, contact.id)
        return None
    return _finish(piece, contact, {"status": "sent", "message_id": message_id, "at": utc_now()}, message)


@dataclass
class _Message:
    subject: str | None
    text: str
    html: str | None
    headers: dict[str, str]


def _message(piece: Piece, contact: Record, app_url: str) -> _Message:
    """The piece's content for `contact`; an email with its marketing foot and List-Unsubscribe headers."""
    tenant_id = piece.tenant_id
    name = display_name(contact.data)
    context = {"recipient": {"name": name, "first_name": contact.data.get("first_name") or name}}
    message = render_content(piece.content, context, customer_audience(tenant_id, app_url))
    if piece.channel is MessageChannel.EMAIL:
        tracking.track(message, tenant_id, contact.id, piece.origin_id, piece.step)
        headers = marketing_footer(message, tenant_id, contact.id, piece.topic, piece.origin_id, piece.step)
        return _Message(message.subject, message.text, message.html, headers)
    return _Message(None, message.text[:SMS_MAX_LENGTH], None, {})


def _deliver(piece: Piece, contact: Record, message: _Message, sender: Sender) -> str | None:
    """Send, waiting the pace and backing off while throttled: the message id, or None when the sender's time ran
    out first."""
    tags = {TENANT_TAG: piece.tenant_id, CONTACT_TAG: contact.id, CAMPAIGN_TAG: piece.origin_id}
    if piece.step is not None:
        tags[STEP_TAG] = piece.step
    pacer = sender.pacer(piece.channel)
    attempt = 0
    while True:
        pacer.wait()
        try:
            if piece.channel is MessageChannel.EMAIL:
                return sender.transport.send_email(
                    contact.data["email"], message.subject or "", message.text, message.html, tags, message.headers
                )
            return sender.transport.send_sms(contact.data["phone"], message.text)
        except Throttled:
            pacer.slow_down()
            if sender.time_left() < RESERVE:
                return None
            pacer.back_off(attempt)
            attempt += 1


def _finish(piece: Piece, contact: Record, send: dict[str, Any], message: _Message | None) -> str:
    """One transaction: the send as it ended (over its claim when a `message` was tried), its count, and a sent
    message in the contact's timelines."""
    work = UnitOfWork()
    store.stage_finish(work, piece.log, contact.id, send, claimed=message is not None)
    if send["status"] == "sent" and message is not None:
        origin = (
            {"sequence_id": piece.origin_id, "step": piece.step} if piece.step else {"campaign_id": piece.origin_id}
        )
        template = "sequence" if piece.step else "campaign"
        sent = SentMessage(piece.channel, message.subject, message.text, template, **origin)
        for item in sent_message_items(piece.tenant_id, contact, sent, sent_at=str(send["at"]), sender=ACTOR):
            work.put_item(item)
    try:
        work.commit()
    except StaleVersion:
        return "already"  # skipped by a concurrent batch, or claimed meanwhile
    return str(send["status"])
