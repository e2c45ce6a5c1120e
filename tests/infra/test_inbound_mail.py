"""Email-to-case in the template is what infra/constructs/inbound_mail.py declares: the stage's inbound domain's
receipt rule stores each email in the encrypted, private bucket, then invokes the inbound mail worker, which reads
only the emails and writes only the attachments; the API functions whose answers list attachments, and they only,
read the attachments (to presign their downloads)."""

from __future__ import annotations

import json
from typing import Any

import pytest
from inbound_mail.handler import RAW_PREFIX

from infra.config import project_context
from infra.constructs import inbound_mail as construct
from infra.openapi import DOCUMENT, load_routes
from rapport.cases import attachments
from tests.infra.conftest import Synthesis

pytestmark = pytest.mark.slow


def test_the_rule_receives_the_stage_s_domain_into_the_bucket_then_invokes_the_worker(dev: Synthesis) -> None:
    bucket = dev.id_of("AWS::S3::Bucket", "/InboundMail/Bucket/Resource")
    function = dev.id_of("AWS::Lambda::Function", "/inbound_mail/Function/Resource")
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
    rules = dev.private_bucket("InboundMail")
    key = dev.id_of("AWS::KMS::Key", "/Data/Key/Resource")
    assert (rules["RawMail"]["Prefix"], rules["RawMail"]["ExpirationInDays"]) == ("mail/", construct.RAW_MAIL_DAYS)
    assert rules["Attachments"]["Transitions"][0]["TransitionInDays"] == construct.ATTACHMENTS_IA_DAYS
    policy = dev.one("AWS::S3::BucketPolicy", "/InboundMail/Bucket/Policy/Resource")["Properties"]
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
    bucket = dev.id_of("AWS::S3::Bucket", "/InboundMail/Bucket/Resource")
    on_bucket = {
        statement["Action"]: statement["Resource"]
        for statement in _statements(dev, "inbound_mail")
        if bucket in str(statement["Resource"])
    }
    assert on_bucket == {
        "s3:GetObject": {"Fn::Join": ["", [{"Fn::GetAtt": [bucket, "Arn"]}, f"/{construct.RAW_MAIL_PREFIX}*"]]},
        "s3:PutObject": {"Fn::Join": ["", [{"Fn::GetAtt": [bucket, "Arn"]}, f"/{construct.ATTACHMENTS_PREFIX}*"]]},
    }


def _listing_attachments() -> set[str]:
    """The API areas with an operation whose answer holds an attachment (a schema named `...Attachment`)."""
    document = json.loads(DOCUMENT.read_text())
    schemas = document["components"]["schemas"]

    def reaches_attachment(node: Any, seen: frozenset[str]) -> bool:
        if isinstance(node, dict):
            name = str(node.get("$ref", "")).rpartition("/")[2]
            if name:
                return name.endswith("Attachment") or (
                    name not in seen and reaches_attachment(schemas[name], seen | {name})
                )
            return any(reaches_attachment(value, seen) for value in node.values())
        return isinstance(node, list) and any(reaches_attachment(value, seen) for value in node)

    listing = {
        operation["operationId"]
        for item in document["paths"].values()
        for operation in item.values()
        if isinstance(operation, dict) and reaches_attachment(operation.get("responses", {}), frozenset())
    }
    return {route.function for route in load_routes() if route.operation_id in listing}


def test_the_functions_reading_attachments_are_those_whose_answers_list_them():
    assert set(construct.ATTACHMENT_READERS) == _listing_attachments() == {"cases", "portal"}
    assert construct.ATTACHMENTS_PREFIX == attachments.PREFIX


def test_only_the_attachment_readers_read_the_attachments_and_nothing_else_of_the_bucket(dev: Synthesis) -> None:
    bucket = dev.id_of("AWS::S3::Bucket", "/InboundMail/Bucket/Resource")
    key = dev.id_of("AWS::KMS::Key", "/Data/Key/Resource")
    attachments_arn = {"Fn::Join": ["", [{"Fn::GetAtt": [bucket, "Arn"]}, f"/{construct.ATTACHMENTS_PREFIX}*"]]}
    for area, properties in dev.functions().items():
        if area == "inbound_mail":
            continue  # the worker's own grants: the test above
        statements = _statements(dev, area)
        on_bucket = [(s["Action"], s["Resource"]) for s in statements if bucket in json.dumps(s["Resource"])]
        decrypts = any(
            "kms:Decrypt" in s["Action"] and {"Fn::GetAtt": [key, "Arn"]} in _list(s["Resource"]) for s in statements
        )
        variables = properties["Environment"]["Variables"]
        if area in construct.ATTACHMENT_READERS:
            assert on_bucket == [("s3:GetObject", attachments_arn)], area
            assert decrypts and variables["INBOUND_MAIL_BUCKET"] == {"Ref": bucket}, area
        else:
            assert on_bucket == [] and "INBOUND_MAIL_BUCKET" not in variables, area


def _list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else [value]
