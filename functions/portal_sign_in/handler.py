"""The customer pool's triggers: a customer signs up and in to the portal by a code mailed to them
(rapport.portal.sign_in). Cognito calls it synchronously; what it refuses, Cognito refuses."""

from typing import Any

from aws_lambda_powertools import Logger
from aws_lambda_powertools.utilities.typing import LambdaContext

from rapport import aws, config
from rapport.dal import tenancy
from rapport.portal import sign_in

logger = Logger()
SUBJECT = "Your sign-in code"


class SesCodeMailer:
    """Sends the code through SES, from the stack's sender address."""

    def send_code(self, to: str, code: str) -> None:
        text = (
            f"Your code to sign in is {code}. It works once, for three minutes. If you did not ask for it, ignore this."
        )
        aws.client("ses").send_email(
            Source=config.current().require("sender_email"),
            Destination={"ToAddresses": [to]},
            Message={"Subject": {"Data": SUBJECT}, "Body": {"Text": {"Data": text}}},
        )


@logger.inject_lambda_context
@tenancy.fenced()
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    return sign_in.handle(event, SesCodeMailer())
