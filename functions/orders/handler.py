"""Orders API: /orders, a back office's batches, a contact's or an account's orders and value, a contact's
recommendations, and the analytics settings."""

from typing import Annotated, Any

from aws_lambda_powertools.event_handler import Response
from aws_lambda_powertools.event_handler.openapi.params import Query

from rapport import config
from rapport.accounts.manifest import ACCOUNT
from rapport.analytics.bucket import S3Bucket
from rapport.analytics.headline import PERIOD_PATTERN, KpiReport, kpis
from rapport.api.http import PageOf, caller, create_app, entrypoint, model_response, page_response
from rapport.api.records import Cursor, Limit, RecordIdParam, Trash, register_record_routes, responses
from rapport.api.settings import register_settings_routes
from rapport.contacts.manifest import CONTACT
from rapport.orders import reports
from rapport.orders.batch import OrderBatch, OrderBatchResult, answer
from rapport.orders.models import REFERENCE_PATTERN, Order, OrderCreate, OrderPatch
from rapport.orders.ranking import Tier
from rapport.orders.recommendations import service as recommending
from rapport.orders.recommendations.models import Recommendations
from rapport.orders.recommendations.service import recommendations
from rapport.orders.reports import ReportSort
from rapport.orders.rfm import Segment
from rapport.orders.service import FILTERS, MAX_BATCH, orders
from rapport.orders.settings import ANALYTICS_SETTINGS
from rapport.orders.standing import CustomerValueAndStanding, Level, RankedCustomer
from rapport.pagination import DEFAULT_LIMIT

app = create_app()
register_record_routes(app, orders, OrderCreate, OrderPatch, Order)
register_settings_routes(
    app,
    ANALYTICS_SETTINGS,
    "/analytics-settings",
    tag="orders",
    name="AnalyticsSettings",
    reads="The tenant's churn thresholds (until saved: a drop of 40 % on a baseline of 100.00 a month makes a "
    "customer deserting, 180 days without an order lost)",
    replaces="Replace the analytics settings (admin, manager)",
)


@app.get(
    "/orders",
    tags=["orders"],
    operation_id="listOrders",
    summary="List orders, newest first, or find one by number",
    description=f"One filter at a time (more is a 400): {FILTERS.described()}.",
    responses=responses(200, PageOf[Order]),
)
def list_orders(
    number: Annotated[str | None, Query(pattern=REFERENCE_PATTERN, description="The order with this number")] = None,
    deleted: Trash = False,
    limit: Limit = DEFAULT_LIMIT,
    cursor: Cursor = None,
) -> Response[PageOf[Order]]:
    return page_response(orders.search(caller(app), number=number, deleted=deleted, limit=limit, cursor=cursor))


@app.post(
    "/orders/batch",
    tags=["orders"],
    operation_id="receiveOrders",
    summary=f"Record up to {MAX_BATCH} orders from a back office: new ones created, known external_ids updated",
    description="Each order is checked and written on its own (one transaction each): the answer has one item per "
    "order, in the order sent, with its status (201 created, 200 updated, 4xx and its problem). Resending an order "
    "with the same external_id updates it to what is sent (never a duplicate).",
    responses=responses(200, OrderBatchResult),
)
def receive_orders(body: OrderBatch) -> Response[Any]:
    return model_response(answer(orders.receive(caller(app), body.orders)))


@app.get(
    "/contacts/<record_id>/orders",
    tags=["orders"],
    operation_id="listContactOrders",
    summary="A contact's orders, newest first",
    responses=responses(200, PageOf[Order]),
)
def list_contact_orders(
    record_id: RecordIdParam, limit: Limit = DEFAULT_LIMIT, cursor: Cursor = None
) -> Response[PageOf[Order]]:
    return page_response(orders.of_customer(caller(app), CONTACT, record_id, limit=limit, cursor=cursor))


@app.get(
    "/accounts/<record_id>/orders",
    tags=["orders"],
    operation_id="listAccountOrders",
    summary="An account's orders, newest first",
    responses=responses(200, PageOf[Order]),
)
def list_account_orders(
    record_id: RecordIdParam, limit: Limit = DEFAULT_LIMIT, cursor: Cursor = None
) -> Response[PageOf[Order]]:
    return page_response(orders.of_customer(caller(app), ACCOUNT, record_id, limit=limit, cursor=cursor))


@app.get(
    "/contacts/<record_id>/value",
    tags=["orders"],
    operation_id="getContactValue",
    summary="A contact's value: revenue over 12 months and for good, by month, orders, average, last order; its "
    "latest orders; its rank, tier and churn",
    responses=responses(200, CustomerValueAndStanding),
)
def get_contact_value(record_id: RecordIdParam) -> Response[Any]:
    return model_response(orders.value_of(caller(app), CONTACT, record_id))


@app.get(
    "/accounts/<record_id>/value",
    tags=["orders"],
    operation_id="getAccountValue",
    summary="An account's value: revenue over 12 months and for good, by month, orders, average, last order; its "
    "latest orders; its rank, tier and churn",
    responses=responses(200, CustomerValueAndStanding),
)
def get_account_value(record_id: RecordIdParam) -> Response[Any]:
    return model_response(orders.value_of(caller(app), ACCOUNT, record_id))


@app.get(
    "/contacts/<record_id>/recommendations",
    tags=["orders"],
    operation_id="getContactRecommendations",
    summary="Products to offer a contact: what customers who bought what it bought also bought, with the support",
    description="From the paid and fulfilled orders (a cancelled or returned order bought nothing), for the first "
    f"{recommending.MAX_PAIRED} products the contact bought: each product it has not bought with `support`, how many "
    "customers bought it with one of the contact's products (the most for any), and `because`, those products. By "
    "support, then SKU; inactive and trashed products left out. A contact that bought nothing gets no items. At most "
    "four requests, whatever it bought.",
    responses=responses(200, Recommendations),
)
def get_contact_recommendations(
    record_id: RecordIdParam,
    limit: Annotated[
        int, Query(ge=1, le=recommending.MAX_LIMIT, description=f"At most this many (up to {recommending.MAX_LIMIT})")
    ] = recommending.DEFAULT_LIMIT,
) -> Response[Any]:
    return model_response(recommendations.recommend(caller(app), record_id, limit=limit))


@app.get(
    "/reports/customers",
    tags=["orders"],
    operation_id="listCustomerReport",
    summary="The customers of a level by value (rank), churn risk or potential gap, of a tier and an RFM segment if "
    "given",
    description="From the daily ranking: `sort=value` is by rank (1: the most revenue over the 12 calendar months "
    "to the ranking); `sort=churn_risk` puts deserting customers first, then at risk, lost and active ones, each by "
    "rank; `sort=potential_gap` puts the largest up-sell room first (potential less the 12 months' revenue), then "
    "by rank, customers without a potential last. `tier` keeps one tier (A, B, C by cumulative revenue share), "
    "`segment` one RFM segment. One Query either way; with `segment` the Query filters what it reads, so a page may "
    "hold fewer than `limit` (even none) and still have a `next_cursor`: follow it to the end.",
    responses=responses(200, PageOf[RankedCustomer]),
)
def list_customer_report(
    level: Annotated[Level, Query(description="account (default) or contact")] = Level.ACCOUNT,
    sort: Annotated[ReportSort, Query(description="value (default), churn_risk or potential_gap")] = "value",
    tier: Annotated[Tier | None, Query(description="A, B or C")] = None,
    segment: Annotated[Segment | None, Query(description="An RFM segment, like champions or at_risk")] = None,
    limit: Limit = DEFAULT_LIMIT,
    cursor: Cursor = None,
) -> Response[PageOf[RankedCustomer]]:
    page = reports.customers(
        caller(app), level=level, sort=sort, tier=tier, segment=segment, limit=limit, cursor=cursor
    )
    return page_response(page)


@app.get(
    "/reports/kpis",
    tags=["orders"],
    operation_id="getKpiReport",
    summary="Headline figures of a month: revenue, orders, new and lost customers, and the customers deserting now",
    description="Computed by the hourly analytics export with the committed KPI queries (the SQL Athena runs: "
    "revenue_by_month, new_and_lost_customers, churn_list), as of `as_of`; zeros and no `as_of` before the first "
    "export. One read.",
    responses=responses(200, KpiReport),
)
def get_kpi_report(
    period: Annotated[
        str | None, Query(pattern=PERIOD_PATTERN, description="The calendar month, YYYY-MM (default: the last one)")
    ] = None,
) -> Response[Any]:
    bucket = S3Bucket(config.current().require("analytics_bucket"))
    return model_response(kpis(caller(app), period, bucket))


lambda_handler = entrypoint(app)
