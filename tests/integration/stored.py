"""Records and summaries written straight through the dal, for what other branches own (leads, deals, and the
deal summaries in a contact's partition): the API of those areas does not exist on this branch.
"""

from __future__ import annotations

from typing import Any

from rapport.contexts import Kind
from rapport.dal import keys, repository
from rapport.dal.access import PartitionQuery
from rapport.dal.keys import IndexKeys
from rapport.dal.repository import Record, UnitOfWork
from rapport.records import new_id
from rapport.types import utc_now
from tools.lambda_api import Staff

SALES = Staff()


def stored_record(kind: Kind, staff: Staff = SALES, **data: Any) -> str:
    """A live record of `kind` (a lead, a deal) of the staff's tenant; returns its id."""
    now = utc_now()
    record = Record(kind, new_id(), staff.tenant, data, now, staff.user, now, staff.user)
    repository.write(record, IndexKeys())
    return record.id


def stored_summary(
    owner: Kind, owner_id: str, sk: str, kind: Kind, ref_id: str, /, staff: Staff = SALES, **data: Any
) -> None:
    """A summary item in the partition of `owner` `owner_id`, as another area would keep it."""
    work = UnitOfWork()
    partition = keys.record_pk(staff.tenant, owner, owner_id)
    work.put_item(repository.summary_item(staff.tenant, partition, sk, kind, ref_id, data))
    work.commit()


def summaries_in(owner: Kind, owner_id: str, prefix: str, staff: Staff = SALES) -> dict[str, dict[str, Any]]:
    """The summaries under `prefix` in a record's partition, by sort key."""
    page = repository.read_partition(PartitionQuery(keys.record_pk(staff.tenant, owner, owner_id)), limit=1000)
    return {summary.sk: summary.data for summary in page.summaries if summary.sk.startswith(prefix)}
