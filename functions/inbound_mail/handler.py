"""Inbound support mail: SES stores each email to a support address in the inbound mail bucket (its receipt rule's
S3 action), then invokes this function with the email's notification; the email is read back from the bucket and
opens a case or answers one (rapport.cases.mailbox). The local runtime's `rapport mail receive` does the same."""

from typing import Any

from aws_lambda_powertools import Logger
from aws_lambda_powertools.utilities.typing import LambdaContext

from rapport import aws, config
from rapport.cases import mailbox
from rapport.cases.mail import Attachment
from rapport.dal import tenancy

logger = Logger()
RAW_PREFIX = "mail/"  # where the receipt rule's S3 action puts each email, by its SES message id


class BucketAttachments:
    """Attachments kept in the inbound mail bucket."""

    def __init__(self, bucket: str) -> None:
        self.bucket = bucket

    def keep(self, key: str, attachment: Attachment) -> None:
        aws.client("s3").put_object(
            Bucket=self.bucket, Key=key, Body=attachment.content, ContentType=attachment.content_type
        )


def raw_email(bucket: str, ses_message_id: str) -> bytes:
    body = aws.client("s3").get_object(Bucket=bucket, Key=f"{RAW_PREFIX}{ses_message_id}")["Body"]
    return bytes(body.read())


@logger.inject_lambda_context
@tenancy.fenced()
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    settings = config.current()
    bucket = settings.require("inbound_mail_bucket")
    own = frozenset({settings.require("sender_email").lower()})
    outcomes = []
    for record in event["Records"]:
        notification = record["ses"]
        received = mailbox.receive(
            raw_email(bucket, notification["mail"]["messageId"]),
            envelope=tuple(notification["receipt"]["recipients"]),
            domain=settings.require("inbound_mail_domain"),
            own=own,
            attachments=BucketAttachments(bucket),
        )
        logger.info(f"email {received.outcome}", extra=received._asdict())
        outcomes.append(received._asdict())
    return {"outcomes": outcomes}
