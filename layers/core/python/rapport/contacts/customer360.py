"""The contact's account in its 360 view: the `A#ACC` summary the contact keeps of it (rapport.contacts.store)."""

from __future__ import annotations

from pydantic import Field

from rapport.accounts.manifest import ACCOUNT
from rapport.contacts import store
from rapport.contexts import Seen, SummaryPart
from rapport.types import LazyModel


class AccountBrief(LazyModel):
    id: str
    name: str
    domain: str | None = None


def _account(seen: Seen) -> AccountBrief | None:
    """The account the contact belongs to now (a summary of another is one it has left)."""
    for summary in seen.summaries:
        if summary.ref_id == seen.contact.get("account_id"):
            return AccountBrief(id=summary.ref_id, name=summary.data["name"], domain=summary.data.get("domain"))
    return None


ACCOUNT_PART = SummaryPart(
    field="account",
    annotation=AccountBrief | None,
    info=Field(default=None),
    prefix=store.ACCOUNT_SUMMARY_SK,
    kinds=(ACCOUNT.code,),
    read=_account,
)
