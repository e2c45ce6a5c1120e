"""The exports' key layout and access pattern (rapport.dal.keys has the shared layout and says why this is here).

| item       | pk             | sk     | gsi1pk       | gsi1sk       |
|------------|----------------|--------|--------------|--------------|
| an export  | T#<t>#EXP#<id> | A#META | T#<t>#EXP    | <id>         |

An export is a record: its creation is the event that starts its writer, its progress (rows, bytes, the parts of
its file and the list cursor to go on from) is written on it after each part, each write over the version the
writer read, so that two deliveries of one event never write one part twice. The tenant's exports are ONE Query on
gsi1, newest first (ids are ULIDs, in the order they were made).

Its file is `exports/<tenant>/<id>.csv` (`.json`: a privacy export) in the exports bucket
(infra/constructs/exports.py), which forgets it after FILE_LIFETIME_DAYS.
"""

from __future__ import annotations

from dataclasses import replace

from rapport.dal import access, keys
from rapport.dal.access import IndexQuery
from rapport.dal.keys import IndexKeys
from rapport.exports.manifest import EXPORT

FILE_LIFETIME_DAYS = 7  # equal to the bucket's lifecycle rule (tests/infra checks)


def index_keys(tenant_id: str, export_id: str, *, deleted: bool) -> IndexKeys:
    return IndexKeys(gsi1pk=keys.list_pk(tenant_id, EXPORT, deleted=deleted), gsi1sk=export_id)


def newest_first(tenant_id: str) -> IndexQuery:
    return replace(access.listed(tenant_id, EXPORT), newest_first=True)


def file_key(tenant_id: str, export_id: str, extension: str = "csv") -> str:
    return f"exports/{tenant_id}/{export_id}.{extension}"
