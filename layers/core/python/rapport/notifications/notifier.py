"""Sending a requested notification: who, on which channels, whether they may be reached, render, send, record.

For each channel the message goes out on:

1. A sent-marker under the request's dedupe key (idempotency table, tenant-prefixed, TTL) means it went already:
   nothing is sent again.
2. The recipient's address and, for a customer (contact), consent as it stands now (read at send time, so an
   opt-out between two messages stops the second): `consent.<channel>.status` must be `opted_in` for a
   transactional message; a marketing message (its request names a `topic`) needs `consent.topics.<channel>.
   <topic>.status` `opted_in` on a channel not `opted_out`; a subscription's confirmation (double opt-in) goes to
   an address whose subscription is pending, on a channel not `opted_out`. A marketing email needs the tenant's
   postal address (marketing settings). An email address that bounced
   (`email_status.status` invalid) is not used. Otherwise nothing is sent and the outcome says why (logged by
   the handler).
3. Every value the template's name requires (catalog `required`) has a value in the context, or nothing is sent:
   a marker with status `not_sent` and the reason records it (a redelivery finds it), and the outcome says why.
   Retrying could not fill the values in, so this does not raise.
4. The tenant's template (or the default) renders with the request's context and `recipient`, for its reader:
   times in the recipient's time zone and locale (a staff user's profile; for a customer, the tenant's
   notification settings), links under the stage's app URL.
5. SES `SendEmail` (tagged with the tenant and contact, so bounces and complaints find their way back) or
   SNS `Publish` to the phone number. A marketing email ends with the tenant's postal address and its
   unsubscribe link, and carries RFC 8058's `List-Unsubscribe` (that link, under the tenant's `app_url` or the
   API's URL) and `List-Unsubscribe-Post: List-Unsubscribe=One-Click`: as raw MIME (`SendRawEmail`). A failure
   raises: the invocation fails, Lambda retries it, and then it lands in the dead-letter queue with the event
   whole.
6. Only after the send succeeded: ONE transaction puts the marker (only if absent) and, for a customer, a
   notification entry in the contact's timeline and its account's (rapport.timeline: type email or
   sms, outbound, subject, template).

Delivery is therefore at-least-once: a crash (or a failed transaction) between 5 and 6 leaves no marker, and the
retry sends again. A concurrent duplicate delivery that loses the race at 5 has sent too; it is logged as such.
The marker sits in the idempotency table rather than the single table so markers stay off the table's stream
(they are not domain changes) and expire by that table's TTL; DynamoDB transactions span tables.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from email.message import EmailMessage
from html import escape
from typing import Any, NamedTuple, Protocol

from ulid import ULID

from rapport import timeline
from rapport.consent import addresses
from rapport.consent.manifest import pending_email
from rapport.consent.settings import MARKETING_SETTINGS
from rapport.contacts.manifest import CONTACT
from rapport.contacts.service import display_name
from rapport.dal import repository
from rapport.dal.repository import Record, StaleVersion, TableItem, UnitOfWork
from rapport.locales import DEFAULT_LOCALE, DEFAULT_TIME_ZONE, Locale
from rapport.normalize import parse_instant
from rapport.notifications import store
from rapport.notifications.catalog import SMS_MAX_LENGTH, Channel, templates
from rapport.notifications.models import Preview
from rapport.notifications.rendering import Audience, value_of
from rapport.notifications.requests import NotificationRequest, RecipientType
from rapport.notifications.settings import NOTIFICATION_SETTINGS
from rapport.notifications.templates import render_content, stored
from rapport.timeline.models import EXCERPT_LENGTH, NotificationEntry
from rapport.types import utc_now
from rapport.users.manifest import USER

logger = logging.getLogger(__name__)
MARKER_TTL = timedelta(days=30)  # longer than the retries (hours) and the dead-letter queue's 14 days of redrive
SENDER = "notifier"  # who an interaction was created by
TENANT_TAG = "rapport_tenant"
CONTACT_TAG = "rapport_contact"
TEMPLATE_TAG = "rapport_template"
CAMPAIGN_TAG = "rapport_campaign"  # with STEP_TAG, the sequence
STEP_TAG = "rapport_step"
UNSUBSCRIBE_HEADER = "List-Unsubscribe"
UNSUBSCRIBE_POST_HEADER = "List-Unsubscribe-Post"
ONE_CLICK = "List-Unsubscribe=One-Click"  # RFC 8058: the link takes a POST of this body, and acts at once


class Transport(Protocol):
    def send_email(
        self, to: str, subject: str, text: str, html: str | None, tags: Mapping[str, str], headers: Mapping[str, str]
    ) -> str: ...  # the message id

    def send_sms(self, to: str, text: str) -> str: ...


class Throttled(Exception):
    """The transport refused the message for the sending rate: nothing went out, and later it may."""


class Rejected(Exception):
    """The transport refused the message for its recipient (an address SES will not send to): never will."""


NOT_SENT = "not_sent"


class Outcome(NamedTuple):
    channel: str | None
    status: str  # sent, skipped, not_sent (recorded: the request lacks required values), duplicate
    reason: str | None = None
    message_id: str | None = None


class _Recipient(NamedTuple):
    type: RecipientType
    id: str
    record: Record

    @property
    def data(self) -> dict[str, Any]:
        return self.record.data


def notify(request: NotificationRequest, transport: Transport, *, app_url: str) -> list[Outcome]:
    """Send `request` on each channel it goes out on, links under `app_url`; returns what happened on each."""
    if request.template not in templates():
        return [Outcome(request.channel, "skipped", f"no template is named {request.template}")]
    kind = CONTACT if request.recipient.type is RecipientType.CONTACT else USER
    record = repository.get(request.tenant_id, kind, request.recipient.id)
    if record is None or record.deleted:
        return [Outcome(request.channel, "skipped", f"no {kind.label} {request.recipient.id} (missing or deleted)")]
    recipient = _Recipient(request.recipient.type, request.recipient.id, record)
    channels, refusals = _channels(request, recipient)
    outcomes = [Outcome(str(channel), "skipped", reason) for channel, reason in refusals]
    audience = _audience(request.tenant_id, recipient, app_url)
    outcomes += [_send(request, recipient, channel, transport, audience) for channel in channels]
    return outcomes


def _audience(tenant_id: str, recipient: _Recipient, app_url: str) -> Audience:
    """A staff user reads times as their profile says, a customer as the tenant's notification settings do."""
    if recipient.type is RecipientType.USER:
        time_zone = recipient.data.get("time_zone") or DEFAULT_TIME_ZONE
        locale = recipient.data.get("locale") or DEFAULT_LOCALE
        return Audience(time_zone=time_zone, locale=Locale(locale), app_url=app_url)
    return customer_audience(tenant_id, app_url)


def customer_audience(tenant_id: str, app_url: str) -> Audience:
    """How the tenant's customers read times (its notification settings), with links under `app_url`."""
    chosen = NOTIFICATION_SETTINGS.read(tenant_id).content
    return Audience(time_zone=chosen.time_zone, locale=chosen.locale, app_url=app_url)


def _channels(request: NotificationRequest, recipient: _Recipient) -> tuple[list[Channel], list[tuple[Channel, str]]]:
    """The channels to send on, and those refused with why."""
    if request.channel is not None:
        try:
            wanted = [Channel(request.channel)]
        except ValueError:
            return [], [(Channel.EMAIL, f"no channel is named {request.channel}")]
    elif recipient.type is RecipientType.USER:
        wanted = [Channel(name) for name in recipient.data.get("notify_by") or ["email"] if name in set(Channel)]
    else:
        wanted = list(Channel)  # a customer: the first channel they may be reached on
    allowed, refused = [], []
    for channel in wanted:
        reason = _refusal(recipient, channel, request)
        if reason is None:
            allowed.append(channel)
        else:
            refused.append((channel, reason))
    if request.channel is None and recipient.type is RecipientType.CONTACT:
        return allowed[:1], [] if allowed else refused
    return allowed, refused


def contact_refusal(request: NotificationRequest, contact: Record, channel: Channel) -> str | None:
    """Why the customer `contact` may not be sent `request` on `channel` as it stands now, or None: what `notify`
    checks again when it sends (for a workflow that says in its own records whether it could reach the customer)."""
    return _refusal(_Recipient(RecipientType.CONTACT, contact.id, contact), channel, request)


def marketing_refusal(tenant_id: str, contact: Record, channel: Channel, topic: str) -> str | None:
    """Why the customer `contact` may not be sent a marketing message of `topic` on `channel` now, or None."""
    recipient = _Recipient(RecipientType.CONTACT, contact.id, contact)
    return _refusal_of(recipient, channel, tenant_id, topic, confirms=False)


def _consent_refusal(consent: dict[str, Any], channel: Channel, topic: str | None, confirms: bool) -> str | None:
    """Why a customer's consent (as read at send time) forbids the message, or None. A transactional message
    (no topic) needs the channel `opted_in`; a marketing message needs the topic `opted_in` on a channel not
    `opted_out` (a pending subscription, unconfirmed, gets no marketing); a confirmation of a subscription needs
    one pending on a channel not `opted_out` (confirmed or withdrawn since it was asked for: nothing to confirm)."""
    status = (consent.get(str(channel)) or {}).get("status")
    if confirms:
        if status == "opted_out":
            return f"the contact has opted out of {channel}"
        if channel is not Channel.EMAIL or not pending_email(consent):
            return f"no {channel} subscription of the contact waits for confirmation"
        return None
    if topic is None:
        if status != "opted_in":
            return f"the contact has not opted in to {channel} ({status or 'no consent recorded'})"
        return None
    if status == "opted_out":
        return f"the contact has opted out of {channel}"
    topic_status = (((consent.get("topics") or {}).get(str(channel)) or {}).get(topic) or {}).get("status")
    if topic_status != "opted_in":
        return f"the contact has not opted in to {topic} by {channel} ({topic_status or 'no consent recorded'})"
    return None


def _refusal(recipient: _Recipient, channel: Channel, request: NotificationRequest) -> str | None:
    """Why `recipient` may not be sent `request` on `channel`, or None."""
    confirms = templates()[request.template].confirms_subscription
    return _refusal_of(recipient, channel, request.tenant_id, request.topic, confirms=confirms)


def _refusal_of(
    recipient: _Recipient, channel: Channel, tenant_id: str, topic: str | None, *, confirms: bool
) -> str | None:
    """Why `recipient` may not be sent a message of `topic` (none: transactional) on `channel`, or None."""
    data = recipient.data
    address = data.get("email" if channel is Channel.EMAIL else "phone")
    label = "contact" if recipient.type is RecipientType.CONTACT else "user"
    if not address:
        return f"the {label} has no {'email address' if channel is Channel.EMAIL else 'phone number'}"
    if recipient.type is RecipientType.CONTACT:
        reason = _consent_refusal(data.get("consent") or {}, channel, topic, confirms)
        if reason is not None:
            return reason
    if channel is Channel.EMAIL and (data.get("email_status") or {}).get("status") == "invalid":
        return f"the {label}'s email address is marked invalid (it bounced)"
    marketing_email = channel is Channel.EMAIL and topic is not None
    if marketing_email and not MARKETING_SETTINGS.read(tenant_id).content.postal_address:
        return "the marketing settings have no postal_address, which every marketing email shows"
    return None


def _context(request: NotificationRequest, recipient: _Recipient) -> dict[str, Any]:
    data = recipient.data
    if recipient.type is RecipientType.CONTACT:
        name, first_name = display_name(data), data.get("first_name")
    else:
        name = data.get("name") or data.get("email") or recipient.id
        first_name = data.get("first_name") or str(name).split(" ")[0]
    given = request.context.get("recipient")
    ours = {"name": name, "first_name": first_name or name}
    return {**request.context, "recipient": {**(given if isinstance(given, dict) else {}), **ours}}


def mime_message(sender: str, to: str, subject: str, text: str, html: str | None, headers: Mapping[str, str]) -> bytes:
    """The email as MIME (text, and HTML as its alternative), with `headers`."""
    mime = EmailMessage()
    mime["From"], mime["To"], mime["Subject"] = sender, to, subject
    for name, value in headers.items():
        mime[name] = value
    mime.set_content(text)
    if html is not None:
        mime.add_alternative(html, subtype="html")
    return mime.as_bytes()


@dataclass(frozen=True)
class SentMessage:
    channel: Channel
    subject: str | None
    text: str
    template: str  # a notification template's name, `campaign` or `sequence`
    campaign_id: str | None = None
    sequence_id: str | None = None
    step: str | None = None  # the sequence's step


def sent_message_items(
    tenant_id: str, contact: Record, message: SentMessage, *, sent_at: str, sender: str
) -> list[TableItem]:
    """A message sent to `contact` at `sent_at` by `sender`, in its (and its account's) timelines: the items to put
    in the transaction that records the send."""
    at = parse_instant(sent_at)
    entry = NotificationEntry(
        id=str(ULID.from_datetime(at)),
        occurred_at=at,
        created_by=sender,
        contact_id=contact.id,
        type="email" if message.channel is Channel.EMAIL else "sms",
        subject=message.subject,
        excerpt=message.text[:EXCERPT_LENGTH],
        template=message.template,
        campaign_id=message.campaign_id,
        sequence_id=message.sequence_id,
        step=message.step,
    )
    return timeline.entry_items(tenant_id, entry, timeline.timelines_of(CONTACT, contact))


def marketing_footer(
    message: Preview,
    tenant_id: str,
    contact_id: str,
    topic: str,
    campaign_id: str | None = None,
    step: str | None = None,
) -> dict[str, str]:
    """A marketing email's unsubscribe: RFC 8058's headers (mail clients offer a one-click unsubscribe that POSTs
    the link) and the link with the tenant's postal address at the foot of its body. Returns the headers."""
    url = addresses.unsubscribe_url(tenant_id, contact_id, str(Channel.EMAIL), topic, campaign_id, step)
    postal = MARKETING_SETTINGS.read(tenant_id).content.postal_address or ""  # there is one: see _refusal
    message.text = f"{message.text.rstrip()}\n\n--\n{postal}\nUnsubscribe: {url}\n"
    if message.html is not None:
        foot = f'<p>{escape(postal)}</p>\n<p><a href="{escape(url)}">Unsubscribe</a></p>'
        message.html = f'{message.html}\n<hr>\n<footer style="white-space: pre-line">{foot}</footer>'
    return {UNSUBSCRIBE_HEADER: f"<{url}>", UNSUBSCRIBE_POST_HEADER: ONE_CLICK}


def _send(
    request: NotificationRequest, recipient: _Recipient, channel: Channel, transport: Transport, audience: Audience
) -> Outcome:
    tenant_id = request.tenant_id
    earlier = store.marker(tenant_id, str(channel), request.dedupe_key)
    if earlier is not None:
        reason = "already sent under this dedupe key"
        if earlier.status == NOT_SENT:
            reason = f"already refused under this dedupe key: {earlier.reason}"
        return Outcome(str(channel), "duplicate", reason)
    context = _context(request, recipient)
    lacking = sorted(path for path in templates()[request.template].required if value_of(context, path) is None)
    if lacking:
        reason = f"the request has no value for {', '.join(lacking)}, which {request.template} requires"
        expires = datetime.now(UTC) + MARKER_TTL
        store.record_not_sent(
            tenant_id, str(channel), request.dedupe_key, reason, at=utc_now(), expires=expires, status=NOT_SENT
        )
        return Outcome(str(channel), NOT_SENT, reason)
    content = stored(tenant_id, request.template, channel)
    message = render_content(content, context, audience)
    data = recipient.data
    if channel is Channel.EMAIL:
        tags = {TENANT_TAG: tenant_id, TEMPLATE_TAG: request.template}
        if recipient.type is RecipientType.CONTACT:
            tags[CONTACT_TAG] = recipient.id
        headers: dict[str, str] = {}
        if request.topic is not None and recipient.type is RecipientType.CONTACT:
            headers = marketing_footer(message, tenant_id, recipient.id, request.topic)
        message_id = transport.send_email(
            data["email"], message.subject or "", message.text, message.html, tags, headers
        )
    else:
        message.text = message.text[:SMS_MAX_LENGTH]
        message_id = transport.send_sms(data["phone"], message.text)
    now = utc_now()
    work = UnitOfWork()
    expires = datetime.now(UTC) + MARKER_TTL
    store.stage_sent(work, tenant_id, str(channel), request.dedupe_key, message_id, at=now, expires=expires)
    if channel is Channel.EMAIL and request.thread_id:
        store.stage_sent_mail(work, tenant_id, message_id, request.thread_id)
    if recipient.type is RecipientType.CONTACT:
        sent = SentMessage(channel, message.subject, message.text, request.template)
        for item in sent_message_items(tenant_id, recipient.record, sent, sent_at=now, sender=SENDER):
            work.put_item(item)
    try:
        work.commit()
    except StaleVersion:
        logger.warning("a concurrent delivery sent this notification too", extra={"dedupe_key": request.dedupe_key})
        return Outcome(str(channel), "duplicate", "sent, and a concurrent delivery had sent it too", message_id)
    return Outcome(str(channel), "sent", None, message_id)
