"""What the stack makes at run time besides table items survives a restart (local/runtime/state.py)."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from pathlib import Path

import boto3  # type: ignore[import-untyped]
import pytest
from moto import mock_aws
from moto.core.models import DEFAULT_ACCOUNT_ID

from local.runtime.state import keep_api_keys, keep_outbox, report_lost_executions
from local.runtime.store import Database

REGION = "eu-west-1"


@pytest.fixture
def database(tmp_path: Path) -> Iterator[Database]:
    database = Database(tmp_path / "state.sqlite3")
    yield database
    database.close()


def test_api_keys_and_their_usage_plan_survive_a_restart(database: Database) -> None:
    with mock_aws():
        client = boto3.client("apigateway", region_name=REGION)
        plan = client.create_usage_plan(name="forms")["id"]
        stop = keep_api_keys(database, DEFAULT_ACCOUNT_ID, REGION, {"FormsPlan": plan})
        kept = client.create_api_key(name="form-1", enabled=True)
        client.create_usage_plan_key(usagePlanId=plan, keyId=kept["id"], keyType="API_KEY")
        revoked = client.create_api_key(name="form-2", enabled=True)
        client.delete_api_key(apiKey=revoked["id"])
        stop()
    with mock_aws():  # the next start: moto is empty, the usage plan gets another id
        client = boto3.client("apigateway", region_name=REGION)
        client.create_usage_plan(name="other")
        plan = client.create_usage_plan(name="forms")["id"]
        stop = keep_api_keys(database, DEFAULT_ACCOUNT_ID, REGION, {"FormsPlan": plan})
        keys = client.get_api_keys(includeValues=True)["items"]
        members = client.get_usage_plan_keys(usagePlanId=plan)["items"]
        stop()
    assert [(key["id"], key["value"], key["enabled"]) for key in keys] == [(kept["id"], kept["value"], True)]
    assert [member["id"] for member in members] == [kept["id"]]


def test_the_outbox_survives_a_restart(database: Database) -> None:
    def send(number: int) -> None:
        ses = boto3.client("ses", region_name=REGION)
        ses.verify_email_identity(EmailAddress="crm@rapport.example")
        ses.send_email(
            Source="crm@rapport.example",
            Destination={"ToAddresses": [f"ada{number}@example.com"]},
            Message={"Subject": {"Data": f"Hello {number}"}, "Body": {"Text": {"Data": "Hi"}}},
        )
        boto3.client("sns", region_name=REGION).publish(PhoneNumber="+14155550100", Message=f"SMS {number}")

    for number in range(2):
        with mock_aws():
            stop = keep_outbox(database, DEFAULT_ACCOUNT_ID, REGION)
            send(number)
            stop()
    with mock_aws():
        from moto.ses.models import ses_backends
        from moto.sns.models import sns_backends

        stop = keep_outbox(database, DEFAULT_ACCOUNT_ID, REGION)
        from moto.ses.models import Message

        emails = [message.subject for message in ses_backends[DEFAULT_ACCOUNT_ID][REGION].sent_messages]
        seen_by_the_moto_api = sum(1 for message in getattr(Message, "instances_tracked") if message.subject)  # noqa: B009
        sms = [message for _, message in sns_backends[DEFAULT_ACCOUNT_ID][REGION].sms_messages.values()]
        stop()
    assert emails == ["Hello 0", "Hello 1"]
    assert seen_by_the_moto_api == 2
    assert sms == ["SMS 0", "SMS 1"]


def test_an_execution_in_flight_at_a_stop_is_named_as_lost_at_the_next_start(
    database: Database, caplog: pytest.LogCaptureFixture
) -> None:
    definition = '{"StartAt": "Wait", "States": {"Wait": {"Type": "Wait", "Seconds": 3600, "End": true}}}'
    with mock_aws():
        stop = report_lost_executions(database, DEFAULT_ACCOUNT_ID, REGION)
        client = boto3.client("stepfunctions", region_name=REGION)
        role = "arn:aws:iam::123456789012:role/sfn"
        machine = client.create_state_machine(name="waits", definition=definition, roleArn=role)
        running = client.start_execution(stateMachineArn=machine["stateMachineArn"], name="in-flight")
        stopped = client.start_execution(stateMachineArn=machine["stateMachineArn"], name="stopped")
        client.stop_execution(executionArn=stopped["executionArn"])
        stop()
    with caplog.at_level(logging.WARNING, logger="rapport.local"), mock_aws():
        report_lost_executions(database, DEFAULT_ACCOUNT_ID, REGION)()
    lost = [record.getMessage() for record in caplog.records]
    assert len(lost) == 1
    assert running["executionArn"] in lost[0]
    assert "it is lost" in lost[0]
