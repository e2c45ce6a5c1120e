"""Notifier: `notification.requested` events from the Rapport bus in, emails (SES) and texts (SNS) out.

A send failure raises: the asynchronous invocation fails, Lambda retries it, then it goes to the dead-letter
queue with the event whole. What was skipped, and why, is logged; a request that lacks a value its template
requires is logged as an error (whoever sent it must fix it) and recorded, never retried. Links in messages go
under the stage's app URL (`APP_URL`).
"""

from collections.abc import Mapping
from typing import Any

from aws_lambda_powertools import Logger
from aws_lambda_powertools.utilities.typing import LambdaContext
from pydantic import ValidationError

from rapport import aws, config
from rapport.dal import tenancy
from rapport.notifications.notifier import NOT_SENT, mime_message, notify
from rapport.notifications.requests import NotificationRequest

logger = Logger()


class AwsTransport:
    """SES from the stage's sender address, in its configuration set; SNS straight to the phone number."""

    def send_email(
        self,
        to: str,
        subject: str,
        text: str,
        html: str | None,
        tags: Mapping[str, str],
        headers: Mapping[str, str],
    ) -> str:
        """SES `SendEmail`; with `headers` (a marketing email's List-Unsubscribe), `SendRawEmail` of the MIME
        message, since SendEmail sets no header of ours."""
        settings = config.current()
        sender = settings.require("sender_email")
        options: dict[str, Any] = {"Tags": [{"Name": name, "Value": value} for name, value in tags.items()]}
        if settings.ses_configuration_set:
            options["ConfigurationSetName"] = settings.ses_configuration_set
        if headers:
            raw = mime_message(sender, to, subject, text, html, headers)
            # No Destinations: SES sends to the message's To header, as it does to given ones (not both).
            response = aws.client("ses").send_raw_email(Source=sender, RawMessage={"Data": raw}, **options)
            return str(response["MessageId"])
        body: dict[str, Any] = {"Text": {"Data": text, "Charset": "UTF-8"}}
        if html is not None:
            body["Html"] = {"Data": html, "Charset": "UTF-8"}
        response = aws.client("ses").send_email(
            Source=sender,
            Destination={"ToAddresses": [to]},
            Message={"Subject": {"Data": subject, "Charset": "UTF-8"}, "Body": body},
            **options,
        )
        return str(response["MessageId"])

    def send_sms(self, to: str, text: str) -> str:
        response = aws.client("sns").publish(
            PhoneNumber=to,
            Message=text,
            MessageAttributes={"AWS.SNS.SMS.SMSType": {"DataType": "String", "StringValue": "Transactional"}},
        )
        return str(response["MessageId"])


@logger.inject_lambda_context
@tenancy.fenced()
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    try:
        request = NotificationRequest.model_validate(event.get("detail"))
    except ValidationError as error:
        # Retrying cannot make it valid: logged whole, for whoever sent it, and dropped.
        logger.error("not a notification request", extra={"event": event, "errors": error.errors()})
        return {"outcomes": [], "error": "invalid request"}
    logger.append_keys(tenant_id=request.tenant_id, dedupe_key=request.dedupe_key, template=request.template)
    with tenancy.tenant_scope(request.tenant_id):
        outcomes = notify(request, AwsTransport(), app_url=config.current().require("app_url"))
    for outcome in outcomes:
        level = {"sent": logger.info, NOT_SENT: logger.error}.get(outcome.status, logger.warning)
        level(
            f"notification {outcome.status}",
            extra={"channel": outcome.channel, "reason": outcome.reason, "message_id": outcome.message_id},
        )
    return {"outcomes": [outcome._asdict() for outcome in outcomes]}
