"""The links in people's messages that answer without signing in: unsubscribe (and the preference page), the
confirmation of a subscription (double opt-in), and a campaign email's tracked links and open pixel.

A link's token is `<payload>.<signature>` (base64url): the payload names what it is for, the tenant, the contact,
the channel and the topic (none: the channel as a whole), for a confirmation when it expires, for a campaign
email's links the campaign, and for a tracked link where it leads (so it leads nowhere else); the signature is
an HMAC-SHA256 of the payload under the links' key from the stack's secret (rapport.sealing). So a token cannot be
made or changed without the secret, and carries all a public route needs: the tenant comes from it, never from the
request. Rotating the secret keeps the links already mailed working: a token signed with the secret before the
current one is still accepted.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import json
from datetime import UTC, datetime, timedelta
from enum import StrEnum
from typing import Any, NamedTuple

from rapport import sealing
from rapport.errors import BadRequest

LINK_KEY_INFO = b"rapport consent links"
CONFIRMATION_LIFETIME = timedelta(days=7)
LINK_PATTERN = r"^[A-Za-z0-9_-]{1,1024}\.[A-Za-z0-9_-]{43}$"  # the shape of a token: payload.signature


class Purpose(StrEnum):
    UNSUBSCRIBE = "u"  # the unsubscribe link and the preference page
    CONFIRM = "c"  # a subscription's confirmation
    CLICK = "k"  # a campaign email's link, through Rapport to where it leads
    OPEN = "o"  # a campaign email's open pixel


class Link(NamedTuple):
    purpose: Purpose
    tenant_id: str
    contact_id: str
    channel: str
    topic: str | None = None
    expires: datetime | None = None
    campaign_id: str | None = None  # the campaign whose message it is in; with `step`, the sequence
    target: str | None = None  # where a tracked link leads
    step: str | None = None  # the sequence's step whose message it is in


def _encode(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).decode().rstrip("=")


def _decode(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def _signature(secret: bytes, payload: str) -> str:
    return _encode(hmac.new(sealing.key(LINK_KEY_INFO, secret), payload.encode(), hashlib.sha256).digest())


def token(link: Link, secret: bytes | None = None) -> str:
    """The token of `link`, signed with `secret` (default: the stack's current one)."""
    fields: dict[str, Any] = {"p": str(link.purpose), "t": link.tenant_id, "c": link.contact_id, "ch": link.channel}
    if link.topic:
        fields["tp"] = link.topic
    if link.expires:
        fields["x"] = int(link.expires.timestamp())
    if link.campaign_id:
        fields["cm"] = link.campaign_id
    if link.target:
        fields["u"] = link.target
    if link.step:
        fields["st"] = link.step
    payload = _encode(json.dumps(fields, separators=(",", ":")).encode())
    return f"{payload}.{_signature(secret or sealing.secrets()[0], payload)}"


def confirmation(tenant_id: str, contact_id: str, channel: str, topic: str | None, now: datetime) -> str:
    """A confirmation link's token, valid for CONFIRMATION_LIFETIME from `now`."""
    return token(Link(Purpose.CONFIRM, tenant_id, contact_id, channel, topic, now + CONFIRMATION_LIFETIME))


def _refused(message: str) -> BadRequest:
    return BadRequest.of("token", message, location="path")


def read(text: str, purpose: Purpose | frozenset[Purpose], now: datetime | None = None) -> Link:
    """The link `text` is the token of, or a 400 naming the token: not signed by us (or changed), not for
    `purpose` (or one of them), or expired."""
    payload, _, signature = text.partition(".")
    if not any(hmac.compare_digest(_signature(secret, payload), signature) for secret in sealing.secrets()):
        raise _refused("This link is not valid: it may have been cut or changed. Use the link from the message.")
    try:
        fields = json.loads(_decode(payload))
    except (binascii.Error, ValueError) as error:
        raise _refused("This link is not valid.") from error
    accepted = {purpose} if isinstance(purpose, Purpose) else purpose
    if fields.get("p") not in {str(each) for each in accepted}:
        raise _refused("This link is for something else.")
    expires = datetime.fromtimestamp(fields["x"], UTC) if "x" in fields else None
    if expires is not None and expires <= (now or datetime.now(UTC)):
        raise _refused("This link has expired: ask for a new one.")
    names = str(fields["t"]), str(fields["c"]), str(fields["ch"]), fields.get("tp")
    return Link(Purpose(fields["p"]), *names, expires, fields.get("cm"), fields.get("u"), fields.get("st"))
