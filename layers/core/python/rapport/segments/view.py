"""What a segment's filter reads of a contact (`ContactView`), from its partition and its account.

The contact's partition holds, in key order, the summaries other contexts keep there (its open deals, its standing
from the daily ranking), the contact, then its timeline newest first: one Query reads them from the start, as the
360 view does, and goes on only while no activity has been read yet (a contact with a long run of messages since
its last activity). The account, when the contact has one, is one GetItem: its industry and size are not copied
into the contact's partition.
"""

from __future__ import annotations

from datetime import datetime

from rapport import timeline
from rapport.accounts.manifest import ACCOUNT
from rapport.contacts.manifest import CONTACT
from rapport.dal import access, repository
from rapport.dal.repository import Record, Summary
from rapport.deals.models import StageStatus
from rapport.deals.store import DEAL_SUMMARY_KIND
from rapport.orders.manifest import CUSTOMER_STANDING
from rapport.segments.filter import ContactView
from rapport.timeline.models import ActivityEntry

PAGE = 200


def contact_view(tenant_id: str, contact_id: str) -> tuple[Record, ContactView] | None:
    """The live contact and what its segments' filters read of it; None when it is gone or trashed."""
    pattern = access.summaries(tenant_id, CONTACT, contact_id)
    page = repository.read_partition(pattern, limit=PAGE)
    record = page.record
    if record is None or record.deleted:
        return None
    summaries = list(page.summaries)
    last_activity = _last_activity(summaries)
    while last_activity is None and page.next_position is not None:
        page = repository.read_partition(pattern, limit=PAGE, position=page.next_position)
        summaries += page.summaries
        last_activity = _last_activity(page.summaries)
    standing = next((s.data for s in summaries if s.kind == CUSTOMER_STANDING.code), {})
    account = _account(tenant_id, record.data.get("account_id"))
    view = ContactView(
        contact=record.data,
        account=account.data if account is not None else None,
        open_deals=sum(
            1 for s in summaries if s.kind == DEAL_SUMMARY_KIND and s.data.get("status") == StageStatus.OPEN
        ),
        tier=standing.get("tier"),
        churn_status=(standing.get("churn") or {}).get("status"),
        last_activity_at=last_activity,
    )
    return record, view


def _account(tenant_id: str, account_id: str | None) -> Record | None:
    account = repository.get(tenant_id, ACCOUNT, account_id) if account_id else None
    return account if account is not None and not account.deleted else None


def _last_activity(summaries: list[Summary]) -> datetime | None:
    """When the newest activity among `summaries` (a timeline's entries, newest first) happened."""
    for summary in summaries:
        if timeline.is_entry(summary):
            entry = timeline.read_entry(summary)
            if isinstance(entry, ActivityEntry):
                return entry.occurred_at
    return None
