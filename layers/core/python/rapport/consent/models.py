"""What consent is: a status per channel and topic, why it may be relied on (the legal basis), where it came from
and what proves it; a change as recorded in the ledger."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Annotated

from pydantic import Field, StringConstraints

from rapport.types import PastInstant, SingleLine, StrictModel

TOPIC_PATTERN = r"^[a-z][a-z0-9_]{0,39}$"
TopicName = Annotated[str, StringConstraints(pattern=TOPIC_PATTERN)]
ProofText = Annotated[str, StringConstraints(min_length=1, max_length=500), SingleLine]
SourceText = Annotated[str, StringConstraints(min_length=1, max_length=100), SingleLine]


class Channel(StrEnum):
    EMAIL = "email"
    SMS = "sms"


class ConsentStatus(StrEnum):
    OPTED_IN = "opted_in"
    PENDING = "pending"  # asked for, not yet confirmed (double opt-in): not mailed for marketing
    OPTED_OUT = "opted_out"


class LegalBasis(StrEnum):
    CONSENT = "consent"
    LEGITIMATE_INTEREST = "legitimate_interest"
    CONTRACT = "contract"


class ConsentSource(StrEnum):
    """Where a change recorded through the consent API came from."""

    API = "api"
    WEB_FORM = "web_form"
    IMPORT = "import"
    PORTAL = "portal"
    UNSUBSCRIBE_LINK = "unsubscribe_link"
    SMS_STOP = "sms_stop"


IpAddress = Annotated[str, StringConstraints(min_length=2, max_length=45, pattern=r"^[0-9A-Fa-f:.]+$")]
PROOF_FIELDS = ("form_id", "ip", "user_agent", "message_id")


class Proof(StrictModel):
    """What shows the person made the change: the form, the request's IP and user agent, the message answered."""

    form_id: ProofText | None = Field(default=None, description="The web form the person filled in")
    ip: IpAddress | None = Field(default=None, description="The IP address the person's request came from")
    user_agent: ProofText | None = Field(default=None, description="The person's browser, as it said")
    message_id: ProofText | None = Field(default=None, description="The message the person answered")


class ConsentState(Proof):
    """A contact's consent on a channel, or to a topic on it, as it stands, with the proof of its last change."""

    status: ConsentStatus
    at: PastInstant = Field(description="When the contact gave or withdrew consent; not in the future")
    source: SourceText = Field(description="Where consent was captured, e.g. web_form, api, import, unsubscribe_link")
    basis: LegalBasis | None = Field(default=None, description="Why it may be relied on")


class ConsentChange(Proof):
    """A change of a contact's consent on a channel (without `topic`: the channel as a whole, which transactional
    messages need) or to one of the tenant's topics on it (which marketing messages need)."""

    channel: Channel
    topic: TopicName | None = Field(default=None, description="One of the tenant's marketing settings' topics")
    status: ConsentStatus
    basis: LegalBasis = LegalBasis.CONSENT
    source: ConsentSource = ConsentSource.API
    at: PastInstant | None = Field(default=None, description="When the person said so; now when absent")


class ConsentEntry(Proof):
    """One change of a contact's consent, as the ledger keeps it (never changed afterwards)."""

    id: str
    channel: Channel
    topic: TopicName | None = None
    status: ConsentStatus
    basis: LegalBasis | None = None
    source: str
    at: datetime = Field(description="When the person gave or withdrew consent")
    recorded_at: datetime
    recorded_by: str
