"""Products: the tenant's catalogue, each found by its SKU."""

from __future__ import annotations

from rapport.auth import EVERYONE, Action, Role
from rapport.contexts import Area, Context, Importing, Kind

PRODUCT = Kind("PROD", "product")

# The catalogue is the back office's: managers keep it, everyone reads it (order lines name its SKUs).
_KEEPERS = frozenset({Role.ADMIN, Role.MANAGER})

CONTEXT = Context(
    name="products",
    kinds=(PRODUCT,),
    permissions={
        "products": {
            Action.READ: EVERYONE,
            Action.CREATE: _KEEPERS,
            Action.UPDATE: _KEEPERS,
            Action.DELETE: _KEEPERS,
            Action.RESTORE: _KEEPERS,
            Action.ERASE: frozenset({Role.ADMIN}),
        },
    },
    exports={"products": "rapport.products.service:products"},
    imports={"products": Importing("rapport.products.service:products", ("sku",))},
    areas=(Area("products", bench="getProduct"),),
)
