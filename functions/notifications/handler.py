"""Notifications API: /notification-templates, what Rapport's emails and texts say, per tenant, and
/notification-settings, the time zone and locale customers' messages are written in."""

from typing import Annotated, Any

from aws_lambda_powertools.event_handler import Response
from aws_lambda_powertools.event_handler.openapi.params import Path

from rapport.api.http import JSON, caller, create_app, entrypoint
from rapport.api.records import responses
from rapport.api.settings import register_settings_routes
from rapport.notifications.catalog import Channel
from rapport.notifications.models import Preview, PreviewRequest
from rapport.notifications.settings import NOTIFICATION_SETTINGS
from rapport.notifications.templates import TEMPLATES_DOCUMENT, preview

TAGS = ["notifications"]
app = create_app()
TemplateName = Annotated[str, Path(min_length=1, max_length=64, pattern=r"^[a-z][a-z0-9_]*$")]
ChannelParam = Annotated[Channel, Path(description="email or sms")]


register_settings_routes(
    app,
    TEMPLATES_DOCUMENT,
    "/notification-templates/<name>/<channel>",
    tag="notifications",
    name="NotificationTemplate",
    reads="A template for one channel (the default, version 0, until the tenant saves its own)",
    replaces="Save the tenant's template for one channel",
    description="Placeholders are `{{ name }}` or `{{ name.field }}` from the template's `variables`; any other "
    "is a 422 naming it. Email needs `subject` and `text` (`html` optional, values are HTML-escaped in it); SMS "
    "takes `text` only, at most 1600 characters.",
    keyed_by={"name": TemplateName, "channel": ChannelParam},
    collection="/notification-templates",
)


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
    rendered: Response[Any] = Response(
        status_code=200, content_type=JSON, body=preview(caller(app), name, channel, body).model_dump(mode="json")
    )
    return rendered


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
