"""Email-to-case in the template is what infra/constructs/inbound_mail.py declares: the stage's inbound domain's
receipt rule stores each email in the encrypted, private bucket, then invokes the inbound mail worker, which reads
only the emails and writes only the attachments."""

from __future__ import annotations

from typing import Any

import pytest
from inbound_mail.handler import RAW_PREFIX

from infra.config import project_context
from infra.constructs import inbound_mail as construct
from tests.infra.conftest import Synthesis

pytestmark = pytest.mark.slow


def _ref(dev: Synthesis, resource_type: str, path_suffix: str) -> str:
    [name] = [
        name
        for name, resource in dev.of_type(resource_type).items()
        if resource["Metadata"]["aws:cdk:path"].endswith(path_suffix)
    ]
    return name


def test_the_rule_receives_the_stage_s_domain_into_the_bucket_then_invokes_the_worker(dev: Synthesis) -> None:
    bucket = _ref(dev, "AWS::S3::Bucket", "/InboundMail/Bucket/Resource")
    function = _ref(dev, "AWS::Lambda::Function", "/inbound_mail/Function/Resource")
    [rule] = [resource["Properties"] for resource in dev.of_type("AWS::SES::ReceiptRule").values()]
    domain = project_context()["stages"]["dev"]["inboundMailDomain"]
    assert rule["Rule"]["Recipients"] == [domain]
    assert (rule["Rule"]["ScanEnabled"], rule["Rule"]["TlsPolicy"], rule["Rule"]["Enabled"]) == (True, "Require", True)
    stored, invoked = rule["Rule"]["Actions"]
    assert stored == {"S3Action": {"BucketName": {"Ref": bucket}, "ObjectKeyPrefix": construct.RAW_MAIL_PREFIX}}
    assert invoked == {"LambdaAction": {"FunctionArn": {"Fn::GetAtt": [function, "Arn"]}, "InvocationType": "Event"}}
    assert construct.RAW_MAIL_PREFIX == RAW_PREFIX
    variables = dev.functions()["inbound_mail"]["Environment"]["Variables"]
    assert variables["INBOUND_MAIL_DOMAIN"] == domain and variables["INBOUND_MAIL_BUCKET"] == {"Ref": bucket}
    assert variables["SENDER_EMAIL"] == project_context()["stages"]["dev"]["notificationSender"]


def test_the_bucket_is_encrypted_private_tls_only_and_expires_raw_mail(dev: Synthesis) -> None:
    bucket = dev.one("AWS::S3::Bucket", "/InboundMail/Bucket/Resource")["Properties"]
    key = _ref(dev, "AWS::KMS::Key", "/Data/Key/Resource")
    [encryption] = bucket["BucketEncryption"]["ServerSideEncryptionConfiguration"]
    assert encryption["ServerSideEncryptionByDefault"] == {
        "KMSMasterKeyID": {"Fn::GetAtt": [key, "Arn"]},
        "SSEAlgorithm": "aws:kms",
    }
    assert all(bucket["PublicAccessBlockConfiguration"].values())
    assert len(bucket["PublicAccessBlockConfiguration"]) == 4
    rules = {rule["Id"]: rule for rule in bucket["LifecycleConfiguration"]["Rules"]}
    assert (rules["RawMail"]["Prefix"], rules["RawMail"]["ExpirationInDays"]) == ("mail/", construct.RAW_MAIL_DAYS)
    assert rules["Attachments"]["Transitions"][0]["TransitionInDays"] == construct.ATTACHMENTS_IA_DAYS
    policy = dev.one("AWS::S3::BucketPolicy", "/InboundMail/Bucket/Policy/Resource")["Properties"]
    denied = [s for s in policy["PolicyDocument"]["Statement"] if s["Effect"] == "Deny"]
    assert [s["Condition"] for s in denied] == [{"Bool": {"aws:SecureTransport": "false"}}]
    [ses_put] = [
        s for s in policy["PolicyDocument"]["Statement"] if s.get("Principal") == {"Service": "ses.amazonaws.com"}
    ]
    assert ses_put["Action"] == "s3:PutObject" and "aws:SourceAccount" in ses_put["Condition"]["StringEquals"]
    key_policy = dev.resources[key]["Properties"]["KeyPolicy"]["Statement"]
    [for_ses] = [s for s in key_policy if s.get("Principal") == {"Service": "ses.amazonaws.com"}]
    assert "aws:SourceAccount" in for_ses["Condition"]["StringEquals"]


def _statements(dev: Synthesis, area: str) -> list[dict[str, Any]]:
    role = dev.functions()[area]["Role"]["Fn::GetAtt"][0]
    return [
        statement
        for policy in dev.of_type("AWS::IAM::Policy").values()
        if {"Ref": role} in policy["Properties"]["Roles"]
        for statement in policy["Properties"]["PolicyDocument"]["Statement"]
    ]


def test_the_worker_reads_only_the_emails_and_writes_only_the_attachments(dev: Synthesis) -> None:
    bucket = _ref(dev, "AWS::S3::Bucket", "/InboundMail/Bucket/Resource")
    on_bucket = {
        statement["Action"]: statement["Resource"]
        for statement in _statements(dev, "inbound_mail")
        if bucket in str(statement["Resource"])
    }
    assert on_bucket == {
        "s3:GetObject": {"Fn::Join": ["", [{"Fn::GetAtt": [bucket, "Arn"]}, f"/{construct.RAW_MAIL_PREFIX}*"]]},
        "s3:PutObject": {"Fn::Join": ["", [{"Fn::GetAtt": [bucket, "Arn"]}, f"/{construct.ATTACHMENTS_PREFIX}*"]]},
    }
