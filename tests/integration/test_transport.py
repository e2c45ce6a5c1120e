"""The notifier's Transport on AWS (rapport.notifications.transport): what it asks SES and SNS for."""

from __future__ import annotations

from typing import Any

import pytest

from rapport import aws
from rapport.notifications.transport import AwsTransport, SmsType


@pytest.mark.parametrize(
    ("transport", "sent_as"),
    [(AwsTransport(), "Transactional"), (AwsTransport(SmsType.PROMOTIONAL), "Promotional")],
    ids=["the notifier's", "a campaign's"],
)
def test_a_text_goes_as_sns_s_transactional_or_promotional_type(transport: AwsTransport, sent_as: str) -> None:
    asked: list[dict[str, Any]] = []
    aws.reset()
    aws.client("sns").meta.events.register(
        "provide-client-params.sns.Publish", lambda params, **_: asked.append(params)
    )
    assert transport.send_sms("+14155550100", "Spring offers: 20 % off")
    [publish] = asked
    assert publish["PhoneNumber"] == "+14155550100"
    assert publish["MessageAttributes"]["AWS.SNS.SMS.SMSType"] == {"DataType": "String", "StringValue": sent_as}
    aws.reset()
