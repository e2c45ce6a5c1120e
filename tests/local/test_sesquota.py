"""moto's SES holding to a sending quota (local/sesquota.py), tested under the name of the moto behaviour each patch
replaces; and `rapport local --ses-max-send-rate`, whose SES answers and enforces it over HTTP."""

from __future__ import annotations

import socket
from collections.abc import Iterator
from email.message import EmailMessage
from typing import Any

import boto3  # type: ignore[import-untyped]
import pytest
from botocore.config import Config  # type: ignore[import-untyped]
from botocore.exceptions import ClientError  # type: ignore[import-untyped]
from moto import mock_aws
from moto.core.models import DEFAULT_ACCOUNT_ID
from moto.ses.models import ses_backends

from local import sesquota
from local.cli import _parser
from local.runtime.aws import EmbeddedAws

REGION = "eu-west-1"
SENDER = "news@rapport.example"
# pytest resets warning filters per test: the one local.sesquota sets when it patches moto is set for each here.
pytestmark = pytest.mark.filterwarnings("ignore:Exception\\(Throttling\\) with code Throttling :UserWarning")
NO_RETRIES = Config(retries={"mode": "standard", "total_max_attempts": 1})  # see each refusal, as botocore retries


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def clock(monkeypatch: pytest.MonkeyPatch) -> Clock:
    fixed = Clock()
    monkeypatch.setattr(sesquota, "clock", fixed)
    return fixed


@pytest.fixture
def ses() -> Iterator[Any]:
    with mock_aws():
        client = boto3.client("ses", region_name=REGION, config=NO_RETRIES)
        client.verify_email_identity(EmailAddress=SENDER)
        yield client
    sesquota.set_max_send_rate(None)


def _send(ses: Any, *to: str) -> str:
    message = {"Subject": {"Data": "Offers"}, "Body": {"Text": {"Data": "20 % off"}}}
    return str(ses.send_email(Source=SENDER, Destination={"ToAddresses": list(to)}, Message=message)["MessageId"])


def _send_raw(ses: Any, to: str, cc: str | None = None) -> None:
    message = EmailMessage()
    message["From"], message["To"], message["Subject"] = SENDER, to, "Offers"
    if cc:
        message["Cc"] = cc
    message.set_content("20 % off")
    ses.send_raw_email(Source=SENDER, RawMessage={"Data": message.as_bytes()})


def _sent() -> int:
    return len(ses_backends[DEFAULT_ACCOUNT_ID][REGION].sent_messages)


def _refusal(error: pytest.ExceptionInfo[ClientError]) -> tuple[str, str, int]:
    response = error.value.response
    return response["Error"]["Code"], response["Error"]["Message"], response["ResponseMetadata"]["HTTPStatusCode"]


# send_quota_is_one_a_second


def test_send_quota_is_one_a_second(ses: Any) -> None:
    assert ses.get_send_quota()["MaxSendRate"] == 1.0  # moto's, while no rate is set
    sesquota.set_max_send_rate(50)
    quota = ses.get_send_quota()
    assert quota["MaxSendRate"] == 50.0
    assert quota["Max24HourSend"] == 200.0  # moto's: the daily quota is not enforced


def test_the_campaign_sender_paces_itself_by_the_rate_set(ses: Any) -> None:
    from rapport import aws
    from rapport.notifications.transport import max_send_rate

    aws.reset()
    with sesquota.send_quota(12.5):
        assert max_send_rate("email") == 12.5
    assert max_send_rate("email") == 1.0  # the block's rate is gone with it
    aws.reset()


# sends_are_never_throttled


def test_sends_are_never_throttled(ses: Any, clock: Clock) -> None:
    for index in range(20):
        _send(ses, f"p{index}@example.com")  # moto's: no rate set, nothing refused
    sesquota.set_max_send_rate(3)
    _send(ses, "a@example.com")
    _send(ses, "b@example.com", "c@example.com")  # recipients count, not messages
    with pytest.raises(ClientError) as refused:
        _send(ses, "d@example.com")
    assert _refusal(refused) == ("Throttling", "Maximum sending rate exceeded.", 400)
    assert _sent() == 22 and sesquota.throttled() == 1  # nothing sent
    clock.now += 0.99
    with pytest.raises(ClientError):
        _send(ses, "d@example.com")  # still within the second of the first three
    clock.now += 0.02
    _send(ses, "d@example.com")
    assert _sent() == 23 and sesquota.throttled() == 2


def test_a_raw_email_counts_its_to_and_cc(ses: Any, clock: Clock) -> None:
    sesquota.set_max_send_rate(2)
    _send_raw(ses, "a@example.com", cc="b@example.com")
    with pytest.raises(ClientError) as refused:
        _send_raw(ses, "c@example.com")
    assert _refusal(refused)[0] == "Throttling"
    clock.now += 1.0
    _send_raw(ses, "c@example.com")


def test_a_send_moto_refuses_otherwise_takes_no_room(ses: Any, clock: Clock) -> None:
    sesquota.set_max_send_rate(1)
    message = {"Subject": {"Data": "Offers"}, "Body": {"Text": {"Data": "20 % off"}}}
    with pytest.raises(ClientError) as refused:
        ses.send_email(Source="stranger@else.example", Destination={"ToAddresses": ["a@example.com"]}, Message=message)
    assert _refusal(refused)[0] == "MessageRejected"
    _send(ses, "a@example.com")  # the second is still free


def test_below_one_a_second_the_window_is_longer(ses: Any, clock: Clock) -> None:
    sesquota.set_max_send_rate(0.5)
    _send(ses, "a@example.com")
    clock.now += 1.5
    with pytest.raises(ClientError):
        _send(ses, "b@example.com")
    clock.now += 0.6
    _send(ses, "b@example.com")


# rapport local --ses-max-send-rate


def test_rapport_local_takes_the_rate_from_its_option_or_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("RAPPORT_SES_MAX_SEND_RATE", raising=False)
    assert _parser().parse_args(["local"]).ses_max_send_rate is None  # `make dev` as it was
    assert _parser().parse_args(["local", "--ses-max-send-rate", "50"]).ses_max_send_rate == 50.0
    monkeypatch.setenv("RAPPORT_SES_MAX_SEND_RATE", "14")
    assert _parser().parse_args(["local"]).ses_max_send_rate == 14.0
    with pytest.raises(SystemExit):
        _parser().parse_args(["local", "--ses-max-send-rate", "0"])


def test_the_local_aws_endpoint_answers_and_enforces_the_rate() -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    embedded = EmbeddedAws(port, REGION, ses_max_send_rate=4)
    embedded.start()
    try:
        ses = boto3.client(
            "ses", endpoint_url=embedded.endpoint, region_name=REGION, config=NO_RETRIES, aws_access_key_id="x",
            aws_secret_access_key="x",
        )  # fmt: skip
        ses.verify_email_identity(EmailAddress=SENDER)
        assert ses.get_send_quota()["MaxSendRate"] == 4.0
        refusals = []
        for index in range(12):  # far faster than 4 a second
            try:
                _send(ses, f"p{index}@example.com")
            except ClientError as error:
                refusals.append(error.response["Error"]["Code"])
        assert refusals and set(refusals) == {"Throttling"} and len(refusals) >= 12 - 8
    finally:
        embedded.stop()
    assert sesquota.max_send_rate() is None  # stopped: moto's SES as it was
