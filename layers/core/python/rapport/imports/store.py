"""The imports' key layout and access pattern (rapport.dal.keys has the shared layout and says why this is here).

| item                         | pk             | sk               | gsi1pk     | gsi1sk |
|------------------------------|----------------|------------------|------------|--------|
| an import                    | T#<t>#IMP#<id> | A#META           | T#<t>#IMP  | <id>   |
| a batch of its rows written  | T#<t>#IMP#<id> | B#<seq, 8 digits> |            |        |

A batch is a summary (kind IMP_BATCH) written in the transaction that writes its rows' records and the import's
progress (over the version the runner read): what each row came to (`outcomes`: row, outcome, id, field, reason,
and a failed row's cells), the records it created (`created`) and, for each record it updated, the version the
import wrote and the values of the fields it changed as they were before (`restored`). So a batch is written
with its rows or not at all: a run cut short goes on from the last batch, a report is ONE Query of the batches,
and a revert undoes them in order. The tenant's imports are ONE Query on gsi1, newest first (ids are ULIDs).

The uploaded file is `imports/<tenant>/<id>.csv`, its reports `imports/<tenant>/<id>-report.csv` and
`-errors.csv`, in the exports bucket, which forgets them after FILE_LIFETIME_DAYS (rapport.exports.store).
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from rapport.dal import access, keys, repository
from rapport.dal.access import IndexQuery, PartitionQuery
from rapport.dal.keys import IndexKeys
from rapport.dal.models import SummaryItem
from rapport.dal.repository import Position, Summary
from rapport.imports.manifest import IMPORT

BATCH_KIND = "IMP_BATCH"
BATCH_PREFIX = "B#"
PREFIX = "imports/"


def index_keys(tenant_id: str, import_id: str, *, deleted: bool) -> IndexKeys:
    return IndexKeys(gsi1pk=keys.list_pk(tenant_id, IMPORT, deleted=deleted), gsi1sk=import_id)


def newest_first(tenant_id: str) -> IndexQuery:
    return replace(access.listed(tenant_id, IMPORT), newest_first=True)


def file_key(tenant_id: str, import_id: str, suffix: str = "") -> str:
    return f"{PREFIX}{tenant_id}/{import_id}{suffix}.csv"


def _batch_sk(seq: int) -> str:
    return f"{BATCH_PREFIX}{seq:08d}"


def batch_item(tenant_id: str, import_id: str, seq: int, data: dict[str, Any]) -> SummaryItem:
    partition = keys.record_pk(tenant_id, IMPORT, import_id)
    return repository.summary_item(tenant_id, partition, _batch_sk(seq), BATCH_KIND, str(seq), data)


def batches(
    tenant_id: str, import_id: str, start: int, *, limit: int, position: Position | None = None
) -> tuple[list[Summary], Position | None]:
    """The batches from `start`, in order: one Query page of at most `limit`, and where it stopped."""
    pattern = PartitionQuery(
        keys.record_pk(tenant_id, IMPORT, import_id), _batch_sk(start), BATCH_PREFIX + keys.RANGE_END
    )
    page = repository.read_partition(pattern, limit=limit, position=position)
    return page.summaries, page.next_position
