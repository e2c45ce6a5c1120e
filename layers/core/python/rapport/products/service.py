"""Products: records `T#<t>#PROD#<id>`, each holding its SKU's guard, listed by name, SKU and category (its
store). A product's currency is the tenant currency or one the tenant's currency rates price."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from rapport.api.filters import Combinations
from rapport.auth import Caller
from rapport.dal import access
from rapport.dal.repository import Guard, IndexKeys, Record
from rapport.deals.rates import current_rates
from rapport.errors import InvalidInput
from rapport.pagination import Page
from rapport.products import store
from rapport.products.manifest import PRODUCT
from rapport.products.models import Product, ProductCreate
from rapport.records import RecordService

# The filters of GET /products, each one Query (see `ProductService.search`).
FILTERS = Combinations("Products", ((), ("deleted",), ("sku",), ("category",)))


class ProductService(RecordService[ProductCreate, Product]):
    kind = PRODUCT
    resource = "products"
    label = "product"
    create_model = ProductCreate
    out_model = Product

    def guards(self, data: Mapping[str, Any]) -> dict[Guard, str]:
        return {store.sku_guard(data["sku"]): "sku"}

    def index_keys(self, tenant_id: str, record_id: str, data: Mapping[str, Any], *, deleted: bool) -> IndexKeys:
        return store.index_keys(
            tenant_id, record_id, name=data["name"], sku=data["sku"], category=data.get("category"), deleted=deleted
        )

    def derive(self, tenant_id: str, data: dict[str, Any], before: Record | None) -> dict[str, Any]:
        """Without a currency, the tenant's; a new currency needs a rate in the tenant's currency rates (one read,
        only when the currency is new)."""
        if before is not None and data.get("currency") == before.data["currency"]:
            return data
        table = current_rates(tenant_id)
        currency = data.setdefault("currency", table.currency)
        if currency != table.currency and currency not in table.rates:
            raise InvalidInput.of(
                "currency",
                f"has no rate in the tenant's currency rates (tenant currency {table.currency}); an admin adds one "
                "with PUT /currency-rates",
                "no_rate",
            )
        return data

    def search(
        self, caller: Caller, *, sku: str | None, category: str | None, deleted: bool, limit: int, cursor: str | None
    ) -> Page[Product]:
        """By SKU (exact), by category (case and accents aside), or all (or the trash) by name: one Query each."""
        filters: dict[str, Any] = {"sku": sku, "category": category, "deleted": deleted}
        FILTERS.check(filters)
        tenant = caller.tenant_id
        if sku is not None:
            found = store.by_sku(tenant, sku)
        elif category is not None:
            found = store.in_category(tenant, category)
        else:
            found = access.listed(tenant, PRODUCT, deleted=deleted)
        return self.list(caller, found, limit=limit, cursor=cursor, bound_to=filters)


products = ProductService()
