"""The notifier's Transport on AWS: SES from the stage's sender address, in its configuration set; SNS straight to
the phone number, as SNS's `Transactional` texts (the notifier's: delivery first) or `Promotional` ones (the
campaigns': SNS may favour cost, and the rules for marketing texts apply). SES's refusals become the port's:
`Throttled` for the sending rate (try later), `Rejected` for the recipient (never); any other failure raises as it
came."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from botocore.exceptions import ClientError  # type: ignore[import-untyped]

from rapport import aws, config
from rapport.notifications.notifier import Rejected, Throttled, mime_message

THROTTLING = frozenset({"Throttling", "ThrottlingException", "TooManyRequestsException"})
REJECTED = frozenset({"MessageRejected", "InvalidParameterValue", "MailFromDomainNotVerifiedException"})
SMS_RATE = 20.0  # SNS's default SMS sending rate per second (no API says the account's)


@contextmanager
def _refusals() -> Iterator[None]:
    try:
        yield
    except ClientError as error:
        code = error.response.get("Error", {}).get("Code", "")
        message = error.response.get("Error", {}).get("Message", "")
        if code in THROTTLING or "rate exceeded" in message.lower():
            raise Throttled(message or code) from error
        if code in REJECTED:
            raise Rejected(message or code) from error
        raise


class SmsType(StrEnum):
    TRANSACTIONAL = "Transactional"
    PROMOTIONAL = "Promotional"


@dataclass(frozen=True)
class AwsTransport:
    sms_type: SmsType = SmsType.TRANSACTIONAL

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
        with _refusals():
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
        with _refusals():
            response = aws.client("sns").publish(
                PhoneNumber=to,
                Message=text,
                MessageAttributes={"AWS.SNS.SMS.SMSType": {"DataType": "String", "StringValue": str(self.sms_type)}},
            )
        return str(response["MessageId"])


def max_send_rate(channel: str) -> float:
    """Messages per second the account may send on `channel`: SES's quota for email (GetSendQuota)."""
    if channel != "email":
        return SMS_RATE
    return float(aws.client("ses").get_send_quota()["MaxSendRate"])
