"""Activities API: /activities, and the timelines of contacts, accounts, deals and leads."""

from typing import Annotated

from aws_lambda_powertools.event_handler import Response
from aws_lambda_powertools.event_handler.openapi.params import Query

from rapport.activities.models import Activity, ActivityCreate, Interaction
from rapport.activities.service import TIMELINE_KINDS, activities
from rapport.api.http import PageOf, caller, create_app, create_once, entrypoint, page_response, record_response
from rapport.api.records import IdempotencyKey, RecordIdParam, responses
from rapport.dal.keys import Kind
from rapport.pagination import DEFAULT_LIMIT, MAX_LIMIT

Limit = Annotated[int, Query(ge=1, le=MAX_LIMIT, description="Page size")]
Cursor = Annotated[str | None, Query(max_length=2048, description="next_cursor of the previous page")]

app = create_app()


@app.post(
    "/activities",
    tags=["activities"],
    operation_id="createActivity",
    summary="Log an activity (call, email, meeting, note, sms, visit, web) on the records it concerns",
    responses=responses(201, Activity, 409),
    status_code=201,
)
def create_activity(body: ActivityCreate, idempotency_key: IdempotencyKey = None) -> Response[Activity]:
    return create_once(
        app,
        idempotency_key,
        lambda: activities.create(caller(app), body),
        lambda activity: f"/activities/{activity.id}",
        lambda activity_id: activities.get(caller(app), activity_id),
    )


@app.get(
    "/activities/<record_id>",
    tags=["activities"],
    operation_id="getActivity",
    summary="Read an activity",
    responses=responses(200, Activity),
)
def get_activity(record_id: RecordIdParam) -> Response[Activity]:
    return record_response(activities.get(caller(app), record_id))


def _timeline_route(kind: Kind) -> None:
    resource = f"{kind.label}s"

    def timeline(
        record_id: RecordIdParam, limit: Limit = DEFAULT_LIMIT, cursor: Cursor = None
    ) -> Response[PageOf[Interaction]]:
        return page_response(activities.timeline(caller(app), kind, record_id, limit=limit, cursor=cursor))

    app.get(
        f"/{resource}/<record_id>/timeline",
        tags=["activities"],
        operation_id=f"list{kind.label.capitalize()}Timeline",
        summary=f"A {kind.label}'s interactions, newest first",
        responses=responses(200, PageOf[Interaction]),
    )(timeline)


for timeline_kind in TIMELINE_KINDS:
    _timeline_route(timeline_kind)


lambda_handler = entrypoint(app)
