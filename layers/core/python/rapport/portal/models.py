"""What a customer reads and sends in the portal: their own models, never the staff ones (no owner, score, tags,
internal notes or who on the staff did what)."""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from pydantic import Field

from rapport.appointments.models import AppointmentStatus
from rapport.cases.models import Author, CaseStatus, CaseType
from rapport.consent.models import Channel, TopicName
from rapport.contacts.models import PersonName
from rapport.types import Address, LazyModel, LongText, Name, Phone, StrictModel


class PortalProfile(LazyModel):
    """The customer as the portal shows them: their name, addresses and phone."""

    id: str
    first_name: str | None = None
    last_name: str | None = None
    email: str | None = Field(default=None, description="Their sign-in address: staff change it")
    phone: str | None = None
    address: Address | None = None
    version: int


class PortalProfilePatch(StrictModel):
    """What a customer may change of themselves (a JSON merge patch: null removes)."""

    first_name: PersonName | None = None
    last_name: PersonName | None = None
    phone: Phone | None = None
    address: Address | None = None


class PortalConsentChange(StrictModel):
    """The customer's own say on a channel, or on one of the tenant's topics on it."""

    channel: Channel
    topic: TopicName | None = Field(default=None, description="One of the tenant's marketing topics")
    status: Literal["opted_in", "opted_out"] = Field(description="Signed in, an opt-in needs no confirmation")


class PortalCase(LazyModel):
    id: str
    number: str = Field(description="CS-<n>: quote it when you call or write")
    subject: str
    description: str | None = None
    type: CaseType
    status: CaseStatus
    contact_id: str = Field(description="Whose case it is: yours, or (account managers) a colleague's")
    created_at: datetime
    updated_at: datetime
    resolved_at: datetime | None = None
    closed_at: datetime | None = None
    resolution: str | None = None


class PortalCaseCreate(StrictModel):
    subject: Name
    description: LongText | None = None
    type: CaseType = CaseType.QUESTION


class PortalAttachment(LazyModel):
    """A file that came with the customer's email."""

    filename: str
    content_type: str
    size: int = Field(description="Bytes")
    url: str | None = Field(
        default=None,
        description="Downloads the file under its name: valid 15 minutes, made at each read; none: too large, not kept",
    )


class PortalMessage(LazyModel):
    """A public message of a case: the customer's, or a staff reply."""

    id: str
    case_id: str
    body: str
    author: Author
    created_at: datetime
    attachments: list[PortalAttachment] = Field(default_factory=list, description="What came with an email")


class PortalMessageCreate(StrictModel):
    body: LongText


class PortalAppointment(LazyModel):
    id: str
    title: str
    starts_at: datetime
    ends_at: datetime
    location: str | None = None
    channel: str | None = Field(default=None, description="in_person, phone or video")
    status: AppointmentStatus
