"""Products API: /products, the tenant's catalogue."""

from typing import Annotated

from aws_lambda_powertools.event_handler import Response
from aws_lambda_powertools.event_handler.openapi.params import Query

from rapport.api.http import PageOf, caller, create_app, entrypoint, page_response
from rapport.api.records import Cursor, Limit, Trash, register_record_routes, responses
from rapport.pagination import DEFAULT_LIMIT
from rapport.products.models import SKU_PATTERN, Product, ProductCreate, ProductPatch
from rapport.products.service import FILTERS, products

app = create_app()
register_record_routes(app, products, ProductCreate, ProductPatch, Product)


@app.get(
    "/products",
    tags=["products"],
    operation_id="listProducts",
    summary="List products by name, or find them by SKU or category",
    description=f"One filter at a time (more is a 400): {FILTERS.described()}.",
    responses=responses(200, PageOf[Product]),
)
def list_products(
    sku: Annotated[str | None, Query(pattern=SKU_PATTERN, description="The product with this SKU (exact)")] = None,
    category: Annotated[
        str | None, Query(min_length=1, max_length=200, description="A category, case and accents aside")
    ] = None,
    deleted: Trash = False,
    limit: Limit = DEFAULT_LIMIT,
    cursor: Cursor = None,
) -> Response[PageOf[Product]]:
    page = products.search(caller(app), sku=sku, category=category, deleted=deleted, limit=limit, cursor=cursor)
    return page_response(page)


lambda_handler = entrypoint(app)
