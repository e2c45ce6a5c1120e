"""Links from an activity or a task to the records it concerns: contact, account, lead, deal.

Each link must name a live record of the caller's tenant (checked in the write's transaction); the record's
partition then holds the summary its reads need (rapport.dal.keys).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from pydantic import Field

from rapport.accounts.manifest import ACCOUNT
from rapport.contacts.manifest import CONTACT
from rapport.contexts import Kind
from rapport.dal.repository import Parent
from rapport.deals.manifest import DEAL
from rapport.leads.manifest import LEAD
from rapport.types import RecordId, StrictModel

LINK_FIELDS: dict[str, Kind] = {
    "contact_id": CONTACT,
    "account_id": ACCOUNT,
    "lead_id": LEAD,
    "deal_id": DEAL,
}


class Links(StrictModel):
    contact_id: RecordId | None = Field(default=None, description="A live contact of your tenant")
    account_id: RecordId | None = Field(default=None, description="A live account of your tenant")
    lead_id: RecordId | None = Field(default=None, description="A live lead of your tenant")
    deal_id: RecordId | None = Field(default=None, description="A live deal of your tenant")


def linked(data: Mapping[str, Any]) -> dict[Parent, str]:
    """The records `data` links to, each with the field that names it."""
    return {Parent(kind, data[field]): field for field, kind in LINK_FIELDS.items() if data.get(field)}


def links_of(data: Mapping[str, Any]) -> dict[str, str]:
    return {field: data[field] for field in LINK_FIELDS if data.get(field)}
