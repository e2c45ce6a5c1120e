"""Segments API: /segments, a segment's members, and a static segment's members changed by hand."""

from typing import Any

from aws_lambda_powertools.event_handler import Response

from rapport.api.http import JSON, PageOf, caller, create_app, entrypoint, page_response
from rapport.api.records import Cursor, Limit, RecordIdParam, Trash, register_record_routes, responses
from rapport.pagination import DEFAULT_LIMIT
from rapport.segments.models import Member, MembersChange, MembersChanged, Segment, SegmentCreate, SegmentPatch
from rapport.segments.service import segments

TAGS = ["segments"]
app = create_app()
register_record_routes(app, segments, SegmentCreate, SegmentPatch, Segment)


@app.get(
    "/segments",
    tags=TAGS,
    operation_id="listSegments",
    summary="The segments by name, or the trash",
    description="Read a segment for its member count and its fill's progress.",
    responses=responses(200, PageOf[Segment]),
)
def list_segments(
    deleted: Trash = False, limit: Limit = DEFAULT_LIMIT, cursor: Cursor = None
) -> Response[PageOf[Segment]]:
    return page_response(segments.search(caller(app), deleted=deleted, limit=limit, cursor=cursor))


@app.get(
    "/segments/<record_id>/members",
    tags=TAGS,
    operation_id="listSegmentMembers",
    summary="The segment's members, by contact id",
    responses=responses(200, PageOf[Member]),
)
def list_segment_members(
    record_id: RecordIdParam, limit: Limit = DEFAULT_LIMIT, cursor: Cursor = None
) -> Response[PageOf[Member]]:
    return page_response(segments.members(caller(app), record_id, limit=limit, cursor=cursor))


@app.post(
    "/segments/<record_id>/members",
    tags=TAGS,
    operation_id="changeSegmentMembers",
    summary="Add contacts to a static segment and take others out",
    description="At most 25 contacts a request, all in one transaction; a dynamic segment's members follow its "
    "filter (409).",
    responses=responses(200, MembersChanged, 409),
)
def change_segment_members(record_id: RecordIdParam, body: MembersChange) -> Response[Any]:
    changed = segments.change_members(caller(app), record_id, body)
    return Response(status_code=200, content_type=JSON, body=changed.model_dump(mode="json"))


lambda_handler = entrypoint(app)
