"""The cold-start bench's stub answers what a deployed function asks on its first request: its tenant's credentials
(STS AssumeRole, for a function fenced to its caller's tenant) and DynamoDB."""

from __future__ import annotations

import boto3  # type: ignore[import-untyped]

from tools.coldstart import stub_dynamodb


def test_a_fenced_functions_first_request_gets_credentials_and_an_answer() -> None:
    with stub_dynamodb() as (endpoint, calls):
        session = boto3.session.Session(
            aws_access_key_id="bench", aws_secret_access_key="bench", region_name="eu-west-1"
        )
        sts = session.client("sts", endpoint_url=endpoint)
        issued = sts.assume_role(RoleArn="arn:aws:iam::123456789012:role/tenant-data", RoleSessionName="tenant-a")
        tenant = boto3.session.Session(
            aws_access_key_id=issued["Credentials"]["AccessKeyId"],
            aws_secret_access_key=issued["Credentials"]["SecretAccessKey"],
            aws_session_token=issued["Credentials"]["SessionToken"],
            region_name="eu-west-1",
        )
        item = tenant.client("dynamodb", endpoint_url=endpoint).get_item(TableName="t", Key={"pk": {"S": "T#a#X"}})
    assert "Item" not in item
    assert dict(calls) == {"AssumeRole": 1, "GetItem": 1}
