"""Dead-letter queues: where what an asynchronous target could not handle waits, for inspection and replay."""

from __future__ import annotations

from aws_cdk import Duration
from aws_cdk import aws_sqs as sqs
from constructs import Construct

from infra.nag import acknowledge

RETENTION = Duration.days(14)


def dead_letter_queue(scope: Construct, construct_id: str, *, holds: str) -> sqs.Queue:
    """An encrypted, TLS-only queue kept 14 days; `holds` says what lands in it (the nag acknowledgements' why)."""
    queue = sqs.Queue(
        scope,
        construct_id,
        encryption=sqs.QueueEncryption.SQS_MANAGED,
        enforce_ssl=True,
        retention_period=RETENTION,
    )
    for finding in ("AwsSolutions::AwsSolutions-SQS3", "Serverless::Serverless-SQSRedrivePolicy"):
        acknowledge(
            queue,
            finding,
            f"This queue is itself a dead-letter queue: {holds}. What lands here is inspected and replayed "
            "(from the stream, the bus archive or the queue), not passed on to another queue.",
        )
    return queue
