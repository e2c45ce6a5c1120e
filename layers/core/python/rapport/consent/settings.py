"""The tenant's marketing settings: the topics people subscribe to, the postal address marketing mail carries, and
whether a new email subscription needs confirming (double opt-in). A settings document (rapport.settings), at
`keys.settings_document_key(tenant, consent_manifest.MARKETING_SETTINGS)`."""

from __future__ import annotations

from typing import Annotated

from pydantic import AfterValidator, Field, StrictBool, StrictInt, StringConstraints

from rapport.consent import manifest as consent_manifest
from rapport.consent.models import TopicName
from rapport.settings import SettingsDocument
from rapport.types import MultiLine, StrictModel


def _distinct(topics: list[str]) -> list[str]:
    if len(set(topics)) != len(topics):
        raise ValueError("names a topic twice")
    return topics


class MarketingSettings(StrictModel):
    topics: Annotated[list[TopicName], Field(max_length=30), AfterValidator(_distinct)] = Field(
        default_factory=list, description="The topics contacts may subscribe to, e.g. newsletter, offers"
    )
    postal_address: Annotated[str, StringConstraints(min_length=1, max_length=500), MultiLine] | None = Field(
        default=None, description="The sender's postal address, as marketing emails show it"
    )
    double_opt_in: StrictBool = Field(
        default=False, description="Whether a new email subscription stays pending until the person confirms it"
    )
    attribution_window_days: StrictInt = Field(
        default=90,
        ge=1,
        le=365,
        description="How long before a deal is won or an order placed a campaign's message may be credited with it",
    )


MARKETING_SETTINGS = SettingsDocument(
    consent_manifest.MARKETING_SETTINGS,
    MarketingSettings,
    resource="marketing_settings",
    default=lambda _: MarketingSettings(),
)
