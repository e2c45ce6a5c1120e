from __future__ import annotations

from typing import Annotated
from urllib.parse import urlsplit

from pydantic import AfterValidator, Field, StrictInt, StringConstraints

from rapport.locales import DEFAULT_TIME_ZONE, TimeZone
from rapport.types import Name, StrictModel

SLUG_PATTERN = r"^[a-z0-9-]+$"
Slug = Annotated[str, StringConstraints(min_length=3, max_length=40, pattern=SLUG_PATTERN)]


def _https_url(value: str) -> str:
    parts = urlsplit(value)
    if parts.scheme != "https" or not parts.hostname or parts.username or parts.password:
        raise ValueError("must be an https URL with a host name and no user name or password")
    if parts.query or parts.fragment:
        raise ValueError("must have no query or fragment: links are made by adding paths to it")
    return value.rstrip("/")


HttpsUrl = Annotated[str, StringConstraints(min_length=9, max_length=500, pattern=r"^\S+$"), AfterValidator(_https_url)]


class TenantSettings(StrictModel):
    slug: Slug | None = Field(
        default=None,
        description="Names the tenant in public addresses (`/public/<slug>/...`): 3-40 of a-z, 0-9 and `-`, "
        "unique across tenants; none until set",
    )
    name: Name | None = Field(default=None, description="The tenant's name as customers see it")
    time_zone: TimeZone = Field(default=DEFAULT_TIME_ZONE, description="An IANA time zone, e.g. Europe/Berlin")
    app_url: HttpsUrl | None = Field(
        default=None, description="Where the tenant's users reach Rapport (https), used for links"
    )
    history_retention_days: StrictInt | None = Field(
        default=None,
        ge=1,
        le=36500,
        description="How long the field history keeps each change, in days (none: for ever); counted from the "
        "change, applied to changes kept from then on",
    )
