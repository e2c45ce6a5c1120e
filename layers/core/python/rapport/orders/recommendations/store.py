"""The recommendations' key layout and access patterns (rapport.dal.keys has the shared layout and says why this is
here; rapport.orders.recommendations.service says why the layout is this one).

| item                                     | pk                           | sk        | model        |
|------------------------------------------|------------------------------|-----------|--------------|
| a contact's bought set                   | T#<t>#CON#BOUGHT#<contact>   | #         | SummaryItem  |
| product X's pair count with product Y    | T#<t>#PROD#COBUY#<sku X>     | P#<sku Y> | CounterItem  |
| product X's co-bought list               | T#<t>#PROD#COBUY#<sku X>     | #TOP      | CoBoughtItem |

The bought set (kind `BOUGHT`, `ref_id` the contact): `skus`, every SKU of the contact's counted orders, sorted;
`paired`, those its pair counts are counted for; `revision`, bumped by each write, which is conditioned on the
revision read. A contact that bought nothing has no item. It is a partition of its own, not an item of the
contact's: the contact's 360 Query does not read it, and the read takes it with the contact in one BatchGetItem.

A pair count's `value` is the number of contacts whose `paired` holds both X and Y (its support): updated by ADD,
unread, in the transaction that changes a bought set (a count that fell to 0 stays, read as no pair). Its
product's co-bought list sorts first in the partition (`#` before any SKU); its `changes` is ADDed in the same
transaction, so a list whose `counted` is behind is known to be stale and is computed again from the partition
(ONE consistent Query), put only if no change came meanwhile. No index: the read takes the lists, not the counts.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import NamedTuple

from pynamodb.exceptions import PutError

from rapport.contacts.manifest import CONTACT
from rapport.dal import keys
from rapport.dal.models import CoBoughtItem, CounterItem, Item, RecordItem, SummaryItem
from rapport.dal.repository import UnitOfWork
from rapport.products.manifest import PRODUCT

SET_SK = "#"
TOP_SK = "#TOP"
PAIR_PREFIX = "P#"
BOUGHT = "BOUGHT"  # the bought sets' partitions, and their summary kind
CO_BOUGHT = "COBUY"
MAX_BATCH = 100  # keys a BatchGetItem takes


class BoughtSet(NamedTuple):
    """A contact's bought set as stored: its SKUs, those paired, and the revision a write must find."""

    skus: tuple[str, ...] = ()
    paired: tuple[str, ...] = ()
    revision: int = 0


class CoBought(NamedTuple):
    """A product's co-bought list: `top` (sku, support), best first; `current` unless pair counts changed since."""

    top: tuple[tuple[str, int], ...]
    current: bool


def _bought_pk(tenant_id: str, contact_id: str) -> str:
    return keys.value_pk(tenant_id, CONTACT, BOUGHT, contact_id)


def _pairs_pk(tenant_id: str, sku: str) -> str:
    return keys.value_pk(tenant_id, PRODUCT, CO_BOUGHT, sku)


def _bought(item: SummaryItem) -> BoughtSet:
    data = item.summary_data()
    return BoughtSet(tuple(data.get("skus") or ()), tuple(data.get("paired") or ()), int(data.get("revision") or 0))


def contact_and_bought(tenant_id: str, contact_id: str) -> tuple[bool, bool, BoughtSet]:
    """Whether the contact exists, whether it is trashed, and its bought set: one BatchGetItem."""
    wanted = [
        (keys.record_pk(tenant_id, CONTACT, contact_id), keys.META_SK),
        (_bought_pk(tenant_id, contact_id), SET_SK),
    ]
    exists = trashed = False
    bought = BoughtSet()
    for item in Item.batch_get(wanted, consistent_read=True):
        if isinstance(item, RecordItem):
            exists, trashed = True, item.deleted_at is not None
        elif isinstance(item, SummaryItem):
            bought = _bought(item)
    return exists, trashed, bought


def stage_bought(work: UnitOfWork, tenant_id: str, contact_id: str, read: BoughtSet, written: BoughtSet) -> None:
    """Put `written` (delete the item when it holds no SKU and pairs none) only over the revision `read` had."""
    item = SummaryItem(_bought_pk(tenant_id, contact_id), SET_SK, tenant_id=tenant_id, kind=BOUGHT, ref_id=contact_id)
    condition = SummaryItem.pk.does_not_exist() if read.revision == 0 else SummaryItem.data["revision"] == read.revision
    if not written.skus and not written.paired:
        work.delete_item(item, condition)
        return
    item.data = {"skus": list(written.skus), "paired": list(written.paired), "revision": written.revision}
    work.put_item(item, condition)


def stage_pairs(work: UnitOfWork, tenant_id: str, sku: str, others: Iterable[str], delta: int) -> None:
    """Add `delta` to the pair counts of `sku` with each of `others`, both ways, and note the change on each of
    their co-bought lists (items made by the update are typed like put ones)."""
    others = list(others)
    for first, second in [*((sku, other) for other in others), *((other, sku) for other in others)]:
        pair = CounterItem(_pairs_pk(tenant_id, first), f"{PAIR_PREFIX}{second}")
        typed = [CounterItem.item_type.set(CounterItem), CounterItem.tenant_id.set(tenant_id)]
        work.update_item(pair, [*typed, CounterItem.value.add(delta)])
    for touched in [sku, *others]:
        listed = CoBoughtItem(_pairs_pk(tenant_id, touched), TOP_SK)
        typed = [CoBoughtItem.item_type.set(CoBoughtItem), CoBoughtItem.tenant_id.set(tenant_id)]
        work.update_item(listed, [*typed, CoBoughtItem.changes.add(1)])


def co_bought(tenant_id: str, skus: Sequence[str]) -> dict[str, CoBought]:
    """The co-bought lists of these products (at most MAX_BATCH) that have one, by SKU: one BatchGetItem."""
    wanted = [(_pairs_pk(tenant_id, sku), TOP_SK) for sku in set(skus)]
    prefix = _pairs_pk(tenant_id, "")
    found: dict[str, CoBought] = {}
    for item in CoBoughtItem.batch_get(wanted) if wanted else []:
        top = tuple((str(sku), int(support)) for sku, support in item.top or ())
        found[item.pk.removeprefix(prefix)] = CoBought(top, item.changes == item.counted)
    return found


def pair_counts(tenant_id: str, sku: str) -> tuple[int | None, list[tuple[str, int]]]:
    """A product's count of changes and its pair counts (other SKU, support; none of 0): ONE consistent Query of
    its partition, paged as DynamoDB pages it."""
    changes: int | None = None
    pairs: list[tuple[str, int]] = []
    for item in Item.query(_pairs_pk(tenant_id, sku), consistent_read=True):
        if isinstance(item, CoBoughtItem) and item.changes is not None:
            changes = int(item.changes)
        elif isinstance(item, CounterItem) and item.value:
            pairs.append((item.sk.removeprefix(PAIR_PREFIX), int(item.value)))
    return changes, pairs


def put_co_bought(tenant_id: str, sku: str, top: Sequence[tuple[str, int]], changes: int | None) -> bool:
    """Put a product's co-bought list, computed when its changes were `changes`, unless more came since (then
    False): one conditional PutItem."""
    item = CoBoughtItem(
        _pairs_pk(tenant_id, sku),
        TOP_SK,
        tenant_id=tenant_id,
        changes=changes,
        counted=changes,
        top=[[other, support] for other, support in top],
    )
    condition = CoBoughtItem.changes.does_not_exist() if changes is None else CoBoughtItem.changes == changes
    try:
        item.save(condition=condition)
    except PutError as error:
        if error.cause_response_code == "ConditionalCheckFailedException":
            return False
        raise
    return True
