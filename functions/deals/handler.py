"""Deals API: /deals, a deal's stage history (its field history is every record's: rapport.api.records)."""

from typing import Annotated

from aws_lambda_powertools.event_handler import Response
from aws_lambda_powertools.event_handler.openapi.params import Query

from rapport.api.http import PageOf, caller, create_app, entrypoint, page_response
from rapport.api.records import Cursor, Limit, RecordIdParam, register_record_routes, responses
from rapport.deals.models import Deal, DealCreate, DealPatch, StageChange, StageStatus
from rapport.deals.service import FILTERS, deals
from rapport.pagination import DEFAULT_LIMIT

app = create_app()
register_record_routes(app, deals, DealCreate, DealPatch, Deal)


@app.get(
    "/deals",
    tags=["deals"],
    operation_id="listDeals",
    summary="List deals by close date, filtered",
    description=f"Filter combinations (any other is a 400): {FILTERS.described()}.",
    responses=responses(200, PageOf[Deal]),
)
def list_deals(
    owner_id: Annotated[str | None, Query(min_length=1, max_length=128, pattern=r"^[A-Za-z0-9@._:+-]+$")] = None,
    status: Annotated[StageStatus | None, Query()] = None,
    pipeline_id: Annotated[str | None, Query(min_length=1, max_length=64, pattern=r"^[A-Za-z0-9_-]+$")] = None,
    stage: Annotated[str | None, Query(min_length=1, max_length=100, description="With pipeline_id")] = None,
    account_id: Annotated[
        str | None, Query(min_length=1, max_length=64, pattern=r"^[A-Za-z0-9_-]+$", description="The account's deals")
    ] = None,
    deleted: Annotated[bool, Query(description="List the trash instead (alone)")] = False,
    limit: Limit = DEFAULT_LIMIT,
    cursor: Cursor = None,
) -> Response[PageOf[Deal]]:
    page = deals.search(
        caller(app),
        owner_id=owner_id,
        status=status.value if status else None,
        pipeline_id=pipeline_id,
        stage=stage,
        account_id=account_id,
        deleted=deleted,
        limit=limit,
        cursor=cursor,
    )
    return page_response(page)


@app.get(
    "/deals/<record_id>/stage-history",
    tags=["deals"],
    operation_id="listDealStageHistory",
    summary="A deal's stage transitions, oldest first",
    responses=responses(200, PageOf[StageChange]),
)
def list_deal_history(
    record_id: RecordIdParam, limit: Limit = DEFAULT_LIMIT, cursor: Cursor = None
) -> Response[PageOf[StageChange]]:
    return page_response(deals.stage_history(caller(app), record_id, limit=limit, cursor=cursor))


lambda_handler = entrypoint(app)
