"""A campaign email's tracking (or a sequence step's): its links lead through Rapport and its HTML carries an open
pixel, so that each send records its first open, its first click and its unsubscribe, counted once on the campaign's
report (the sequence's, by step: a link naming a `step` names a sequence, rapport.campaigns.sequences.store).

- Links: each http(s) link of the HTML (`href`) and of the text becomes a signed link (rapport.consent.links,
  purpose CLICK) that names the campaign, the contact and where it leads, so it leads nowhere else; a link too
  long for a token (LINK_PATTERN: its payload at most 1,024 characters) stays as written, untracked. The
  unsubscribe link is added after, never through here: a scanner following links does not unsubscribe anyone,
  and an unsubscribe is not a click.
- Opens: the HTML ends with a 1x1 image whose address is a signed link (OPEN). A text-only email has none.
- Machines: mail security scanners fetch each link and image of a message as it arrives, and privacy proxies
  (Apple Mail Privacy Protection) each image: an open or click by a user agent known to be a machine, by none, or
  within MACHINE_WINDOW of the send is recorded as `machine_opened` / `machine_clicked`, which the report shows
  apart and leaves out of its rates. A person's click is an open too (their client may not load images).
- Unsubscribes: the campaign's unsubscribe link names the campaign; a POST to it stamps `unsubscribed` on the send.
"""

from __future__ import annotations

import re
from datetime import datetime, timedelta
from html import escape, unescape

from rapport.campaigns import store
from rapport.campaigns.sequences import store as sequence_store
from rapport.consent import addresses
from rapport.consent.links import LINK_PATTERN, Link
from rapport.normalize import instant, parse_instant
from rapport.notifications.models import Preview

MACHINE_WINDOW = timedelta(seconds=10)
MACHINE_AGENTS = re.compile(
    r"bot\b|crawl|spider|scan|preview|headless|barracuda|mimecast|proofpoint|symantec|messagelabs|trend ?micro"
    r"|fortinet|forcepoint|sophos|python|curl|wget|go-http-client|java/|okhttp|libwww",
    re.IGNORECASE,
)
_HREF = re.compile(r"""(href\s*=\s*)(["'])(https?://[^"'<>\s]+)\2""", re.IGNORECASE)
_TEXT_LINK = re.compile(r"https?://[^\s<>\"']+")
_TRAILING = ".,;:!?)]'"


def track(message: Preview, tenant_id: str, contact_id: str, campaign_id: str, step: str | None = None) -> None:
    """Lead the links of `message` (an email of the campaign, or of the sequence's `step`) through Rapport, and add
    the open pixel to its HTML."""
    base = addresses.base_url(tenant_id)

    def tracked(url: str) -> str:
        through = addresses.click_url(base, tenant_id, contact_id, campaign_id, url, step)
        return through if re.fullmatch(LINK_PATTERN, through.rpartition("/")[2]) else url

    def text_link(match: re.Match[str]) -> str:
        url = match.group(0)
        kept = url.rstrip(_TRAILING)
        return tracked(kept) + url[len(kept) :]

    message.text = _TEXT_LINK.sub(text_link, message.text)
    if message.html is not None:
        html = _HREF.sub(lambda m: f"{m[1]}{m[2]}{escape(tracked(unescape(m[3])))}{m[2]}", message.html)
        pixel = escape(addresses.open_url(base, tenant_id, contact_id, campaign_id, step))
        message.html = f'{html}\n<img src="{pixel}" width="1" height="1" alt="" style="border:0">'


def is_machine(user_agent: str | None, sent_at: datetime | None, now: datetime) -> bool:
    if not user_agent or MACHINE_AGENTS.search(user_agent):
        return True
    return sent_at is not None and now - sent_at < MACHINE_WINDOW


def opened(link: Link, user_agent: str | None, now: datetime) -> None:
    """The open pixel was fetched: the send's first open (a person's, or apart a machine's) counted."""
    _record(link, "opened", user_agent, now)


def clicked(link: Link, user_agent: str | None, now: datetime) -> None:
    """A tracked link was followed: the send's first click counted, and by a person an open too."""
    log = log_of(link.tenant_id, link.campaign_id, link.step)
    if _record(link, "clicked", user_agent, now) and log is not None:
        store.record_outcome(log, link.contact_id, "opened", instant(now))


def unsubscribed(link: Link, now: datetime) -> None:
    """The campaign's (or the sequence step's) unsubscribe link was posted: counted once on its report."""
    log = log_of(link.tenant_id, link.campaign_id, link.step)
    if log is not None:
        store.record_outcome(log, link.contact_id, "unsubscribed", instant(now))


def log_of(tenant_id: str, campaign_id: str | None, step: str | None) -> store.SendLog | None:
    """Where the message a link, or an SES event's tags, names has its sends: the campaign's, or with `step`, the
    sequence step's."""
    if campaign_id is None:
        return None
    if step is not None:
        return sequence_store.step_log(tenant_id, campaign_id, step)
    return store.campaign_log(tenant_id, campaign_id)


def _record(link: Link, action: str, user_agent: str | None, now: datetime) -> bool:
    """Record `action` on the link's send: True when it was a person's (whether or not counted before)."""
    log = log_of(link.tenant_id, link.campaign_id, link.step)
    if log is None:
        return False
    send = store.send_of(log, link.contact_id)
    if send is None:
        return False
    sent_at = parse_instant(send["at"]) if send.get("at") else None
    human = not is_machine(user_agent, sent_at, now)
    outcome = action if human else f"machine_{action}"
    store.record_outcome(log, link.contact_id, outcome, instant(now))
    return human
