"""The products' key layout and access patterns (rapport.dal.keys has the shared layout and says why this is here).

| index | serves                               | pk                                  | sk               |
|-------|--------------------------------------|-------------------------------------|------------------|
| gsi1  | products by name (or the trash)      | T#<t>#PROD (or #DELETED)            | <name key>␟<id>  |
| gsi2  | exact lookup: the SKU                | T#<t>#PROD#SKU#<sku>                | <id>             |
| gsi3  | a category's products by name        | T#<t>#PROD#CATEGORY#<category key>  | <name key>␟<id>  |

A product holds the guard `T#t#UNIQ#SKU#<sku>` (a SKU is one product's, compared exactly), trashed or not; a
trashed product leaves the SKU and category lookups. The category key is `rapport.normalize.name_key` (case and
accents aside).
"""

from __future__ import annotations

from collections.abc import Iterable

from rapport import normalize
from rapport.dal import keys, repository
from rapport.dal.access import IndexQuery
from rapport.dal.keys import IndexKeys
from rapport.dal.models import GuardItem
from rapport.dal.repository import Guard, Record
from rapport.products.manifest import PRODUCT

SKU = "SKU"
CATEGORY = "CATEGORY"


def sku_guard(sku: str) -> Guard:
    return Guard(SKU, sku)


def _category_pk(tenant_id: str, category: str) -> str:
    return keys.value_pk(tenant_id, PRODUCT, CATEGORY, normalize.name_key(category))


def index_keys(
    tenant_id: str, product_id: str, *, name: str, sku: str, category: str | None, deleted: bool
) -> IndexKeys:
    order = keys.name_order(normalize.name_key(name), product_id)
    live = not deleted
    return IndexKeys(
        gsi1pk=keys.list_pk(tenant_id, PRODUCT, deleted=deleted),
        gsi1sk=order,
        gsi2pk=keys.value_pk(tenant_id, PRODUCT, SKU, sku) if live else None,
        gsi2sk=product_id if live else None,
        gsi3pk=_category_pk(tenant_id, category) if live and category else None,
        gsi3sk=order if live and category else None,
    )


def by_sku(tenant_id: str, sku: str) -> IndexQuery:
    """The live product with this SKU, if any."""
    return IndexQuery("gsi2", keys.value_pk(tenant_id, PRODUCT, SKU, sku))


def in_category(tenant_id: str, category: str) -> IndexQuery:
    """A category's live products, by name."""
    return IndexQuery("gsi3", _category_pk(tenant_id, category))


def live_by_sku(tenant_id: str, skus: Iterable[str]) -> dict[str, Record]:
    """The live products with these SKUs (at most 100), by SKU: one BatchGetItem of their guards, then one of the
    products the guards name."""
    wanted = [(keys.guard_pk(tenant_id, SKU, sku), keys.GUARD_SK) for sku in set(skus)]
    guards = [item for item in GuardItem.batch_get(wanted, consistent_read=True) if isinstance(item, GuardItem)]
    products = repository.get_many(
        tenant_id, PRODUCT, [guard.owner_id for guard in guards if guard.owner_kind == PRODUCT.code]
    )
    return {record.data["sku"]: record for record in products.values() if not record.deleted}
