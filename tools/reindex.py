"""`python -m tools.reindex`: give the records written before search entries existed their entries.

Rewrites every account, contact, lead and deal of the table named by TABLE_NAME (with the AWS credentials and
endpoint of the environment) in place, each over the version read, through its service's index keys: the same
write as any other, so the stream yields an `updated` event with no changed fields. A maintenance job, so it may
Scan; a record changed meanwhile is skipped (its own write gave it its entries).
"""

from __future__ import annotations

from typing import Any

from rapport.accounts.manifest import ACCOUNT
from rapport.accounts.service import accounts
from rapport.contacts.manifest import CONTACT
from rapport.contacts.service import contacts
from rapport.contexts import Kind
from rapport.dal import repository
from rapport.dal.repository import StaleVersion, UnitOfWork
from rapport.deals.manifest import DEAL
from rapport.deals.service import deals
from rapport.leads.manifest import LEAD
from rapport.leads.service import leads
from rapport.records import RecordService

SERVICES: dict[Kind, RecordService[Any, Any]] = {
    ACCOUNT: accounts,
    CONTACT: contacts,
    LEAD: leads,
    DEAL: deals,
}


def reindex() -> tuple[int, int]:
    """Rewrite each live record without search entries; returns how many were rewritten and skipped."""
    rewritten = skipped = 0
    for record in repository.unindexed(SERVICES):
        service = SERVICES[record.kind]
        work = UnitOfWork()
        work.put_record(record, service.index_keys(record.tenant_id, record.id, record.data, deleted=False))
        try:
            work.commit()
        except StaleVersion:
            skipped += 1
            continue
        rewritten += 1
    return rewritten, skipped


def main() -> None:
    rewritten, skipped = reindex()
    print(f"rewrote {rewritten} record(s); {skipped} changed meanwhile and already have their entries")


if __name__ == "__main__":
    main()
