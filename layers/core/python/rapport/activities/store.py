"""The activities' key layout and access patterns (rapport.dal.keys has the shared layout and says why this is here).

Activities are listed (`GET /activities`) from four sparse, tenant-prefixed index partitions, each sorted by when
the activity happened (`<occurred at>#<id>`, read newest first; a period is a range of it):

| index | activities listed                 | pk                                    | sk                  |
|-------|-----------------------------------|---------------------------------------|---------------------|
| gsi1  | all (trashed: #DELETED)           | T#<t>#ACT (or T#<t>#ACT#DELETED)      | <occurred at>#<id>  |
| gsi2  | by owner                          | T#<t>#ACT#OWNER#<owner>               | <occurred at>#<id>  |
| gsi3  | by type                           | T#<t>#ACT#TYPE#<type>                 | <occurred at>#<id>  |
| gsi4  | by owner and type                 | T#<t>#ACT#OWNER#<owner>#TYPE#<type>   | <occurred at>#<id>  |

Activities logged before they were listed enter these partitions on their next write. An activity's entries in
the timelines it belongs to are the shared timeline layout (rapport.dal.keys).
"""

from __future__ import annotations

from rapport.activities.manifest import ACTIVITY
from rapport.dal import keys
from rapport.dal.access import IndexQuery
from rapport.dal.keys import IndexKeys


def _owner_pk(tenant_id: str, owner_id: str) -> str:
    return f"{keys.list_pk(tenant_id, ACTIVITY)}#OWNER#{owner_id}"


def _type_pk(tenant_id: str, type_: str) -> str:
    return f"{keys.list_pk(tenant_id, ACTIVITY)}#TYPE#{type_}"


def _owner_type_pk(tenant_id: str, owner_id: str, type_: str) -> str:
    return f"{_owner_pk(tenant_id, owner_id)}#TYPE#{type_}"


def index_keys(
    tenant_id: str, activity_id: str, owner_id: str, type_: str, occurred_at: str, *, deleted: bool
) -> IndexKeys:
    """An activity in the tenant's activities (or its trash), its owner's, its type's and its owner's of that
    type, each by when it happened (`GET /activities`)."""
    sk = keys.timed_sk(occurred_at, activity_id)
    if deleted:
        return IndexKeys(gsi1pk=keys.list_pk(tenant_id, ACTIVITY, deleted=True), gsi1sk=sk)
    return IndexKeys(
        gsi1pk=keys.list_pk(tenant_id, ACTIVITY),
        gsi1sk=sk,
        gsi2pk=_owner_pk(tenant_id, owner_id),
        gsi2sk=sk,
        gsi3pk=_type_pk(tenant_id, type_),
        gsi3sk=sk,
        gsi4pk=_owner_type_pk(tenant_id, owner_id, type_),
        gsi4sk=sk,
    )


def listed(
    tenant_id: str, owner_id: str | None, type_: str | None, *, deleted: bool, start: str | None, end: str | None
) -> IndexQuery:
    """The activities with these filters, newest first, happened from `start` to `end` (inclusive)."""
    if deleted:
        index, partition = "gsi1", keys.list_pk(tenant_id, ACTIVITY, deleted=True)
    elif owner_id is not None and type_ is not None:
        index, partition = "gsi4", _owner_type_pk(tenant_id, owner_id, type_)
    elif owner_id is not None:
        index, partition = "gsi2", _owner_pk(tenant_id, owner_id)
    elif type_ is not None:
        index, partition = "gsi3", _type_pk(tenant_id, type_)
    else:
        index, partition = "gsi1", keys.list_pk(tenant_id, ACTIVITY)
    return IndexQuery(index, partition, start=start, end=end, newest_first=True)
