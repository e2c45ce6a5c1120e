"""`rapport local` verifies the template's SES identities in moto, so the notifier's emails go out locally."""

from __future__ import annotations

import json
import socket
import urllib.request
from pathlib import Path

from local.runtime.aws import EmbeddedAws, verify_email_identities
from local.runtime.template import CloudAssembly

SENDER = "notifications@dev.rapport.example"


def test_the_templates_email_identity_is_verified_and_sent_mail_is_visible_through_the_endpoint(tmp_path: Path):
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    template = {
        "Resources": {
            "Sender": {"Type": "AWS::SES::EmailIdentity", "Properties": {"EmailIdentity": SENDER}},
            "Domain": {"Type": "AWS::SES::EmailIdentity", "Properties": {"EmailIdentity": "mail.rapport.example"}},
        }
    }
    aws = EmbeddedAws(port, "eu-west-1")
    aws.start()
    try:
        urllib.request.urlopen(urllib.request.Request(f"{aws.endpoint}/moto-api/reset", method="POST"))  # noqa: S310
        assert verify_email_identities(CloudAssembly(tmp_path, "Stack", template), aws) == [
            SENDER,
            "mail.rapport.example",
        ]
        ses = aws.client("ses")
        assert set(ses.list_identities()["Identities"]) == {SENDER, "mail.rapport.example"}
        ses.send_email(
            Source=SENDER,
            Destination={"ToAddresses": ["rachael@tyrell.example"]},
            Message={"Subject": {"Data": "Hello"}, "Body": {"Text": {"Data": "Hi"}}},
        )
        with urllib.request.urlopen(f"{aws.endpoint}/moto-api/data.json") as response:  # noqa: S310
            data = json.load(response)
        assert "Hello" in json.dumps(data["ses"])  # the sent message, as README shows how to read it
    finally:
        aws.stop()
