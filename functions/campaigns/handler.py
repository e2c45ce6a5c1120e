"""Campaigns API: /campaigns, their life cycle (schedule, pause, resume, cancel), test copies, report and sends."""

from typing import Annotated, Any

from aws_lambda_powertools.event_handler import Response
from aws_lambda_powertools.event_handler.openapi.params import Query

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
from rapport.campaigns.models import (
    AttributionModel,
    Campaign,
    CampaignCreate,
    CampaignPatch,
    CampaignReport,
    SampleSend,
    SampleSent,
    Send,
)
from rapport.campaigns.runs import start_execution
from rapport.campaigns.service import campaigns
from rapport.notifications.transport import AwsTransport, SmsType
from rapport.pagination import DEFAULT_LIMIT

TAGS = ["campaigns"]
app = create_app()
register_record_routes(app, campaigns, CampaignCreate, CampaignPatch, Campaign)


@app.get(
    "/campaigns",
    tags=TAGS,
    operation_id="listCampaigns",
    summary="The campaigns by name, or the trash",
    responses=responses(200, PageOf[Campaign]),
)
def list_campaigns(
    deleted: Trash = False, limit: Limit = DEFAULT_LIMIT, cursor: Cursor = None
) -> Response[PageOf[Campaign]]:
    return page_response(campaigns.search(caller(app), deleted=deleted, limit=limit, cursor=cursor))


register_moves(
    app,
    campaigns,
    Campaign,
    [
        StatusMove(
            "schedule",
            "Send a draft at its send_at (at once without one)",
            lambda who, campaign_id, version: campaigns.schedule(who, campaign_id, version, start_execution),
            "An email campaign needs the marketing settings' postal_address (409 without). Scheduling a scheduled "
            "campaign again changes nothing.",
        ),
        StatusMove(
            "pause", "Stop a scheduled or sending campaign before its next batch; it becomes editable", campaigns.pause
        ),
        StatusMove(
            "resume",
            "Go on with a paused campaign: those already sent to get nothing twice",
            lambda who, campaign_id, version: campaigns.resume(who, campaign_id, version, start_execution),
        ),
        StatusMove("cancel", "Stop a campaign for good; what went out stays in its report", campaigns.cancel),
    ],
)


@app.post(
    "/campaigns/<record_id>/test",
    tags=TAGS,
    operation_id="testCampaign",
    summary="A copy to chosen staff users, its subject marked [Test]",
    description="Each user gets it at their profile's email (or phone, for SMS); the answer says who did not, and why.",
    responses=responses(200, SampleSent),
)
def test_campaign(record_id: RecordIdParam, body: SampleSend) -> Response[Any]:
    sent = campaigns.send_samples(caller(app), record_id, body, AwsTransport(SmsType.PROMOTIONAL))
    return Response(status_code=200, content_type=JSON, body=sent.model_dump(mode="json"))


@app.get(
    "/campaigns/<record_id>/report",
    tags=TAGS,
    operation_id="getCampaignReport",
    summary="What its runs did: sent, skipped at send time (and why in its sends), failed, delivered, opened, "
    "clicked, unsubscribed; the won deals and orders credited to it, their revenue, its cost and return",
    responses=responses(200, CampaignReport),
)
def get_campaign_report(
    record_id: RecordIdParam,
    attribution: Annotated[
        AttributionModel, Query(description="How conversions are credited: first_touch, last_touch or linear")
    ] = AttributionModel.LAST_TOUCH,
) -> CampaignReport:
    return campaigns.report(caller(app), record_id, attribution)


@app.get(
    "/campaigns/<record_id>/sends",
    tags=TAGS,
    operation_id="listCampaignSends",
    summary="Its sends by contact id, each with its status, why when skipped or failed, and its message id",
    responses=responses(200, PageOf[Send]),
)
def list_campaign_sends(
    record_id: RecordIdParam, limit: Limit = DEFAULT_LIMIT, cursor: Cursor = None
) -> Response[PageOf[Send]]:
    return page_response(campaigns.sends(caller(app), record_id, limit=limit, cursor=cursor))


lambda_handler = entrypoint(app)
