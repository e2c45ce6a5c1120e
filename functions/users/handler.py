"""Users API: staff profiles (/users), the tenant's /assignment-rules, and POST /leads/{id}/assign."""

import json
import re
from typing import Annotated, Any

from aws_lambda_powertools.event_handler import Response
from aws_lambda_powertools.event_handler.openapi.params import Query

from rapport import aws, config
from rapport.api.http import (
    JSON,
    PageOf,
    caller,
    create_app,
    entrypoint,
    expected_version,
    merge_patch_of,
    page_response,
    record_response,
)
from rapport.api.records import Cursor, IfMatch, Limit, RecordIdParam, responses
from rapport.api.settings import register_settings_routes
from rapport.assignment.models import AssignRequested
from rapport.assignment.settings import ASSIGNMENT_RULES
from rapport.pagination import DEFAULT_LIMIT
from rapport.users.models import AvailabilityPatch, User, UserProfile
from rapport.users.service import users

app = create_app()
_EXECUTION_NAME = re.compile(r"[^A-Za-z0-9_-]")


def _sfn() -> Any:
    return aws.client("stepfunctions")


@app.get(
    "/users",
    tags=["users"],
    operation_id="listUsers",
    summary="List staff users by name, or one team's",
    responses=responses(200, PageOf[User]),
)
def list_users(
    team: Annotated[str | None, Query(min_length=1, max_length=64, pattern=r"^[A-Za-z0-9_.-]+$")] = None,
    limit: Limit = DEFAULT_LIMIT,
    cursor: Cursor = None,
) -> Response[PageOf[User]]:
    return page_response(users.search(caller(app), team=team, limit=limit, cursor=cursor))


@app.get(
    "/users/<record_id>",
    tags=["users"],
    operation_id="getUser",
    summary="A staff user's profile",
    responses=responses(200, User),
)
def get_user(record_id: RecordIdParam) -> Response[User]:
    return record_response(users.get(caller(app), record_id))


@app.put(
    "/users/<record_id>",
    tags=["users"],
    operation_id="putUser",
    summary="Create or replace a staff user's profile (the id is the user's token subject)",
    description="Admins set everything on anyone's profile; a manager sets up and changes the profiles of their "
    "team (users whose team is the manager's), but not an existing profile's email, phone, notify_by or time_zone: "
    "those are the user's own (or an admin's) to change. Without If-Match it creates (201); replacing needs "
    "If-Match (412 when stale, 428 when missing).",
    responses={**responses(200, User, 412, 428), 201: {"description": "Created", "content": {JSON: {"model": User}}}},
)
def put_user(record_id: RecordIdParam, body: UserProfile, if_match: IfMatch = None) -> Response[User]:
    user, created = users.put(caller(app), record_id, body, expected_version(if_match, required=False))
    if created:
        return record_response(user, 201, {"Location": f"/users/{user.id}"})
    return record_response(user)


@app.patch(
    "/users/<record_id>/availability",
    tags=["users"],
    operation_id="setUserAvailability",
    summary="Set, change or clear the window a user is away (takes no new leads)",
    description="The user themselves, their team's manager or an admin, with a JSON merge patch: "
    '`{"away": {"from", "until"}}` sets the window (or changes the member sent), `{"away": null}` clears it. '
    "If-Match is optional here.",
    responses=responses(200, User, 412),
)
def set_availability(
    record_id: RecordIdParam,
    body: AvailabilityPatch,
    if_match: IfMatch = None,
) -> Response[User]:
    version = expected_version(if_match, required=False)
    return record_response(users.set_availability(caller(app), record_id, merge_patch_of(body), version))


register_settings_routes(
    app,
    ASSIGNMENT_RULES,
    "/assignment-rules",
    tag="users",
    name="AssignmentRules",
    reads="The tenant's lead assignment rules (empty, version 0, until saved)",
    replaces="Replace the tenant's lead assignment rules",
    description="Territory rules in order (the first matching the lead's country, industry and source picks the "
    "team), the default team, each team's reps in round-robin order, the response SLA and the reassignment cap.",
)


@app.post(
    "/leads/<record_id>/assign",
    tags=["users"],
    operation_id="assignLead",
    summary="Have an unowned, open lead assigned by the rules now",
    description="Starts the lead assignment workflow (the one a new lead starts): 202 with its execution. A lead "
    "that has an owner is a 409.",
    responses=responses(202, AssignRequested, 409),
    status_code=202,
)
def assign_lead(record_id: RecordIdParam) -> Response[Any]:
    # The assignment engine reads leads, tasks and users: loaded by the requests that assign, not by every cold
    # start of the users API.
    from rapport.assignment.service import check_assignable

    who = caller(app)
    check_assignable(who, record_id)
    request_id = app.current_event.request_context.request_id or ""
    name = _EXECUTION_NAME.sub("-", f"{record_id}-{request_id}")[:80]
    started = _sfn().start_execution(
        stateMachineArn=config.current().require("assignment_state_machine_arn"),
        name=name,
        input=json.dumps({"tenant_id": who.tenant_id, "lead_id": record_id, "requested_by": who.user_id}),
    )
    body = AssignRequested(lead_id=record_id, execution_arn=started["executionArn"])
    return Response(status_code=202, content_type=JSON, body=body.model_dump(mode="json"))


lambda_handler = entrypoint(app)
