"""Activities API: /activities, and the timelines of contacts, accounts, deals and leads."""

from typing import Annotated

from aws_lambda_powertools.event_handler import Response
from aws_lambda_powertools.event_handler.openapi.params import Query

from rapport.accounts.manifest import ACCOUNT
from rapport.activities.models import Activity, ActivityCreate, ActivityPatch
from rapport.activities.service import ME, TIMELINE_KINDS, activities
from rapport.api.http import PageOf, caller, create_app, entrypoint, page_response
from rapport.api.records import Cursor, Limit, RecordIdParam, Trash, register_record_routes, responses
from rapport.contexts import Kind
from rapport.deals.manifest import DEAL
from rapport.pagination import DEFAULT_LIMIT
from rapport.timeline import TimelineEntry
from rapport.timeline.models import ActivityType
from rapport.types import USER_ID_PATTERN

app = create_app()
register_record_routes(app, activities, ActivityCreate, ActivityPatch, Activity)


@app.get(
    "/activities",
    tags=["activities"],
    operation_id="listActivities",
    summary="Activities by when they happened, newest first",
    description="Filters offered, in any combination: owner_id (a staff user id, or `me`), type, from (happened "
    "at or after) and to (before), ISO 8601 with a zone; or deleted=true (the trash, by period). Other filters "
    "are refused with a 400.",
    responses=responses(200, PageOf[Activity]),
)
def list_activities(
    owner_id: Annotated[
        str | None,
        Query(min_length=1, max_length=128, pattern=USER_ID_PATTERN, description=f"A user id, or {ME}"),
    ] = None,
    type_: Annotated[ActivityType | None, Query(alias="type")] = None,
    occurred_from: Annotated[
        str | None, Query(alias="from", min_length=1, max_length=40, description="Happened at or after")
    ] = None,
    occurred_to: Annotated[
        str | None, Query(alias="to", min_length=1, max_length=40, description="Happened before")
    ] = None,
    deleted: Trash = False,
    limit: Limit = DEFAULT_LIMIT,
    cursor: Cursor = None,
) -> Response[PageOf[Activity]]:
    page = activities.search(
        caller(app),
        owner_id=owner_id,
        type_=type_,
        occurred_from=occurred_from,
        occurred_to=occurred_to,
        deleted=deleted,
        limit=limit,
        cursor=cursor,
    )
    return page_response(page)


def _timeline_route(kind: Kind) -> None:
    resource = f"{kind.label}s"

    def timeline(
        record_id: RecordIdParam, limit: Limit = DEFAULT_LIMIT, cursor: Cursor = None
    ) -> Response[PageOf[TimelineEntry]]:
        return page_response(activities.timeline(caller(app), kind, record_id, limit=limit, cursor=cursor))

    rolled_up = " and its contacts' and deals'" if kind == ACCOUNT else ""
    moves = ", and its stage moves" if kind == DEAL else ""
    app.get(
        f"/{resource}/<record_id>/timeline",
        tags=["activities"],
        operation_id=f"list{kind.label.capitalize()}Timeline",
        summary=f"What happened with {'an' if kind == ACCOUNT else 'a'} {kind.label}, newest first",
        description=f"Activities, messages sent and leads submitted again about the {kind.label}{rolled_up}"
        f"{moves}; each entry's `kind` says which.",
        responses=responses(200, PageOf[TimelineEntry]),
    )(timeline)


for timeline_kind in TIMELINE_KINDS:
    _timeline_route(timeline_kind)


lambda_handler = entrypoint(app)
