"""Staff user profiles (`T#<t>#USER#<sub>`): what the notifier and lead assignment read about a rep."""

from __future__ import annotations

from datetime import UTC, datetime
from enum import StrEnum
from typing import Annotated

from pydantic import Field, StrictInt, model_validator

from rapport import merge_patch
from rapport.locales import DEFAULT_LOCALE, Locale, TimeZone
from rapport.types import Email, Instant, Name, Phone, RecordMeta, ShortText, StrictModel, UserId

Team = Annotated[str, Field(min_length=1, max_length=64, pattern=r"^[A-Za-z0-9_.-]+$")]


class Channel(StrEnum):
    EMAIL = "email"
    SMS = "sms"


class Away(StrictModel):
    """A window in which the rep takes no new leads: from `from` (inclusive) until `until` (exclusive)."""

    from_: Instant = Field(alias="from")
    until: Instant

    model_config = StrictModel.model_config | {"populate_by_name": True, "serialize_by_alias": True}

    @model_validator(mode="after")
    def _ordered(self) -> Away:
        if self.until <= self.from_:
            raise ValueError("until must be after from")
        return self

    def covers(self, at: datetime) -> bool:
        return self.from_ <= at.astimezone(UTC) < self.until


# Fields a user may change on their own profile; the rest is an admin's or a manager's.
CONTACT_FIELDS = frozenset({"email", "phone", "notify_by", "time_zone", "locale"})


class UserProfile(StrictModel):
    name: Name
    email: Email
    phone: Phone | None = Field(default=None, description="E.164, for SMS notifications")
    notify_by: list[Channel] = Field(default_factory=lambda: [Channel.EMAIL], max_length=2)
    team: Team | None = Field(default=None, description="The team whose leads the rep takes")
    manager_id: UserId | None = Field(default=None, description="Notified when the rep misses a lead's SLA")
    max_open_leads: StrictInt | None = Field(default=None, ge=0, le=10_000, description="None: no cap")
    daily_quota: StrictInt | None = Field(
        default=None, ge=0, le=10_000, description="Leads per day (rep's day); None: no cap"
    )
    away: Away | None = None
    time_zone: TimeZone = Field(default="UTC", description="Times in notifications are written in it")
    locale: Locale = Field(default=DEFAULT_LOCALE, description="The language and format notifications use")
    title: ShortText | None = None

    @model_validator(mode="after")
    def _reachable(self) -> UserProfile:
        if Channel.SMS in self.notify_by and not self.phone:
            raise ValueError("notify_by sms needs a phone")
        if len(set(self.notify_by)) != len(self.notify_by):
            raise ValueError("notify_by must not repeat a channel")
        return self


class Availability(StrictModel):
    away: Away | None = Field(description="The window the user is away; null: available")


class User(UserProfile, RecordMeta):
    model_config = UserProfile.model_config | {"extra": "ignore"}


AvailabilityPatch = merge_patch.model(Availability, User)
