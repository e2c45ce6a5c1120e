"""Webhooks API: /webhooks, a webhook's secret rotation and its deliveries (admins only)."""

from typing import Annotated

from aws_lambda_powertools.event_handler import Response
from aws_lambda_powertools.event_handler.openapi.params import Path

from rapport.api.http import PageOf, caller, create_app, entrypoint, expected_version, page_response, record_response
from rapport.api.records import Cursor, IfMatch, Limit, RecordIdParam, register_record_routes, responses
from rapport.pagination import DEFAULT_LIMIT
from rapport.types import RECORD_ID_PATTERN
from rapport.webhooks.addresses import resolve_by_dns
from rapport.webhooks.models import Delivery, RotatedSecret, Webhook, WebhookCreate, WebhookPatch, WebhookWithSecret
from rapport.webhooks.runs import start_execution
from rapport.webhooks.service import WebhookService
from rapport.webhooks.store import listed

webhooks = WebhookService(resolve=resolve_by_dns)
app = create_app()
register_record_routes(app, webhooks, WebhookCreate, WebhookPatch, Webhook, skip=frozenset({"create"}))
DeliveryIdParam = Annotated[str, Path(min_length=1, max_length=64, pattern=RECORD_ID_PATTERN)]


@app.post(
    "/webhooks",
    tags=["webhooks"],
    operation_id="createWebhook",
    summary="Subscribe an https endpoint to events; the answer holds its signing secret, shown this once",
    responses=responses(201, WebhookWithSecret),
    status_code=201,
)
def create_webhook(body: WebhookCreate) -> Response[WebhookWithSecret]:
    webhook = webhooks.create_with_secret(caller(app), body)
    return record_response(webhook, 201, {"Location": f"/webhooks/{webhook.id}"})


@app.get(
    "/webhooks",
    tags=["webhooks"],
    operation_id="listWebhooks",
    summary="The tenant's webhooks, oldest first",
    responses=responses(200, PageOf[Webhook]),
)
def list_webhooks(limit: Limit = DEFAULT_LIMIT, cursor: Cursor = None) -> Response[PageOf[Webhook]]:
    who = caller(app)
    return page_response(webhooks.list(who, listed(who.tenant_id), limit=limit, cursor=cursor, bound_to={}))


@app.post(
    "/webhooks/<record_id>/rotate-secret",
    tags=["webhooks"],
    operation_id="rotateWebhookSecret",
    summary="A new signing secret, shown this once; the previous one also signs for 24 hours",
    responses=responses(200, RotatedSecret, 409, 412),
)
def rotate_webhook_secret(record_id: RecordIdParam, if_match: IfMatch = None) -> RotatedSecret:
    version = expected_version(if_match, required=False)
    return webhooks.rotate_secret(caller(app), record_id, version)


@app.get(
    "/webhooks/<record_id>/deliveries",
    tags=["webhooks"],
    operation_id="listWebhookDeliveries",
    summary="A webhook's deliveries, newest first, each with its attempts and next attempt",
    responses=responses(200, PageOf[Delivery]),
)
def list_webhook_deliveries(
    record_id: RecordIdParam, limit: Limit = DEFAULT_LIMIT, cursor: Cursor = None
) -> Response[PageOf[Delivery]]:
    return page_response(webhooks.deliveries(caller(app), record_id, limit=limit, cursor=cursor))


@app.post(
    "/webhooks/<record_id>/deliveries/<delivery_id>/redeliver",
    tags=["webhooks"],
    operation_id="redeliverWebhookDelivery",
    summary="Queue a dead delivery again (same webhook-id), attempted for another 3 days",
    responses=responses(202, Delivery, 409),
    status_code=202,
)
def redeliver_webhook_delivery(record_id: RecordIdParam, delivery_id: DeliveryIdParam) -> Response[Delivery]:
    return Response(
        status_code=202,
        content_type="application/json",
        body=webhooks.redeliver(caller(app), record_id, delivery_id, start_execution),
    )


lambda_handler = entrypoint(app)
