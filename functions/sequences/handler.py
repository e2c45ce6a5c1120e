"""Sequences API: /sequences, activating and pausing them, their enrollments (enroll, end one) and report."""

from typing import Annotated, Any

from aws_lambda_powertools.event_handler import Response
from aws_lambda_powertools.event_handler.openapi.params import Path

from rapport.api.http import (
    JSON,
    PageOf,
    caller,
    create_app,
    entrypoint,
    page_response,
)
from rapport.api.records import (
    Cursor,
    Limit,
    RecordIdParam,
    StatusMove,
    Trash,
    register_moves,
    register_record_routes,
    responses,
)
from rapport.campaigns.sequences.models import (
    Enroll,
    Enrolled,
    Enrollment,
    Sequence,
    SequenceCreate,
    SequencePatch,
    SequenceReport,
)
from rapport.campaigns.sequences.runs import start_execution
from rapport.campaigns.sequences.service import sequences
from rapport.pagination import DEFAULT_LIMIT
from rapport.types import RECORD_ID_PATTERN

TAGS = ["sequences"]
app = create_app()
register_record_routes(app, sequences, SequenceCreate, SequencePatch, Sequence)
ContactIdParam = Annotated[
    str, Path(min_length=1, max_length=64, pattern=RECORD_ID_PATTERN, description="The contact's id")
]


@app.get(
    "/sequences",
    tags=TAGS,
    operation_id="listSequences",
    summary="The sequences by name, or the trash",
    responses=responses(200, PageOf[Sequence]),
)
def list_sequences(
    deleted: Trash = False, limit: Limit = DEFAULT_LIMIT, cursor: Cursor = None
) -> Response[PageOf[Sequence]]:
    return page_response(sequences.search(caller(app), deleted=deleted, limit=limit, cursor=cursor))


register_moves(
    app,
    sequences,
    Sequence,
    [
        StatusMove(
            "activate",
            "Start enrolling (by hand, and from its segment) and taking enrollments through the steps",
            sequences.activate,
            "A draft or a paused sequence. With an email step it needs the marketing settings' postal_address (409 "
            "without).",
        ),
        StatusMove(
            "pause",
            "Hold every enrollment where it is until the sequence is active again; it becomes editable",
            sequences.pause,
            "Enrollments look again every 15 minutes while it is paused, so they go on within that time of activating "
            "it.",
        ),
    ],
)


@app.post(
    "/sequences/<record_id>/enrollments",
    tags=TAGS,
    operation_id="enrollInSequence",
    summary="Enroll contacts: each starts at the first step; a contact goes through a sequence once",
    responses=responses(200, Enrolled, 409),
)
def enroll(record_id: RecordIdParam, body: Enroll) -> Response[Any]:
    enrolled = sequences.enroll(caller(app), record_id, body.contact_ids, start_execution)
    return Response(status_code=200, content_type=JSON, body=enrolled.model_dump(mode="json"))


@app.get(
    "/sequences/<record_id>/enrollments",
    tags=TAGS,
    operation_id="listSequenceEnrollments",
    summary="Its enrollments by contact id: where each is, or how it ended",
    responses=responses(200, PageOf[Enrollment]),
)
def list_enrollments(
    record_id: RecordIdParam, limit: Limit = DEFAULT_LIMIT, cursor: Cursor = None
) -> Response[PageOf[Enrollment]]:
    return page_response(sequences.enrollments(caller(app), record_id, limit=limit, cursor=cursor))


@app.post(
    "/sequences/<record_id>/enrollments/<contact_id>/end",
    tags=TAGS,
    operation_id="endSequenceEnrollment",
    summary="End a contact's enrollment now: nothing more is sent to it by this sequence",
    responses=responses(200, Enrollment, 409),
)
def end_enrollment(record_id: RecordIdParam, contact_id: ContactIdParam) -> Response[Any]:
    ended = sequences.end_enrollment(caller(app), record_id, contact_id)
    return Response(status_code=200, content_type=JSON, body=ended.model_dump(mode="json"))


@app.get(
    "/sequences/<record_id>/report",
    tags=TAGS,
    operation_id="getSequenceReport",
    summary="Its enrollments (active, completed, exited and why) and each step's sends, opens, clicks and branches",
    responses=responses(200, SequenceReport),
)
def get_sequence_report(record_id: RecordIdParam) -> SequenceReport:
    return sequences.report(caller(app), record_id)


lambda_handler = entrypoint(app)
