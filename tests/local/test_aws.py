"""The embedded AWS endpoint: moto's server in this process, on connections that stay open."""

from __future__ import annotations

import http.client
import json
import socket
import statistics
import time
from collections.abc import Iterator
from typing import Any

import pytest

from local.runtime.aws import EmbeddedAws

REGION = "eu-west-1"

DELAYED_ACK = 0.040  # seconds Linux may hold back the acknowledgement of a segment


@pytest.fixture
def aws() -> Iterator[EmbeddedAws]:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    embedded = EmbeddedAws(port, REGION)
    embedded.start()
    yield embedded
    embedded.stop()


def _signed_headers(service: str, target: str) -> dict[str, str]:
    credential = f"Credential=LOCAL/20261130/{REGION}/{service}/aws4_request"
    return {
        "Authorization": f"AWS4-HMAC-SHA256 {credential}, SignedHeaders=host, Signature=0",
        "X-Amz-Target": target,
        "Content-Type": "application/x-amz-json-1.0",
    }


def _call(connection: http.client.HTTPConnection, service: str, target: str, body: dict[str, Any]) -> Any:
    connection.request("POST", "/", json.dumps(body), _signed_headers(service, target))
    response = connection.getresponse()
    answer = json.loads(response.read())
    assert response.status == 200, answer
    assert response.getheader("Connection") != "close"
    return answer


def test_aws_calls_share_one_connection(aws: EmbeddedAws) -> None:
    """Each AWS call of a function paid a TCP connection and a server thread: werkzeug closed every one."""
    connection = http.client.HTTPConnection("127.0.0.1", aws.port, timeout=10)
    connection.connect()
    opened = connection.sock
    tables = _call(connection, "dynamodb", "DynamoDB_20120810.ListTables", {})
    buses = _call(connection, "events", "AWSEvents.ListEventBuses", {})
    streams = _call(connection, "dynamodb", "DynamoDBStreams_20120810.ListStreams", {})
    assert connection.sock is opened
    assert tables == {"TableNames": []}
    assert [bus["Name"] for bus in buses["EventBuses"]] == ["default"]
    assert streams == {"Streams": []}
    connection.close()


def test_calls_of_one_signing_name_reach_the_service_their_target_names(aws: EmbeddedAws) -> None:
    """DynamoDB and DynamoDB Streams sign as `dynamodb`: the target tells them apart, whichever comes first."""
    client = aws.client("dynamodb")
    client.create_table(
        TableName="t",
        KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}],
        AttributeDefinitions=[{"AttributeName": "pk", "AttributeType": "S"}],
        BillingMode="PAY_PER_REQUEST",
        StreamSpecification={"StreamEnabled": True, "StreamViewType": "NEW_IMAGE"},
    )
    streams = aws.client("dynamodbstreams")
    for _ in range(2):
        assert [stream["TableName"] for stream in streams.list_streams()["Streams"]] == ["t"]
        assert client.list_tables()["TableNames"] == ["t"]


def test_an_answer_on_a_kept_connection_is_not_held_back_by_the_delayed_ack(aws: EmbeddedAws) -> None:
    """The headers and the body went as two segments, and Nagle held the body until the client acknowledged the
    headers, which Linux delays 40 ms on a connection that goes back and forth: every DynamoDB call of a function
    waited for it (a contact's create took 105 ms at the median, 21 ms without)."""
    connection = http.client.HTTPConnection("127.0.0.1", aws.port, timeout=10)
    waits = []
    for _ in range(21):
        started = time.perf_counter()
        _call(connection, "dynamodb", "DynamoDB_20120810.ListTables", {})
        waits.append(time.perf_counter() - started)
    connection.close()
    assert statistics.median(waits) < DELAYED_ACK / 2


def test_a_head_tells_the_size_of_what_a_get_would_send_and_sends_no_body(aws: EmbeddedAws) -> None:
    """S3's HeadObject told every object's size as 0: the runtime sent the empty body's length (an import then read
    no row of its uploaded file)."""
    s3 = aws.client("s3")
    s3.create_bucket(Bucket="files", CreateBucketConfiguration={"LocationConstraint": REGION})
    s3.put_object(Bucket="files", Key="people.csv", Body=b"email\nada@example.com\n")
    assert s3.head_object(Bucket="files", Key="people.csv")["ContentLength"] == 22
    assert s3.get_object(Bucket="files", Key="people.csv")["Body"].read() == b"email\nada@example.com\n"
    assert s3.list_objects_v2(Bucket="files")["KeyCount"] == 1, "the connection is still in step after the HEAD"
