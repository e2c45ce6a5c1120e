"""Receiving email locally, as SES does: `rapport mail receive <file.eml> [--to <address>]` posts the raw message
to the running runtime (`POST /_local/mail`), which plays the template's receipt rules — for each rule whose
recipients take one of the email's recipients, its S3 action stores the email in its bucket (moto's) under its
prefix, named by a new SES message id, then its Lambda action invokes the function with SES's notification.

The buckets are moto's, in memory: the emails and attachments kept there last as long as the runtime runs.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from email import policy
from email.parser import BytesParser
from email.utils import getaddresses
from typing import Any

from local.runtime.aws import EmbeddedAws
from local.runtime.template import CloudAssembly, Physical, Resolver


class NotReceived(Exception):
    """No receipt rule takes the email: SES would refuse it (550 at SMTP; a 422 here)."""


@dataclass(frozen=True)
class _Rule:
    recipients: tuple[str, ...]
    actions: tuple[dict[str, Any], ...]

    def takes(self, address: str) -> bool:
        """SES's matching: the address itself, its domain, or (`.example.com`) a subdomain of it."""
        domain = address.rpartition("@")[2]
        return not self.recipients or any(
            address == r or domain == r or (r.startswith(".") and domain.endswith(r)) for r in self.recipients
        )


def recipients_of(raw: bytes) -> tuple[str, ...]:
    """The addresses in the email's To and Cc headers (what SES's envelope holds when nobody was Bcc'd)."""
    message = BytesParser(policy=policy.default).parsebytes(raw, headersonly=True)
    headers = [str(value) for name in ("To", "Cc") for value in message.get_all(name, [])]
    return tuple(address.lower() for _, address in getaddresses(headers) if "@" in address)


def create_buckets(assembly: CloudAssembly, aws: EmbeddedAws) -> dict[str, Physical]:
    """Every S3 bucket of the template, in moto: its name (`Ref`) and `Arn`, by logical id."""
    client = aws.client("s3")
    created = {}
    for logical_id, _ in assembly.of_type("AWS::S3::Bucket"):
        name = f"{assembly.stack_name}-{logical_id}".lower()[:63]
        client.create_bucket(Bucket=name, CreateBucketConfiguration={"LocationConstraint": aws.region})
        created[logical_id] = Physical(name, {"Arn": f"arn:aws:s3:::{name}"})
    return created


def _rules(assembly: CloudAssembly, resolver: Resolver) -> Iterator[_Rule]:
    for _, resource in assembly.of_type("AWS::SES::ReceiptRule"):
        rule = resource["Properties"]["Rule"]
        if rule.get("Enabled", True):
            recipients = tuple(str(recipient).lower() for recipient in rule.get("Recipients", []))
            yield _Rule(recipients, tuple(resolver.resolve(action) for action in rule.get("Actions", [])))


def receive(
    assembly: CloudAssembly,
    resolver: Resolver,
    aws: EmbeddedAws,
    invoke: Callable[[str, Any], Any],
    raw: bytes,
    envelope: tuple[str, ...],
) -> list[Any]:
    """Plays every receipt rule that takes one of `envelope` (default: the email's To and Cc) on `raw`; returns
    what each invoked function answered."""
    recipients = envelope or recipients_of(raw)
    functions = {resolver.get_att(logical_id, "Arn"): logical_id for logical_id in _function_ids(assembly)}
    answers = []
    for rule in _rules(assembly, resolver):
        taken = tuple(address for address in recipients if rule.takes(address))
        if not taken:
            continue
        message_id = uuid.uuid4().hex
        notification = {"mail": {"messageId": message_id, "destination": list(recipients)}}
        notification["receipt"] = {"recipients": list(taken)}
        for action in rule.actions:
            if "S3Action" in action:
                stored = action["S3Action"]
                key = f"{stored.get('ObjectKeyPrefix', '')}{message_id}"
                aws.client("s3").put_object(Bucket=stored["BucketName"], Key=key, Body=raw)
            elif "LambdaAction" in action:
                event = {"Records": [{"eventSource": "aws:ses", "eventVersion": "1.0", "ses": notification}]}
                answers.append(invoke(functions[action["LambdaAction"]["FunctionArn"]], event))
    if not answers:
        raise NotReceived(f"no receipt rule of the stack receives mail for {', '.join(recipients) or 'nobody'}")
    return answers


def _function_ids(assembly: CloudAssembly) -> list[str]:
    return [logical_id for logical_id, _ in assembly.of_type("AWS::Lambda::Function")]
