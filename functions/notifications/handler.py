"""Notifications API: /notification-templates, what Rapport's emails and texts say, per tenant, and
/notification-settings, the time zone and locale customers' messages are written in."""

from typing import Annotated, Any

from aws_lambda_powertools.event_handler import Response
from aws_lambda_powertools.event_handler.openapi.params import Path
from pydantic import BaseModel

from rapport.api.http import JSON, caller, create_app, entrypoint, etag, expected_version
from rapport.api.records import IfMatch, responses
from rapport.api.settings import register_settings_routes
from rapport.notifications.catalog import Channel
from rapport.notifications.models import NotificationTemplate, Preview, PreviewRequest, TemplateContent
from rapport.notifications.settings import NOTIFICATION_SETTINGS
from rapport.notifications.templates import get_template, list_templates, preview, save_template

TAGS = ["notifications"]
app = create_app()
TemplateName = Annotated[str, Path(min_length=1, max_length=64, pattern=r"^[a-z][a-z0-9_]*$")]
ChannelParam = Annotated[Channel, Path(description="email or sms")]


class NotificationTemplates(BaseModel):
    items: list[NotificationTemplate]


@app.get(
    "/notification-templates",
    tags=TAGS,
    operation_id="listNotificationTemplates",
    summary="Every template name and channel: the tenant's own, or the defaults",
    responses=responses(200, NotificationTemplates),
)
def list_notification_templates() -> Response[NotificationTemplates]:
    return _ok(NotificationTemplates(items=list_templates(caller(app))))


@app.get(
    "/notification-templates/<name>/<channel>",
    tags=TAGS,
    operation_id="getNotificationTemplate",
    summary="A template for one channel (the default, version 0, until the tenant saves its own)",
    responses=responses(200, NotificationTemplate),
)
def get_notification_template(name: TemplateName, channel: ChannelParam) -> Response[NotificationTemplate]:
    return _template_response(get_template(caller(app), name, channel))


@app.put(
    "/notification-templates/<name>/<channel>",
    tags=TAGS,
    operation_id="putNotificationTemplate",
    summary="Save the tenant's template for one channel",
    description="Placeholders are `{{ name }}` or `{{ name.field }}` from the template's `variables`; any other "
    "is a 422 naming it. Email needs `subject` and `text` (`html` optional, values are HTML-escaped in it); SMS "
    'takes `text` only, at most 1600 characters. If-Match with the ETag read is required (`"0"` while the default '
    "applies): 428 without, 412 when stale.",
    responses=responses(200, NotificationTemplate, 412, 428),
)
def put_notification_template(
    name: TemplateName, channel: ChannelParam, body: TemplateContent, if_match: IfMatch = None
) -> Response[NotificationTemplate]:
    version = expected_version(if_match, required=False)
    return _template_response(save_template(caller(app), name, channel, body, version))


@app.post(
    "/notification-templates/<name>/<channel>/preview",
    tags=TAGS,
    operation_id="previewNotificationTemplate",
    summary="Render the template (or a draft) with a sample context",
    description="Without `context`, the template's sample context. With `template`, renders that draft instead "
    "of the saved one, checked as a save would check it. Nothing is sent or saved.",
    responses=responses(200, Preview),
)
def preview_notification_template(name: TemplateName, channel: ChannelParam, body: PreviewRequest) -> Response[Preview]:
    return _ok(preview(caller(app), name, channel, body))


def _ok(body: BaseModel) -> Response[Any]:
    return Response(status_code=200, content_type=JSON, body=body.model_dump(mode="json"))


def _template_response(document: NotificationTemplate) -> Response[Any]:
    return Response(
        status_code=200,
        content_type=JSON,
        body=document.model_dump(mode="json"),
        headers={"ETag": etag(document.version)},
    )


register_settings_routes(
    app,
    NOTIFICATION_SETTINGS,
    "/notification-settings",
    tag="notifications",
    name="NotificationSettings",
    reads="The time zone and locale customers' messages are written in (UTC and en-US until set)",
    replaces="Replace the time zone and locale of customers' messages (admin, manager)",
)


lambda_handler = entrypoint(app)
